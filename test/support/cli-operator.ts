// `kubeskippy operator` (or `worker` / `controller`) as a child process, the way a user runs it,
// against an engine's simulated cluster and Temporal server: for tests that must kill the process
// (SIGKILL: no shutdown hooks, no graceful worker drain) and start another one.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Engine } from './engine-harness.js';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));

export interface CliOperator {
  pid: number;
  /** Everything written to stdout and stderr so far (pino JSON lines), for failure messages. */
  output(): string;
  /** Settles when the process has exited, with its code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

/** What the process needs of an engine: a kubeconfig and Temporal (the real tier's too). */
export type OperatorTarget = Pick<Engine, 'kubeconfig'> & {
  config: Pick<Engine['config'], 'temporalAddress' | 'temporalNamespace' | 'taskQueue' | 'clusterName'>;
};

export function spawnCliOperator(
  engine: OperatorTarget,
  command: 'operator' | 'worker' | 'controller' = 'operator',
  opts: { metricsPort?: number; env?: Record<string, string>; nodeArgs?: string[]; args?: string[] } = {},
): CliOperator {
  const args = [
    ...(opts.nodeArgs ?? []),
    bin,
    command,
    '--kubeconfig',
    engine.kubeconfig,
    '--temporal-address',
    engine.config.temporalAddress,
    '--temporal-namespace',
    engine.config.temporalNamespace,
    '--cluster-name',
    engine.config.clusterName,
    '--task-queue',
    engine.config.taskQueue,
    '--metrics-port',
    String(opts.metricsPort ?? 0),
    '--log-level',
    'warn',
    ...(opts.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    pid: child.pid!,
    output: () => out,
    exited,
    kill: async () => {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
  };
}
