// Runs `temporal server start-dev` as a child process: for `kubeskippy dev-server`, the demo and
// the test suite. We spawn the CLI ourselves instead of using the SDK's ephemeral server because
// the SDK gives a cold start only 5 s before killing it, and it cannot serve the Web UI port we
// choose. Readiness = the frontend answers gRPC and the search attributes are verified.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import {
  ensureSearchAttributes,
  kubeSkippySearchAttributes,
  searchAttributeFlagValues,
} from '../operator/search-attributes.js';
import { isResolvedCli, resolveTemporalCli, TemporalCliError } from './temporal-cli.js';

export { ensureSearchAttributes } from '../operator/search-attributes.js';

export interface DevServerOptions {
  /** gRPC frontend port; default 7233, 0 = a free port. */
  port?: number;
  /** Web UI port; default port+1000 (a free port when port is 0), 0 = a free port. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file for persistence (parent dirs are created); default in-memory. */
  dbFile?: string;
  /** `--dynamic-config-value KEY=JSON` entries, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 40 }`. */
  dynamicConfig?: Record<string, string | number | boolean>;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'never';
  /** A resolved `temporal` binary; resolved (and built if needed) when absent. */
  cliPath?: string;
  onProgress?: (msg: string) => void;
  startTimeoutMs?: number;
  /**
   * Run the server in its own process group, so a Ctrl-C at the terminal reaches only its owner,
   * which then ends its workflows while the server is still up and stops it itself (the demo).
   * Without it the terminal's SIGINT kills the server at once, and the owner's last calls wait
   * ~20 s for a server that is gone. The owner's exit (even a crash) still kills it.
   */
  ownProcessGroup?: boolean;
  /** How long stop() waits after SIGTERM before SIGKILL; default 10 s. */
  stopGraceMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  pid: number;
  /** Settles when the server process exits, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const onProgress = opts.onProgress ?? ((): void => {});
  const namespace = opts.namespace ?? 'default';
  let cli = opts.cliPath;
  if (!cli) {
    const resolved = await resolveTemporalCli({ onProgress });
    if (!isResolvedCli(resolved)) return startSdkDownloadedServer(opts);
    cli = resolved.path;
  }
  const port = opts.port === 0 ? await findFreePort() : (opts.port ?? 7233);
  let uiPort: number | undefined;
  if (!opts.headless) {
    uiPort =
      opts.uiPort === 0 || (opts.uiPort === undefined && opts.port === 0)
        ? await findFreePort()
        : (opts.uiPort ?? port + 1000);
  }
  if (opts.dbFile) await mkdir(path.dirname(path.resolve(opts.dbFile)), { recursive: true });

  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port)];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile, ...sqlitePragmaArgs());
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const value of searchAttributeFlagValues()) args.push('--search-attribute', value);
  args.push(...dynamicConfigArgs(opts));
  args.push('--log-level', opts.logLevel ?? 'warn');

  const started = Date.now();
  const child = spawn(cli, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup === true,
  });
  const output = collectTail(child);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  // Safety net: if this process exits without stop(), the server must not outlive it.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= stopChild(child, exited, opts.stopGraceMs).finally(() =>
      process.removeListener('exit', killOnExit),
    ));
  child.once('error', (err) => output.push(`spawn error: ${err.message}`));

  const address = `${HOST}:${port}`;
  try {
    await waitUntilReady({ address, namespace, exited, output, timeoutMs: opts.startTimeoutMs ?? 60_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  onProgress(`Temporal dev server ready at ${address} after ${Date.now() - started} ms`);
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`,
    namespace,
    pid: child.pid ?? -1,
    exited,
    stop,
  };
}

/**
 * A file-backed dev server runs SQLite in its default rollback-journal mode with a full sync on
 * every commit, and every workflow task, activity and child start is a commit: with 50 healing
 * actions at once it started 1.9 children/s (issue 12). WAL with synchronous=NORMAL commits without
 * waiting for the disk each time (same machine, same run: 50 children started in 7.6 s instead of
 * 36.5 s) and stays consistent after a crash of the server process; only an OS crash or power loss
 * can lose the last moments — acceptable for a development server, whose history is disposable.
 */
function sqlitePragmaArgs(): string[] {
  return ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];
}

