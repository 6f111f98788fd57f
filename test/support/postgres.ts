// A throwaway PostgreSQL for the PostgreSQL tier: Debian's server binaries
// (/usr/lib/postgresql/<v>/bin), a fresh data dir under the temp dir, a free TCP port on
// 127.0.0.1, its socket in its own dir (no /var/run/postgresql needed). PostgreSQL refuses to run
// as root, and CI runs as root: then every command runs as the `postgres` system user (runuser),
// which owns the temp dir. Trust authentication, so the password Temporal sends is not checked:
// nothing but this machine can reach 127.0.0.1.
import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isExecutableFile } from '../../lib/executables.js';
import { findFreePort } from '../../tools/dev-server.js';

const execFileAsync = promisify(execFile);
const HOST = '127.0.0.1';

export interface RunningPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The server's log file, for failures. */
  logFile: string;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Dir of initdb/pg_ctl; default the newest /usr/lib/postgresql/<v>/bin, or KUBESKIPPY_POSTGRES_BIN. */
  binDir?: string;
  /** The unprivileged user to run as when this process is root; default `postgres`. */
  runAs?: string;
}

/** The newest Debian PostgreSQL on this machine (KUBESKIPPY_POSTGRES_BIN overrides). */
export async function findPostgresBin(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.KUBESKIPPY_POSTGRES_BIN) return env.KUBESKIPPY_POSTGRES_BIN;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const v of versions.sort((a, b) => Number(b) - Number(a))) {
    const bin = path.join('/usr/lib/postgresql', v, 'bin');
    if (await isExecutableFile(path.join(bin, 'pg_ctl'))) return bin;
  }
  throw new Error(
    'no PostgreSQL server found under /usr/lib/postgresql/<version>/bin: install it ' +
      '(`apt-get install postgresql`) or set KUBESKIPPY_POSTGRES_BIN to the dir of initdb and pg_ctl',
  );
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const bin = opts.binDir ?? (await findPostgresBin());
  const asRoot = process.getuid?.() === 0;
  const runAs = opts.runAs ?? 'postgres';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-pg-'));
  if (asRoot) {
    const uid = Number((await execFileAsync('id', ['-u', runAs])).stdout.trim());
    const gid = Number((await execFileAsync('id', ['-g', runAs])).stdout.trim());
    await chown(dir, uid, gid);
  }
  // Under root every command runs as `runAs`; otherwise as this (unprivileged) user.
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', runAs, '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
  const run = async (tool: string, args: string[]): Promise<void> => {
    const [cmd, full] = command(tool, args);
    try {
      await execFileAsync(cmd, full, { timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${tool} failed: ${(e.stderr || e.message).trim()}`);
    }
  };
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const port = await findFreePort();
  const user = 'temporal';
  await run('initdb', ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  // synchronous_commit=off: a commit does not wait for the WAL flush (the analogue of the dev
  // server's SQLite synchronous=normal); a crash of the OS may lose the last moments, never
  // consistency. max_connections: four Temporal services with their own pools.
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    `-c listen_addresses=${HOST}`,
    '-c max_connections=200',
    '-c synchronous_commit=off',
  ].join(' ');
  try {
    await run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start']);
  } catch (err) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${log.split('\n').slice(-20).join('\n')}`);
  }
  // Safety net: a test process that dies without stop() must not leave a daemon behind.
  const [stopCmd, stopArgs] = command('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
  const stopOnExit = (): void => {
    try {
      execFileSync(stopCmd, stopArgs, { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already stopped
    }
  };
  process.once('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener('exit', stopOnExit);
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => stopOnExit());
      await rm(dir, { recursive: true, force: true });
    })());
  return { host: HOST, port, user, password: 'temporal', logFile, stop };
}
