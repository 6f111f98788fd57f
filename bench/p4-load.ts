// P4: load as policies multiply. N policies × 10 pods, one namespace each, default 30 s interval,
// a metric and a condition trigger that never hold. Measured at the sim: API requests per minute
// (every resource request the operator makes), the process RSS the operator added, and the p99
// evaluation lag (now − the workflow's last evaluation − interval, from its status query, for a
// sample of the policies every 2 s: the CR's status.lastEvaluated is mirrored lazily, so it would
// measure the mirror, not the evaluations). Goal:
// requests/min flat in N (watches, not lists), RSS < 500 MB and lag p99 < 2 s at 1,000.
import {
  POLICIES,
  healingPolicy,
  startBenchEngine,
  deletePod,
  crashLoopTrigger,
  type BenchEngine,
} from './engine.js';
import { log, percentile, round, rssMb, sleep, waitUntil } from './figures.js';
import { createNamespace, deployment, waitReady } from './sim-pods.js';
import { policyWorkflowId } from '../domain/ids.js';
import { policyStatusQuery } from '../workflows/messages.js';

const INTERVAL_MS = 30_000;
const PODS_PER_POLICY = 10;

/** The figures of one P4 size, from what the sim or the real cluster measured over the window. */
export function p4Figures(m: {
  requests: number;
  minutes: number;
  rssBefore: number;
  lags: number[];
  evaluated: number[];
}): P4Figures {
  return {
    requestsPerMin: Math.round(m.requests / m.minutes),
    rssMb: rssMb(),
    operatorRssMb: rssMb() - m.rssBefore,
    lagP99Ms: round(percentile(m.lags, 99), 0),
    evaluated: m.evaluated.filter(Number.isFinite).length,
  };
}

export interface P4Figures {
  requestsPerMin: number;
  /** Process RSS with the operator running, in a process of its own (sim included). */
  rssMb: number;
  /** What starting the operator and its policies added to the sim's RSS. */
  operatorRssMb: number;
  lagP99Ms: number | undefined;
  evaluated: number;
}

export const idleTriggers = [
  { name: 'memory', type: 'metric', metricTrigger: { query: 'memory_usage_percent', threshold: 95 } },
  crashLoopTrigger,
];

const LAG_SAMPLE = 50;

/** The workflows' own last evaluation (epoch ms) of up to LAG_SAMPLE random policies; a failed query is left out. */
export async function sampledLastEvaluated(engine: BenchEngine, policies: number): Promise<number[]> {
  const picked = new Set<number>();
  while (picked.size < Math.min(LAG_SAMPLE, policies)) picked.add(Math.floor(Math.random() * policies));
  const views = await Promise.all(
    [...picked].map((i) =>
      engine.client.workflow
        .getHandle(policyWorkflowId(engine.config.clusterName, `p4-${i}`, 'idle'))
        .query(policyStatusQuery)
        .catch(() => undefined),
    ),
  );
  return views.flatMap((v) => (v?.lastEvaluatedMs ? [v.lastEvaluatedMs] : []));
}

/** now − last evaluation − interval for up to LAG_SAMPLE random policies, from the workflows. */
export async function evaluationLags(engine: BenchEngine, policies: number): Promise<number[]> {
  const last = await sampledLastEvaluated(engine, policies);
  const now = Date.now();
  // A query that failed (timed out) says nothing about the evaluations: left out, not counted as lag.
  return last.map((t) => Math.max(0, now - t - INTERVAL_MS));
}

export function lastEvaluated(engine: BenchEngine): number[] {
  return engine.sim.store
    .view(POLICIES)
    .map((p) => Date.parse((p.status as { lastEvaluated?: string } | undefined)?.lastEvaluated ?? ''));
}

export async function createP4Workloads(engine: BenchEngine, policies: number): Promise<void> {
  for (let i = 0; i < policies; i++) {
    const ns = `p4-${i}`;
    createNamespace(engine.sim.store, ns);
    engine.apply([deployment(ns, 'app', PODS_PER_POLICY)]);
  }
  for (let i = 0; i < policies; i++) await waitReady(engine.sim.store, `p4-${i}`, PODS_PER_POLICY, 300_000);
}

export async function benchP4(policies: number, measureMs: number): Promise<P4Figures> {
  const engine = await startBenchEngine({ operator: false });
  try {
    await createP4Workloads(engine, policies);
    const rssBefore = rssMb();
    await engine.startOperator();
    engine.apply(
      Array.from({ length: policies }, (_, i) =>
        healingPolicy(`p4-${i}`, 'idle', 'app', { triggers: idleTriggers, actions: [deletePod] }),
      ),
    );
    // Measure once every policy has been evaluated (its status mirrors a lastEvaluated).
    const warm = Math.max(120_000, policies * 400);
    const allEvaluated = await waitUntil(() => lastEvaluated(engine).every(Number.isFinite), warm, 1_000);
    engine.sim.resetRequestCounts();
    const started = Date.now();
    const lags: number[] = [];
    while (Date.now() - started < measureMs) {
      await sleep(2_000);
      lags.push(...(await evaluationLags(engine, policies)));
    }
    const counts = engine.sim.requestCounts();
    const minutes = (Date.now() - started) / 60_000;
    const r = p4Figures({
      requests: counts.total,
      minutes,
      rssBefore,
      lags,
      evaluated: lastEvaluated(engine),
    });
    const top = Object.entries(counts.byResource)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${Math.round(v / minutes)}`)
      .join(', ');
    log(
      `P4 ${policies} policies × ${PODS_PER_POLICY} pods: ${r.requestsPerMin} requests/min (${top}), ` +
        `RSS ${r.rssMb} MB (operator +${r.operatorRssMb} MB over the sim's), lag p99 ${r.lagP99Ms} ms, ` +
        `${r.evaluated}/${policies} evaluated${allEvaluated ? '' : ' (not all were evaluated before measuring)'}`,
    );
    return r;
  } finally {
    await engine.stop();
  }
}
