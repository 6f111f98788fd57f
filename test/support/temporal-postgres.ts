// A Temporal server as a production installation runs it, for the PostgreSQL tier: the real
// `temporal-server` (built by tools/temporal-server.ts, the version the dev server embeds) on a
// throwaway PostgreSQL (./postgres.ts), both databases created and migrated with
// temporal-sql-tool the way Temporal's docs say, all four services in one process on free ports,
// 4 history shards. Namespaces are registered with the `temporal` CLI (with a retention, as the
// README tells users to) and get KubeSkippy's search attributes through ensureSearchAttributes,
// the operator service call a non-dev server needs.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { ensureSearchAttributes } from '../../operator/search-attributes.js';
import { findFreePort } from '../../tools/dev-server.js';
import type { ResolvedTemporalServer } from '../../tools/temporal-server.js';
import { startPostgres, type RunningPostgres } from './postgres.js';

const execFileAsync = promisify(execFile);
const HOST = '127.0.0.1';
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

/**
 * Namespaces with namespace-scoped dynamic config, for tests that on the dev server start a
 * private server with that config (startDedicatedServer): keyed by the JSON of that config.
 */
export const DEDICATED_NAMESPACES: Record<string, { namespace: string; config: Record<string, number> }> = {
  [JSON.stringify({ 'limit.historyCount.suggestContinueAsNew': 20 })]: {
    namespace: 'kubeskippy-can-20',
    config: { 'limit.historyCount.suggestContinueAsNew': 20 },
  },
};

export interface PostgresTemporal {
  address: string;
  namespaces: string[];
  /** Milliseconds of each start-up step, for the tier's report. */
  timings: Record<'postgres' | 'schema' | 'server' | 'namespaces', number>;
  /** What ensureSearchAttributes added, per namespace. */
  searchAttributes: Record<string, string[]>;
  stop(): Promise<void>;
}

export interface StartPostgresTemporalOptions {
  server: ResolvedTemporalServer;
  /** The `temporal` CLI, for `temporal operator namespace create`. */
  cliPath: string;
  namespace: string;
  /** `--retention` of every namespace; default 30d. */
  retention?: string;
  onProgress?: (msg: string) => void;
}

