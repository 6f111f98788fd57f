// A burst: 50 pods of one Deployment go bad at once under one policy. The first evaluation that
// sees them plans all 50 (the caps allow it), the tick starts all 50 healing actions, and each pod
// is remediated exactly once and verified healed. The time from the first HealingAction to the last
// Succeeded is printed (actions/s, issue 12's P5); it is a figure to compare, never asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  describeActions,
  healingPolicy,
  podsOf,
  policyStatus,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const PODS = 'core/v1/pods';
const N = 50;

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

type Pod = ReturnType<typeof podsOf>[number];
const isReady = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );
// Error (the container's last termination) stays true between restarts, unlike CrashLoopBackOff,
// which the container leaves for each retry: so the first evaluation sees every crashed pod.
const crashed = (p: Pod): boolean =>
  (p.status?.containerStatuses ?? []).some(
    (c: { lastState?: { terminated?: { reason?: string } } }) => c.lastState?.terminated?.reason === 'Error',
  );

describe('a burst of fires', () => {
  it(`starts all ${N} actions of one tick and heals each pod exactly once`, async () => {
    engine.apply([deployment('burst', { replicas: N, limits: { memory: '64Mi', cpu: '100m' } })]);
    const healthy = await eventually(`${N} ready pods`, () => {
      const pods = podsOf(engine, 'burst');
      return pods.length === N && pods.every(isReady) ? pods : undefined;
    });
    // All 50 go bad at once: their own annotations (not the template's) say crash-loop, so the
    // replacements the Deployment makes are healthy again.
    for (const p of healthy) {
      engine.sim.store.mutate(PODS, engine.namespace, p.metadata.name!, (o) => {
        o.metadata.annotations = {
          ...o.metadata.annotations,
          'sim.kubeskippy.io/behavior': 'crashloop',
          'sim.kubeskippy.io/crash-after': '100ms',
        };
      });
    }
    await eventually(`all ${N} pods crashed`, () => podsOf(engine, 'burst').filter(crashed).length === N);
    // The policy arrives after: its first evaluation sees all 50 at once.
    engine.apply([
      healingPolicy(engine.namespace, 'burst', 'burst', {
        triggers: [
          {
            name: 'crashed',
            type: 'condition',
            conditionTrigger: { type: 'Error' },
            cooldownPeriod: '5m',
          },
        ],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 2 * N, maxConcurrentActions: N },
        verification: { delay: '1s', interval: '1s', timeout: '60s' },
      }),
    ]);
    const done = await eventually(
      () => `${N} Succeeded actions: ${describeActions(engine, 'burst')}`,
      () => {
        const all = actionsOf(engine, 'burst');
        return all.length >= N && all.every((a) => a.status?.phase === 'Succeeded') ? all : undefined;
      },
      120_000,
    );
    // Each of the 50 original pods exactly once, all planned by one evaluation.
    expect(done).toHaveLength(N);
    expect(done.map((a) => a.spec.targetResource.name).sort()).toEqual(
      healthy.map((p) => p.metadata.name).sort(),
    );
    expect(new Set(done.map((a) => a.spec.trigger!.firedAt)).size).toBe(1);
    const status = await policyStatus(engine, 'burst');
    expect(status.counters.actionsStarted).toBe(N);
    const created = Math.min(...done.map((a) => Date.parse(a.metadata.creationTimestamp!)));
    const finished = Math.max(...done.map((a) => Date.parse(a.status!.completionTime!)));
    const seconds = (finished - created) / 1000;
    console.log(
      `BURST ${N} actions Succeeded ${seconds.toFixed(1)} s after the first HealingAction: ${(N / seconds).toFixed(1)} actions/s`,
    );
  }, 180_000);
});