/** `--dynamic-config-value KEY=JSON` flags for both ways of starting the server. */
function dynamicConfigArgs(opts: DevServerOptions): string[] {
  // The server would otherwise phone home for version checks, which fails offline.
  const dynamicConfig = { 'frontend.enableServerVersionCheck': false, ...opts.dynamicConfig };
  return Object.entries(dynamicConfig).flatMap(([k, v]) => [
    '--dynamic-config-value',
    `${k}=${JSON.stringify(v)}`,
  ]);
}

/**
 * The last resort of the resolution order: no binary and no Go, so the Temporal SDK downloads the
 * CLI (machines with internet) and runs it as its ephemeral dev server. Same flags as ours; the
 * SDK gives it a shorter start-up allowance and owns the process (no pid, no exit code).
 */
async function startSdkDownloadedServer(opts: DevServerOptions): Promise<DevServer> {
  // (The resolver has already said it is falling back to the SDK download.)
  const namespace = opts.namespace ?? 'default';
  const port = opts.port === 0 || opts.port === undefined ? await findFreePort() : opts.port;
  const uiPort = opts.headless ? undefined : opts.uiPort || (await findFreePort());
  if (opts.dbFile) await mkdir(path.dirname(path.resolve(opts.dbFile)), { recursive: true });
  // Loaded only here: the testing package is needed by nobody else at run time.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  let env: Awaited<ReturnType<typeof TestWorkflowEnvironment.createLocal>>;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: HOST,
        port,
        ...(uiPort === undefined ? { ui: false } : { ui: true, uiPort }),
        ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
        namespace,
        searchAttributes: [...kubeSkippySearchAttributes],
        extraArgs: [...(opts.dbFile ? sqlitePragmaArgs() : []), ...dynamicConfigArgs(opts)],
      },
    });
  } catch (err) {
    throw new TemporalCliError(
      `no temporal CLI found, Go is not installed, and the SDK could not download one: ` +
        `${(err as Error).message}. Install Go >= 1.25 (the CLI is then built once) or set ` +
        'KUBESKIPPY_TEMPORAL_CLI=/path/to/temporal',
    );
  }
  let exit: (code: number | null) => void = () => {};
  const exited = new Promise<number | null>((resolve) => (exit = resolve));
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`,
    namespace,
    pid: -1,
    exited,
    stop: () => (stopping ??= env.teardown().finally(() => exit(0))),
  };
}

interface WaitOptions {
  address: string;
  namespace: string;
  exited: Promise<number | null>;
  output: string[];
  timeoutMs: number;
}

async function waitUntilReady(w: WaitOptions): Promise<void> {
  const deadline = Date.now() + w.timeoutMs;
  let exitCode: number | null | undefined;
  void w.exited.then((code) => (exitCode = code));
  let lastError = '';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`temporal dev server exited early (code ${exitCode}). Output:\n${tailText(w.output)}`);
    }
    try {
      const connection = await Connection.connect({ address: w.address, connectTimeout: 1_000 });
      try {
        await ensureSearchAttributes(connection, w.namespace);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `temporal dev server at ${w.address} did not answer within ${w.timeoutMs} ms (last error: ${lastError}). ` +
      `Output:\n${tailText(w.output)}`,
  );
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

function collectTail(child: ChildProcess, max = 40): string[] {
  const lines: string[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > max) lines.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return lines;
}

function tailText(lines: string[]): string {
  return lines.length === 0 ? '  (no output)' : lines.map((l) => `  ${l}`).join('\n');
}

/** A port that was free a moment ago on 127.0.0.1 (bind port 0, read it, release it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