export async function startPostgresTemporal(opts: StartPostgresTemporalOptions): Promise<PostgresTemporal> {
  const onProgress = opts.onProgress ?? ((): void => {});
  const timings = { postgres: 0, schema: 0, server: 0, namespaces: 0 };
  let t = Date.now();
  const lap = (step: keyof typeof timings): void => {
    timings[step] = Date.now() - t;
    onProgress(`${step} ready in ${timings[step]} ms`);
    t = Date.now();
  };
  const pg = await startPostgres();
  lap('postgres');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-temporal-pg-'));
  const cleanup = async (): Promise<void> => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await setUpSchemas(opts.server, pg);
    lap('schema');
    const ports = await servicePorts();
    await writeServerConfig(dir, pg, ports);
    const server = await startServer(opts.server, dir, ports.frontend.grpc);
    lap('server');
    const namespaces = [opts.namespace, ...Object.values(DEDICATED_NAMESPACES).map((d) => d.namespace)];
    const searchAttributes: Record<string, string[]> = {};
    for (const namespace of namespaces) {
      await createNamespace(opts.cliPath, server.address, namespace, opts.retention ?? '30d');
      searchAttributes[namespace] = await registerSearchAttributes(server.address, namespace);
    }
    lap('namespaces');
    return {
      address: server.address,
      namespaces,
      timings,
      searchAttributes,
      stop: async () => {
        await server.stop();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** `temporal-sql-tool create-database`, `setup-schema -v 0.0`, `update-schema -d <versioned>`. */
async function setUpSchemas(server: ResolvedTemporalServer, pg: RunningPostgres): Promise<void> {
  const base = [
    '--plugin',
    'postgres12',
    '--ep',
    pg.host,
    '-p',
    String(pg.port),
    '-u',
    pg.user,
    '--pw',
    pg.password,
  ];
  const tool = async (db: string, args: string[]): Promise<void> => {
    try {
      await execFileAsync(server.sqlTool, [...base, '--db', db, ...args], { timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `temporal-sql-tool ${args[0]} on ${db} failed: ${(e.stderr || e.stdout || e.message).trim()}`,
      );
    }
  };
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    await tool(db, ['create-database']);
    await tool(db, ['setup-schema', '-v', '0.0']);
    await tool(db, ['update-schema', '-d', path.join(server.postgresSchemaDir, schema, 'versioned')]);
  }
}

type Ports = Record<(typeof SERVICES)[number], { grpc: number; membership: number }> & { http: number };

async function servicePorts(): Promise<Ports> {
  const ports = { http: await findFreePort() } as Ports;
  for (const s of SERVICES) ports[s] = { grpc: await lowFreePort(), membership: await lowFreePort() };
  return ports;
}

/**
 * A free port below 32768. The PostgreSQL schema keeps a member's port in cluster_membership as a
 * smallint, so a port from the kernel's ephemeral range (32768-60999, what port 0 gives) makes the
 * server die at start ("value 33609 is out of range for type smallint").
 */
async function lowFreePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, HOST, () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port between 20000 and 32000 on 127.0.0.1');
}

/** config/kubeskippy.yaml (the server's `--env kubeskippy`) and its dynamic config file. */
async function writeServerConfig(dir: string, pg: RunningPostgres, ports: Ports): Promise<void> {
  const store = (databaseName: string, maxConns: number): object => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const services = Object.fromEntries(
    SERVICES.map((s) => [
      s,
      {
        rpc: {
          grpcPort: ports[s].grpc,
          membershipPort: ports[s].membership,
          bindOnIP: HOST,
          ...(s === 'frontend' ? { httpPort: ports.http } : {}),
        },
      },
    ]),
  );
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        'postgres-default': store('temporal', 20),
        'postgres-visibility': store('temporal_visibility', 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: HOST } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${HOST}:${ports.frontend.grpc}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: path.join(dir, 'dynamicconfig.yaml'), pollInterval: '10s' },
  };
  // Production defaults otherwise (no forced search-attribute cache refresh, unlike the dev server).
  const dynamic: Record<string, { value: unknown; constraints?: object }[]> = {
    // The server would otherwise phone home for version checks, which fails offline.
    'frontend.enableServerVersionCheck': [{ value: false }],
  };
  for (const { namespace, config: values } of Object.values(DEDICATED_NAMESPACES))
    for (const [key, value] of Object.entries(values))
      (dynamic[key] ??= []).push({ value, constraints: { namespace } });
  await mkdir(path.join(dir, 'config'));
  await writeFile(path.join(dir, 'config', 'kubeskippy.yaml'), stringify(config));
  await writeFile(path.join(dir, 'dynamicconfig.yaml'), stringify(dynamic));
}

interface RunningServer {
  address: string;
  stop(): Promise<void>;
}

async function startServer(
  server: ResolvedTemporalServer,
  dir: string,
  port: number,
): Promise<RunningServer> {
  const logFile = path.join(dir, 'temporal-server.log');
  const log = createWriteStream(logFile);
  const child = spawn(
    server.server,
    ['--root', dir, '--config', 'config', '--env', 'kubeskippy', '--allow-no-auth', 'start'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };
  const address = `${HOST}:${port}`;
  const tail = async (): Promise<string> =>
    (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 120_000;
  let lastError = '';
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`temporal-server exited early (code ${exitCode}):\n${await tail()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return { address, stop };
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await stop();
  throw new Error(`temporal-server at ${address} did not answer in 120 s (${lastError}):\n${await tail()}`);
}

/** As a user would: `temporal operator namespace create --retention ...`. */
async function createNamespace(
  cli: string,
  address: string,
  namespace: string,
  retention: string,
): Promise<void> {
  const args = ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', retention];
  try {
    await execFileAsync(cli, [...args, '--address', address], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`temporal ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/**
 * ensureSearchAttributes, retried while the frontend's namespace cache does not know the new
 * namespace yet (it refreshes every few seconds; "Namespace ... is not found" until then).
 */
async function registerSearchAttributes(address: string, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        return await ensureSearchAttributes(connection, namespace);
      } catch (err) {
        if (Date.now() > deadline || !/not found/i.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}
