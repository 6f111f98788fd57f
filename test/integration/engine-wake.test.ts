// Event-driven detection through the whole engine (sim over HTTP, Temporal dev server, the operator
// as it runs): a policy with a 30 s interval reacts to a pod entering CrashLoopBackOff within a
// couple of seconds, because the worker's watch cache sees the change and signals evaluateNow —
// also when the watch was down while it happened, and when a 410 forced a re-list.
// With KUBESKIPPY_WATCH_CACHE=off (or before the cache existed) each of these waits for the tick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../sim/contract.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, healingPolicy, policyStatus } from '../support/engine-scenarios.js';
import { crashLoopingDeployment } from '../support/sim-fixtures.js';

let engine: Engine;
const stops: (() => void)[] = [];
beforeAll(async () => {
  // 0.1: a crash 50 ms after each start, then back-off 1 s, 2 s, 4 s ...
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(async () => {
  stops.forEach((s) => s());
  await engine?.stop();
});

const INTERVAL = '30s';

/** A dry-run policy on `app` with a CrashLoopBackOff condition trigger and the default interval. */
const backoffPolicy = (app: string): KObject =>
  healingPolicy(engine.namespace, app, app, {
    mode: 'dryrun',
    evaluationInterval: INTERVAL,
    triggers: [
      {
        name: 'backoff',
        type: 'condition',
        conditionTrigger: { type: 'CrashLoopBackOff' },
        cooldownPeriod: '5m',
      },
    ],
    actions: [{ name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete' } }],
    safetyRules: { minReadyReplicas: 0 },
  });

const inBackOff = (pod: KObject): boolean =>
  (pod.status?.containerStatuses ?? []).some(
    (c: { state?: { waiting?: { reason?: string } } }) => c.state?.waiting?.reason === 'CrashLoopBackOff',
  );

/** Wall-clock times (this process = the sim's) of the first CrashLoopBackOff and HealingAction of `app`. */
function clock(app: string): { backoffMs?: number; actionMs?: number } {
  const seen: { backoffMs?: number; actionMs?: number } = {};
  stops.push(
    engine.sim.store.subscribe((e) => {
      const labels = e.object.metadata.labels ?? {};
      if (e.resource === 'core/v1/pods' && labels.app === app && inBackOff(e.object))
        seen.backoffMs ??= Date.now();
      if (
        e.resource.endsWith('/healingactions') &&
        e.type === 'ADDED' &&
        labels['kubeskippy.io/policy'] === app
      )
        seen.actionMs ??= Date.now();
    }),
  );
  return seen;
}

/** The policy's first evaluation (at start) is done: the next one is a tick 30 s away, or a wake. */
async function evaluatedOnce(app: string): Promise<number> {
  return eventually(
    `${app} evaluated once`,
    async () => (await policyStatus(engine, app).catch(() => undefined))?.lastEvaluatedMs,
  );
}

async function setFaults(config: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${engine.sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify(config) });
  expect(res.status).toBe(200);
}

const podWatches = (): number => engine.sim.requests()['WATCH /api/v1/pods'] ?? 0;

describe('event-driven detection', () => {
  it('acts within ~2 s of a pod entering CrashLoopBackOff, with a 30 s interval', async () => {
    const seen = clock('wake-fast');
    engine.apply([backoffPolicy('wake-fast')]);
    const firstEval = await evaluatedOnce('wake-fast');
    engine.apply([crashLoopingDeployment('wake-fast', '500ms')]);
    await eventually('a HealingAction', () => actionsOf(engine, 'wake-fast')[0], 25_000);
    const latency = seen.actionMs! - seen.backoffMs!;
    console.log(
      `detection: CrashLoopBackOff → HealingAction created in ${latency} ms (interval ${INTERVAL})`,
    );
    expect(latency).toBeLessThan(2000);
    expect(seen.actionMs! - firstEval).toBeLessThan(25_000); // not the 30 s tick
  });

  it('still acts when the watch dropped and could not reconnect while the pod began crash-looping', async () => {
    const seen = clock('wake-gap');
    engine.apply([backoffPolicy('wake-gap')]);
    const firstEval = await evaluatedOnce('wake-gap');
    await eventually('the worker watching pods', () => podWatches() > 0);
    // Kill every watch mid-stream and refuse new ones: the gap.
    await setFaults({ errorRate: { watch: 1 }, errorCodes: [503] });
    engine.sim.dropWatches();
    engine.apply([crashLoopingDeployment('wake-gap', '500ms')]);
    await eventually('the pod in CrashLoopBackOff during the gap', () => seen.backoffMs);
    await new Promise((r) => setTimeout(r, 1500));
    expect(actionsOf(engine, 'wake-gap')).toHaveLength(0); // nobody saw it yet
    const healedAt = Date.now();
    await setFaults({});
    await eventually(
      'a HealingAction after the watch resumed',
      () => actionsOf(engine, 'wake-gap')[0],
      20_000,
    );
    console.log(
      `after a watch gap: HealingAction ${seen.actionMs! - healedAt} ms after the API took watches again`,
    );
    expect(seen.actionMs! - firstEval).toBeLessThan(25_000); // the resumed watch, not the tick
  });

  it('a 410 Gone on resume forces a re-list that still reports the change', async () => {
    const seen = clock('wake-gone');
    engine.apply([backoffPolicy('wake-gone')]);
    const firstEval = await evaluatedOnce('wake-gone');
    await eventually('the worker watching pods', () => podWatches() > 0);
    const listsBefore = engine.sim.requests()['GET /api/v1/pods'] ?? 0;
    await setFaults({ errorRate: { watch: 1 }, errorCodes: [503] });
    engine.sim.dropWatches();
    engine.apply([crashLoopingDeployment('wake-gone', '500ms')]);
    await eventually('the pod in CrashLoopBackOff during the gap', () => seen.backoffMs);
    engine.sim.compactHistory(); // the cache's resourceVersion is now too old: 410 on resume
    await setFaults({});
    await eventually('a HealingAction after the re-list', () => actionsOf(engine, 'wake-gone')[0], 20_000);
    expect(engine.sim.requests()['GET /api/v1/pods'] ?? 0).toBeGreaterThan(listsBefore); // it re-listed
    expect(seen.actionMs! - firstEval).toBeLessThan(25_000);
  });
});
