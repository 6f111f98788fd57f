// What the shared watch cache saves, counted at the sim: N policies in one namespace cost one
// list+watch per kind (and one metrics.k8s.io list per freshness window), not N lists per kind per
// tick; and how many bytes an idle tick of 10 pods adds to a policy's history. The same policies
// with KUBESKIPPY_WATCH_CACHE=off are counted too, for the before/after figure.
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { healingPolicy, policyHandle, policyStatus, sleep } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';
import { historyToJson } from '../../tools/replay/history-json.js';

const N = 5;
const PODS = 10;
const WINDOW_MS = 6000;
const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.stop();
});

const names = Array.from({ length: N }, (_, i) => `load-${i}`);

/** N idle policies on one 10-pod Deployment: a condition trigger and a usage metric that never hold. */
async function idlePolicies(watchCache: boolean): Promise<Engine> {
  const engine = await startEngine({ watchCache });
  engines.push(engine);
  engine.apply([deployment('load', { replicas: PODS, behaviour: { behavior: 'healthy' } })]);
  engine.apply(
    names.map((name) =>
      healingPolicy(engine.namespace, name, 'load', {
        mode: 'monitor',
        evaluationInterval: '1s',
        triggers: [
          { name: 'backoff', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } },
          {
            name: 'cpu',
            type: 'metric',
            metricTrigger: { query: 'cpu_usage_millicores', operator: '>', threshold: 1e6 },
          },
        ],
        actions: [{ name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete' } }],
      }),
    ),
  );
  await eventually('every policy evaluating 10 pods', async () => {
    const statuses = await Promise.all(names.map((n) => policyStatus(engine, n).catch(() => undefined)));
    return statuses.every((s) => (s?.counters.evaluations ?? 0) >= 2);
  });
  await sleep(1000); // the cache's kinds are listed and watching
  return engine;
}

/** Resource requests in one steady window, by "VERB path", and the evaluations they served. */
async function steadyWindow(
  engine: Engine,
): Promise<{ requests: Record<string, number>; evaluations: number }> {
  const count = async (): Promise<number> =>
    (await Promise.all(names.map((n) => policyStatus(engine, n)))).reduce(
      (s, v) => s + v.counters.evaluations,
      0,
    );
  const before = await count();
  engine.sim.resetRequests();
  await sleep(WINDOW_MS);
  const requests = engine.sim.requests();
  return { requests, evaluations: (await count()) - before };
}

const reads = (r: Record<string, number>, ns: string): Record<string, number> =>
  Object.fromEntries(
    Object.entries(r).filter(
      ([k]) =>
        k.startsWith('GET ') &&
        !k.includes('healingpolicies') &&
        !k.includes('healingactions') &&
        (k.includes(`/namespaces/${ns}/`) || /^GET \/apis?\/[^/]+(\/v[^/]+)?\/[a-z]+$/.test(k)),
    ),
  );

/** JSON bytes an idle tick adds to a policy's history (one collectSnapshot + one timer). */
async function historyBytesPerTick(engine: Engine): Promise<{ bytes: number; ticks: number }> {
  const handle = policyHandle(engine, names[0]!);
  const measure = async (): Promise<{ size: number; ticks: number }> => {
    const history = await handle.fetchHistory();
    const ticks = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes).length;
    return { size: JSON.stringify(historyToJson(history)).length, ticks };
  };
  const a = await measure();
  await sleep(4000);
  const b = await measure();
  return { bytes: Math.round((b.size - a.size) / (b.ticks - a.ticks)), ticks: b.ticks - a.ticks };
}

describe(`${N} policies on one namespace of ${PODS} pods`, () => {
  it('cost one list+watch per kind with the cache, not a list per kind per evaluation', async () => {
    const on = await idlePolicies(true);
    const cached = await steadyWindow(on);
    const history = await historyBytesPerTick(on);
    await on.stop();
    engines.length = 0;

    const off = await idlePolicies(false);
    const direct = await steadyWindow(off);

    console.log(
      `watch cache on: ${cached.evaluations} evaluations in ${WINDOW_MS} ms, reads ${JSON.stringify(reads(cached.requests, on.namespace))}, ` +
        `watches ${JSON.stringify(Object.fromEntries(Object.entries(cached.requests).filter(([k]) => k.startsWith('WATCH'))))}\n` +
        `watch cache off: ${direct.evaluations} evaluations, reads ${JSON.stringify(reads(direct.requests, off.namespace))}\n` +
        `history: ${history.bytes} JSON bytes per idle tick of ${PODS} pods (over ${history.ticks} ticks)`,
    );
    const podLists = (r: Record<string, number>, ns: string): number =>
      (r[`GET /api/v1/namespaces/${ns}/pods`] ?? 0) + (r['GET /api/v1/pods'] ?? 0);
    expect(cached.evaluations).toBeGreaterThanOrEqual(N * 3);
    // Synced before the window: no pod, workload, event or PDB list at all while evaluating.
    for (const path of ['pods', 'events']) {
      expect(cached.requests[`GET /api/v1/namespaces/${on.namespace}/${path}`] ?? 0).toBe(0);
      expect(cached.requests[`GET /api/v1/${path}`] ?? 0).toBe(0);
    }
    expect(cached.requests[`GET /apis/apps/v1/namespaces/${on.namespace}/replicasets`] ?? 0).toBe(0);
    expect(cached.requests[`GET /apis/policy/v1/namespaces/${on.namespace}/poddisruptionbudgets`] ?? 0).toBe(
      0,
    );
    // metrics.k8s.io: shared by all N policies, but never older than half their 1 s interval: at
    // most one list per 500 ms, fewer than one per evaluation.
    const metrics = cached.requests[`GET /apis/metrics.k8s.io/v1beta1/namespaces/${on.namespace}/pods`] ?? 0;
    expect(metrics).toBeLessThanOrEqual(Math.ceil(WINDOW_MS / 500) + 1);
    expect(metrics).toBeLessThan(cached.evaluations);
    // Without the cache: a pod list per evaluation, so it grows with N.
    expect(podLists(direct.requests, off.namespace)).toBeGreaterThanOrEqual(direct.evaluations - N);
    // Before the compaction this was 19,992 bytes (same measurement at b744673): whole-pod annotations,
    // every condition with its transition time, node names and both requests and limits.
    expect(history.bytes).toBeLessThan(15_000);
  });
});
