// P6: workers scale out. One sim, one Temporal dev server, one `kubeskippy controller` and N
// `kubeskippy worker` processes on one task queue (N = 1, 2, 4 by default, each set started after
// the last one stopped), P4's 1,000 idle policies × 10 pods plus one burst policy. For each N:
// - evaluation lag: P4's measure (now − the workflow's last evaluation − interval, from its status
//   query, for 50 random policies every 2 s), p50/p99 over a steady window once every sampled
//   policy has been evaluated by the new workers;
// - actions/s: every pod of the burst Deployment crash-loops at once; from the first HealingAction
//   to the last Succeeded (P5's measure), with the destructive calls counted at the sim (each
//   target deleted exactly once) and the executeAction activities' worker identities read from the
//   action workflows' histories;
// - the spread: workflow tasks and activities each worker completed over the phase (its /metrics),
//   and the CPU each process used (/proc), since on a 2-core machine more processes share the
//   same cores.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACTIONS,
  benchWorkflowBundle,
  crashLoopTrigger,
  deletePod,
  fastVerification,
  healingPolicy,
  makeCrashLoop,
  startBenchEngine,
  watchTimes,
  type BenchEngine,
} from './engine.js';
import { log, percentile, round, sleep, waitUntil } from './figures.js';
import {
  createP4Workloads,
  evaluationLags,
  idleTriggers,
  lastEvaluated,
  sampledLastEvaluated,
} from './p4-load.js';
import {
  cpuSeconds,
  rssMbOf,
  startOperatorProcess,
  taskCounts,
  type OperatorProcess,
  type ProcessTarget,
  type TaskCounts,
} from './p6-procs.js';
import { workerSpread } from './p6-spread.js';
import { createNamespace, deployment, readyPods, waitReady } from './sim-pods.js';

const NS = 'p6-burst';

export interface P6Run {
  workers: number;
  actionsPerS: number | undefined;
  burstS: number | undefined;
  succeeded: number;
  /** Targets whose pod the sim saw deleted other than exactly once, and HealingActions beyond one per target. */
  duplicates: number;
  missing: number;
  lagP50Ms: number | undefined;
  lagP99Ms: number | undefined;
  lagSamples: number;
  /** Per worker: workflow tasks and activities over the phase (/metrics), executeActions of the burst (histories). */
  spread: { workflowTasks: number; activities: number; burstExecutes: number }[];
  /** CPU cores used over the phase (CPU seconds / wall seconds): the workers together, the controller, the dev server, the bench (sim). */
  cpu: { workers: number; controller: number; temporal: number; bench: number };
  /** Each worker's RSS at the end of the phase (each holds its own watch cache of the cluster). */
  workerRssMb: number[];
}

export interface P6Options {
  policies: number;
  workerCounts: number[];
  measureMs: number;
  targets: number;
}

