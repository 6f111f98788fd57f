// P6's operator processes: `kubeskippy controller` and `kubeskippy worker` as a user runs them
// (node bin/kubeskippy.js, one OS process each, all on one task queue), each in a process group of
// its own so stop() ends whatever it started, and an exit hook that SIGKILLs any group still alive
// if the bench dies first. Also what is read from them: /readyz, the SDK's task counters on
// /metrics, and the CPU time of each process from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../tools/dev-server.js';
import { sleep, waitUntil } from './figures.js';

const bin = fileURLToPath(new URL('../bin/kubeskippy.js', import.meta.url));
const alive = new Set<number>();
// A SIGTERM (timeout, CI) exits through the hook too; SIGINT already does (bench/run.ts).
process.once('SIGTERM', () => process.exit(143));
process.once('exit', () => {
  for (const pid of alive) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface OperatorProcess {
  role: 'controller' | 'worker';
  pid: number;
  metricsPort: number;
  /** The Temporal worker identity the SDK gives it by default (pid@host), as histories record it. */
  identity: string;
  output(): string;
  /** SIGTERM to the group (the operator drains), SIGKILL after `graceMs`; waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

export interface ProcessTarget {
  kubeconfig: string;
  temporalAddress: string;
  taskQueue: string;
  /** A bundleWorkflowCode file (KUBESKIPPY_WORKFLOW_BUNDLE), so each worker does not bundle again. */
  workflowBundleFile: string;
}

export async function startOperatorProcess(
  target: ProcessTarget,
  role: 'controller' | 'worker',
  timeoutMs = 180_000,
): Promise<OperatorProcess> {
  const metricsPort = await findFreePort();
  const args = [
    ...[bin, role, '--kubeconfig', target.kubeconfig, '--temporal-address', target.temporalAddress],
    ...['--task-queue', target.taskQueue, '--metrics-port', String(metricsPort), '--log-level', 'warn'],
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBESKIPPY_WORKFLOW_BUNDLE: target.workflowBundleFile },
  });
  const pid = child.pid!;
  alive.add(pid);
  let out = '';
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
    alive.delete(pid);
  });
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(-pid, s);
    } catch {
      // the group is gone
    }
  };
  const proc: OperatorProcess = {
    role,
    pid,
    metricsPort,
    identity: `${pid}@${(await import('node:os')).hostname()}`,
    output: () => out,
    stop: async (graceMs = 20_000) => {
      if (!gone) signal('SIGTERM');
      if (!(await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]))) {
        signal('SIGKILL');
        await exited;
      }
    },
  };
  const ready = await waitUntil(
    async () => {
      if (gone) return true;
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
      return res?.status === 200;
    },
    timeoutMs,
    250,
  );
  if (!ready || gone) {
    await proc.stop(1_000);
    throw new Error(`${role} ${pid} did not become ready:\n${out}`);
  }
  return proc;
}

/** CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm field: state is index 0, utime 11, stime 12 (clock ticks, 100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in MB, from /proc/<pid>/status. */
export function rssMbOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

export interface TaskCounts {
  workflowTasks: number;
  activities: number;
}

/** Workflow tasks and activities this worker has completed, from the SDK's series on its /metrics. */
export async function taskCounts(proc: OperatorProcess): Promise<TaskCounts> {
  const res = await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`).catch(() => undefined);
  const text = res?.ok ? await res.text() : '';
  const sum = (family: RegExp): number => {
    let n = 0;
    for (const m of text.matchAll(/^(\w+)(?:\{[^}]*\})? ([\d.eE+-]+)$/gm))
      if (family.test(m[1]!)) n += Number(m[2]);
    return n;
  };
  return {
    workflowTasks: sum(/^temporal_workflow_task_execution_latency\w*_count$/),
    activities: sum(/^temporal_activity_execution_latency\w*_count$/),
  };
}
