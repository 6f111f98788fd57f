// P4 on the real control plane: the sim's P4 (bench/p4-load.ts) — N policies × 10 pods, one
// namespace each, default 30 s interval, a metric and a condition trigger that never hold — with
// real Deployments run by kwok. Requests are the operator's alone, counted by the API server
// (bench/real-requests.ts: per-identity FlowSchemas, before/after the window). RSS is this child
// process with the operator in it (there is no sim in it to subtract); lag as in the sim's P4 (from
// the workflows' status query for a sample of the policies: the CR's lastEvaluated is mirrored
// lazily, so it would measure the mirror).
import { healingPolicy, deletePod } from './engine.js';
import { log, rssMb, sleep, waitUntil } from './figures.js';
import { p4Figures, type P4Figures } from './p4-load.js';
import { idleTriggers } from './p4-load.js';
import type { RealCluster } from './real-cluster.js';
import { realDeployment, startRealBenchEngine, waitReadyReal, type RealBenchEngine } from './real-engine.js';
import { installRequestCounters, operatorRequestCounts, requestDelta } from './real-requests.js';
import type { KObject } from '../sim/contract.js';
import { policyWorkflowId } from '../domain/ids.js';
import { policyStatusQuery } from '../workflows/messages.js';

const INTERVAL_MS = 30_000;
const PODS_PER_POLICY = 10;

async function lastEvaluated(engine: RealBenchEngine, prefix: string): Promise<number[]> {
  const list = (await engine.admin.custom.listClusterCustomObject({
    group: 'kubeskippy.io',
    version: 'v1alpha1',
    plural: 'healingpolicies',
  })) as { items: KObject[] };
  return list.items
    .filter((p) => p.metadata.namespace?.startsWith(prefix))
    .map((p) => Date.parse((p.status as { lastEvaluated?: string } | undefined)?.lastEvaluated ?? ''));
}

const LAG_SAMPLE = 50;

/** now − last evaluation − interval for up to LAG_SAMPLE random policies, from the workflows. */
async function evaluationLags(engine: RealBenchEngine, namespaces: string[]): Promise<number[]> {
  const picked = new Set<string>();
  while (picked.size < Math.min(LAG_SAMPLE, namespaces.length))
    picked.add(namespaces[Math.floor(Math.random() * namespaces.length)]!);
  const views = await Promise.all(
    [...picked].map((ns) =>
      engine.client.workflow
        .getHandle(policyWorkflowId(engine.config.clusterName, ns, 'idle'))
        .query(policyStatusQuery)
        .catch(() => undefined),
    ),
  );
  const now = Date.now();
  // A query that failed (timed out) says nothing about the evaluations: left out, not counted as lag.
  return views.flatMap((v) =>
    v?.lastEvaluatedMs ? [Math.max(0, now - v.lastEvaluatedMs - INTERVAL_MS)] : [],
  );
}

async function setUp(engine: RealBenchEngine, namespaces: string[]): Promise<void> {
  for (const ns of namespaces) await engine.apply([realDeployment(ns, 'app', PODS_PER_POLICY)]);
  for (const ns of namespaces) await waitReadyReal(engine.admin, ns, 'app', PODS_PER_POLICY, 300_000);
}

export async function benchP4Real(
  cluster: RealCluster,
  policies: number,
  measureMs: number,
): Promise<P4Figures> {
  const engine = await startRealBenchEngine(cluster, { operator: false });
  const prefix = `bench-p4-${Date.now().toString(36)}-`;
  const namespaces = Array.from({ length: policies }, (_, i) => `${prefix}${i}`);
  try {
    await installRequestCounters(cluster.adminKubeconfig, cluster.operatorKubeconfig);
    await setUp(engine, namespaces);
    const rssBefore = rssMb();
    await engine.startOperator();
    await engine.apply(
      namespaces.map((ns) =>
        healingPolicy(ns, 'idle', 'app', { triggers: idleTriggers, actions: [deletePod] }),
      ),
    );
    const warm = Math.max(120_000, policies * 400);
    const allEvaluated = await waitUntil(
      async () => {
        const at = await lastEvaluated(engine, prefix);
        return at.length === policies && at.every(Number.isFinite);
      },
      warm,
      1_000,
    );
    const before = await operatorRequestCounts(cluster.adminKubeconfig);
    const started = Date.now();
    const lags: number[] = [];
    while (Date.now() - started < measureMs) {
      await sleep(2_000);
      lags.push(...(await evaluationLags(engine, namespaces)));
    }
    const counts = requestDelta(before, await operatorRequestCounts(cluster.adminKubeconfig));
    const minutes = (Date.now() - started) / 60_000;
    const evaluated = await lastEvaluated(engine, prefix);
    const r = p4Figures({ requests: counts.total, minutes, rssBefore, lags, evaluated });
    const top = Object.entries(counts.byResource)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${Math.round(v / minutes)}`)
      .join(', ');
    log(
      `P4 real ${policies} policies × ${PODS_PER_POLICY} pods: ${r.requestsPerMin} requests/min (${top}), ` +
        `RSS ${r.rssMb} MB (operator +${r.operatorRssMb} MB), lag p99 ${r.lagP99Ms} ms, ` +
        `${r.evaluated}/${policies} evaluated${allEvaluated ? '' : ' (not all were evaluated before measuring)'}`,
    );
    return r;
  } finally {
    await engine.stop();
    await engine.cleanUp(namespaces);
  }
}