export async function benchP6(o: P6Options): Promise<P6Run[]> {
  const engine = await startBenchEngine({ operator: false });
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-p6-'));
  const procs: OperatorProcess[] = [];
  try {
    const bundleFile = join(dir, 'workflows.js');
    await writeFile(bundleFile, (await benchWorkflowBundle()).code);
    const target: ProcessTarget = {
      kubeconfig: engine.kubeconfig,
      temporalAddress: engine.temporal.address,
      taskQueue: 'bench',
      workflowBundleFile: bundleFile,
    };
    await createWorkloads(engine, o);
    const controller = await startOperatorProcess(target, 'controller');
    procs.push(controller);
    engine.apply([...idlePolicies(o.policies), burstPolicy(o.targets)]);
    const runs: P6Run[] = [];
    for (const n of o.workerCounts) {
      const workers = await Promise.all(
        Array.from({ length: n }, () => startOperatorProcess(target, 'worker')),
      );
      procs.push(...workers);
      runs.push(await measure(engine, o, workers, controller, runs.length === 0));
      await Promise.all(workers.map((w) => w.stop()));
    }
    return runs;
  } finally {
    await Promise.all(procs.map((p) => p.stop(5_000)));
    await engine.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function createWorkloads(engine: BenchEngine, o: P6Options): Promise<void> {
  await createP4Workloads(engine, o.policies);
  createNamespace(engine.sim.store, NS);
  engine.apply([deployment(NS, 'burst', o.targets)]);
  await waitReady(engine.sim.store, NS, o.targets, 300_000);
}

const idlePolicies = (n: number): ReturnType<typeof healingPolicy>[] =>
  Array.from({ length: n }, (_, i) =>
    healingPolicy(`p4-${i}`, 'idle', 'app', { triggers: idleTriggers, actions: [deletePod] }),
  );

const burstPolicy = (targets: number): ReturnType<typeof healingPolicy> =>
  healingPolicy(NS, 'burst', 'burst', {
    evaluationInterval: '5s',
    triggers: [crashLoopTrigger],
    actions: [deletePod],
    verification: fastVerification,
    // Each phase's burst relapses on the same Deployment: the relapse guard would put the fix on
    // hold (approval) from the third; throughput is measured here, so it is off.
    safetyRules: {
      maxActionsPerHour: 100_000,
      maxConcurrentActions: targets,
      minReadyReplicas: 0,
      ineffectiveRemediation: { enabled: false },
    },
  });

/** Waits until every sampled policy was evaluated after `since` (the new workers run them). */
async function settle(engine: BenchEngine, policies: number, since: number, first: boolean): Promise<void> {
  const warmMs = Math.max(120_000, policies * 400);
  if (first) await waitUntil(() => lastEvaluated(engine).every(Number.isFinite), warmMs, 1_000);
  await waitUntil(
    async () => {
      const last = await sampledLastEvaluated(engine, policies);
      return last.length > 0 && last.every((t) => t > since);
    },
    warmMs,
    2_000,
  );
}

async function measure(
  engine: BenchEngine,
  o: P6Options,
  workers: OperatorProcess[],
  controller: OperatorProcess,
  first: boolean,
): Promise<P6Run> {
  const since = Date.now();
  await settle(engine, o.policies, since, first);
  const before = await snapshot(engine, workers, controller);
  const lags: number[] = [];
  const started = Date.now();
  while (Date.now() - started < o.measureMs) {
    await sleep(2_000);
    lags.push(...(await evaluationLags(engine, o.policies)));
  }
  const burst = await runBurst(engine, o.targets);
  const after = await snapshot(engine, workers, controller);
  const burstExecutes = await workerSpread(engine.client, burst.workflowIds, workers);
  const wall = (after.at - before.at) / 1000;
  const cores = (a: number, b: number): number => round((a - b) / wall, 2) ?? NaN;
  const run: P6Run = {
    workers: workers.length,
    ...burst.figures,
    lagP50Ms: round(percentile(lags, 50), 0),
    lagP99Ms: round(percentile(lags, 99), 0),
    lagSamples: lags.length,
    spread: workers.map((_, i) => ({
      workflowTasks: after.tasks[i]!.workflowTasks - before.tasks[i]!.workflowTasks,
      activities: after.tasks[i]!.activities - before.tasks[i]!.activities,
      burstExecutes: burstExecutes[i]!,
    })),
    cpu: {
      workers: cores(sum(after.cpuWorkers), sum(before.cpuWorkers)),
      controller: cores(after.cpuController, before.cpuController),
      temporal: cores(after.cpuTemporal, before.cpuTemporal),
      bench: cores(after.cpuBench, before.cpuBench),
    },
    workerRssMb: workers.map((w) => rssMbOf(w.pid)),
  };
  logRun(run);
  return run;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

interface Snapshot {
  at: number;
  tasks: TaskCounts[];
  cpuWorkers: number[];
  cpuController: number;
  cpuTemporal: number;
  cpuBench: number;
}

async function snapshot(
  engine: BenchEngine,
  workers: OperatorProcess[],
  controller: OperatorProcess,
): Promise<Snapshot> {
  const tasks = await Promise.all(workers.map(taskCounts));
  const u = process.cpuUsage();
  return {
    at: Date.now(),
    tasks,
    cpuWorkers: workers.map((w) => cpuSeconds(w.pid)),
    cpuController: cpuSeconds(controller.pid),
    cpuTemporal: cpuSeconds(engine.temporal.pid),
    cpuBench: (u.user + u.system) / 1e6,
  };
}

type BurstFigures = Pick<P6Run, 'actionsPerS' | 'burstS' | 'succeeded' | 'duplicates' | 'missing'>;

/** Every ready pod of the burst Deployment crash-loops at once; waits for every action to succeed. */
async function runBurst(
  engine: BenchEngine,
  targets: number,
): Promise<{ figures: BurstFigures; workflowIds: string[] }> {
  await waitReady(engine.sim.store, NS, targets, 300_000);
  const deletesBefore = podDeletes(engine);
  const times = watchTimes(engine.sim, NS);
  const victims = readyPods(engine.sim.store, NS).map((p) => p.metadata.name!);
  for (const v of victims) makeCrashLoop(engine.sim, NS, v);
  await waitUntil(() => victims.every((v) => times.succeeded.has(v)), 600_000, 250);
  times.stop();
  const deletes = podDeletes(engine);
  const mine = new Set(victims);
  const actions = engine.sim.store
    .view(ACTIONS)
    .filter((a) => a.metadata.namespace === NS && mine.has(targetName(a)));
  const perTarget = (v: string): number => actions.filter((a) => targetName(a) === v).length;
  const calls = (v: string): number => (deletes.get(v) ?? 0) - (deletesBefore.get(v) ?? 0);
  const done = victims.filter((v) => times.succeeded.has(v));
  const first = Math.min(...victims.flatMap((v) => times.created.get(v) ?? []));
  const last = Math.max(...done.map((v) => times.succeeded.get(v)!));
  const spanS = done.length > 0 ? (last - first) / 1000 : undefined;
  return {
    figures: {
      actionsPerS: spanS ? round(done.length / spanS, 2) : undefined,
      burstS: round(spanS, 1),
      succeeded: done.length,
      duplicates: victims.filter((v) => calls(v) > 1 || perTarget(v) > 1).length,
      missing: victims.filter((v) => calls(v) < 1 || perTarget(v) < 1).length,
    },
    workflowIds: actions.flatMap((a) => {
      const id = (a.status as { workflowId?: string } | undefined)?.workflowId;
      return id ? [id] : [];
    }),
  };
}

const targetName = (a: { spec?: Record<string, unknown> }): string =>
  (a.spec?.['targetResource'] as { name?: string } | undefined)?.name ?? '';

/** DELETE requests per pod name of the burst namespace, as the sim's API counted them. */
function podDeletes(engine: BenchEngine): Map<string, number> {
  const pod = new RegExp(`^DELETE /api/v1/namespaces/${NS}/pods/([^/]+)$`);
  const out = new Map<string, number>();
  for (const [key, n] of Object.entries(engine.sim.requests())) {
    const m = pod.exec(key);
    if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + n);
  }
  return out;
}

function logRun(r: P6Run): void {
  const spread = r.spread
    .map((s) => `${s.workflowTasks} wft/${s.activities} act/${s.burstExecutes} exec`)
    .join(', ');
  log(
    `P6 ${r.workers} worker(s): burst ${r.succeeded} Succeeded in ${r.burstS} s → ${r.actionsPerS} actions/s ` +
      `(${r.duplicates} duplicated, ${r.missing} missing); evaluation lag p50 ${r.lagP50Ms} / p99 ${r.lagP99Ms} ms ` +
      `(${r.lagSamples} samples); per worker ${spread}; CPU cores: workers ${r.cpu.workers}, ` +
      `controller ${r.cpu.controller}, temporal ${r.cpu.temporal}, bench+sim ${r.cpu.bench}; ` +
      `worker RSS ${r.workerRssMb.join(' / ')} MB`,
  );
}
