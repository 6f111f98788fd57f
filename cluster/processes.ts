// Runs the control plane's processes: each logs to its own file, is probed until it answers, and is
// watched — one that exits while the cluster runs is named with the last lines of its log, and the
// rest are stopped. A pid file lets the next start clean up after a run that was SIGKILLed (no
// handler of ours ran then), so no stale etcd keeps its data dir or a port.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, writeFile, rm } from 'node:fs/promises';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import type { ComponentSpec } from './components.js';

export interface Running {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export class ComponentDiedError extends Error {
  override name = 'ComponentDiedError';
}

export async function lastLines(file: string, n = 15): Promise<string> {
  try {
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    return lines
      .slice(-n)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return '    (no log)';
  }
}

export function startProcess(spec: ComponentSpec, logDir: string): Running {
  const logFile = path.join(logDir, `${spec.name}.log`);
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(spec.bin, spec.args, { stdio: ['ignore', fd, fd] });
    return { name: spec.name, child, logFile };
  } finally {
    closeSync(fd);
  }
}

/** GETs `url` until it answers 200, the process exits, or the deadline passes. */
export async function waitReady(
  run: Running,
  spec: ComponentSpec,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) {
      throw new ComponentDiedError(
        `${spec.name} exited (${run.child.exitCode ?? run.child.signalCode}) while starting; ` +
          `last lines of ${run.logFile}:\n${await lastLines(run.logFile)}`,
      );
    }
    last = await probe(spec, tls).catch((err: Error) => err.message);
    if (last === 'ok') return;
    if (Date.now() > deadline) {
      throw new ComponentDiedError(
        `${spec.name} did not answer ${spec.probe.url} within ${Math.round(timeoutMs / 1000)}s ` +
          `(last: ${last}); last lines of ${run.logFile}:\n${await lastLines(run.logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function probe(spec: ComponentSpec, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<string> {
  const url = new URL(spec.probe.url);
  return new Promise((resolve, reject) => {
    const done = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode === 200 ? 'ok' : `HTTP ${res.statusCode}`);
    };
    const req =
      url.protocol === 'https:'
        ? https.get(
            url,
            spec.probe.verifyWithCa
              ? { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: 2000 }
              : { rejectUnauthorized: false, timeout: 2000 },
            done,
          )
        : http.get(url, { timeout: 2000 }, done);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** TERM everything, give it `graceMs`, then KILL what is left. Resolves when all have exited. */
export async function stopAll(runs: readonly Running[], graceMs = 10_000): Promise<void> {
  const alive = runs.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
  const exited = alive.map((r) => new Promise<void>((res) => r.child.once('exit', () => res())));
  for (const r of alive) r.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const r of alive)
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  }, graceMs);
  await Promise.all(exited);
  clearTimeout(timer);
}

interface PidRecord {
  name: string;
  pid: number;
  bin: string;
}

export async function writePidFile(
  file: string,
  runs: readonly Running[],
  specs: readonly ComponentSpec[],
): Promise<void> {
  const records: PidRecord[] = runs.flatMap((r) => {
    const spec = specs.find((s) => s.name === r.name);
    return r.child.pid && spec ? [{ name: r.name, pid: r.child.pid, bin: spec.bin }] : [];
  });
  await writeFile(file, `${JSON.stringify(records, null, 2)}\n`);
}

/** Kills processes a previous run left behind (only if /proc says they are still our binary). */
export async function reapStale(file: string, log: (msg: string) => void): Promise<void> {
  let records: PidRecord[];
  try {
    records = JSON.parse(await readFile(file, 'utf8')) as PidRecord[];
  } catch {
    return;
  }
  for (const r of records) {
    const cmdline = await readFile(`/proc/${r.pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.startsWith(r.bin)) continue;
    log(`stopping ${r.name} (pid ${r.pid}) left running by an earlier start`);
    process.kill(r.pid, 'SIGKILL');
    for (let i = 0; i < 40 && (await readFile(`/proc/${r.pid}/cmdline`, 'utf8').catch(() => '')); i++) {
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  await rm(file, { force: true });
}

/**
 * The running processes of one cluster: starts them in order, reports the first that exits while
 * the cluster is meant to run (through `died`) and then stops the rest, and stops everything on
 * request — hooks first (the load spreader), processes in reverse start order.
 */
export class Supervisor {
  readonly runs: Running[] = [];
  readonly died: Promise<ComponentDiedError>;
  private stopping = false;
  private report: (e: ComponentDiedError) => void = () => {};
  private readonly hooks: (() => Promise<void>)[] = [];

  constructor(
    private readonly pidFile: string,
    private readonly specs: readonly ComponentSpec[],
  ) {
    this.died = new Promise((resolve) => (this.report = resolve));
  }

  async start(spec: ComponentSpec, logDir: string): Promise<Running> {
    const run = startProcess(spec, logDir);
    this.runs.push(run);
    await writePidFile(this.pidFile, this.runs, this.specs);
    run.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      void lastLines(run.logFile).then((tail) => {
        this.report(
          new ComponentDiedError(
            `${spec.name} exited (${code ?? signal}); last lines of ${run.logFile}:\n${tail}`,
          ),
        );
        void this.stop();
      });
    });
    return run;
  }

  onStop(hook: () => Promise<void>): void {
    this.hooks.push(hook);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const hook of this.hooks.splice(0)) await hook().catch(() => undefined);
    await stopAll([...this.runs].reverse());
  }

  /** Stops everything and forgets the pids (nothing is left for the next start to reap). */
  async stopAndForget(): Promise<void> {
    await this.stop();
    await writePidFile(this.pidFile, [], this.specs);
  }
}
