// Scaling out: one `kubeskippy controller` and two `kubeskippy worker` processes on one task
// queue, as a user would run them to share the work. Two policies, and every pod of both goes bad
// at once: each pod is healed exactly once (one HealingAction, one DELETE counted at the sim's API
// server), however the two workers split the work, and both workers did some of it (the worker
// identity Temporal recorded when each action's executeAction activity started).
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliOperator } from '../support/cli-operator.js';
import { destructiveCalls, readyCliOperator } from '../support/chaos.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, describeActions, healingPolicy, podsOf } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const PODS = 'core/v1/pods';
const APPS = ['left', 'right'];
const REPLICAS = 8;

let engine: Engine;
const children: CliOperator[] = [];
beforeAll(async () => {
  // No in-process operator: the controller and both workers are child processes.
  engine = await startEngine({ timeScale: 0.1, operator: false });
});
afterAll(async () => {
  for (const c of children) await c.kill();
  await engine?.stop();
});

type Pod = ReturnType<typeof podsOf>[number];
const isReady = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );

function burstPolicy(app: string): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, app, app, {
    evaluationInterval: '2s',
    triggers: [
      { name: 'crashed', type: 'condition', conditionTrigger: { type: 'Error' }, cooldownPeriod: '5m' },
    ],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 100, maxConcurrentActions: REPLICAS },
    verification: { delay: '1s', interval: '1s', timeout: '60s' },
  });
}

/** Worker identity (pid@host, the SDK's default) of each executeAction start in one action's history. */
async function executeIdentities(workflowId: string): Promise<string[]> {
  const events = (await engine.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const executes = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'executeAction')
      .map((e) => String(e.eventId)),
  );
  return events.flatMap((e) => {
    const a = e.activityTaskStartedEventAttributes;
    return a && executes.has(String(a.scheduledEventId)) ? [a.identity ?? ''] : [];
  });
}

describe('two workers on one task queue', () => {
  it('heal a burst exactly once between them, and both take part', { timeout: 150_000 }, async () => {
    const ready = (command: 'worker' | 'controller'): Promise<CliOperator> =>
      readyCliOperator(engine, 60_000, { command }).then((c) => (children.push(c), c));
    const workers = await Promise.all([ready('worker'), ready('worker')]);
    await ready('controller');
    engine.apply(APPS.map((app) => deployment(app, { replicas: REPLICAS })));
    const victims = await eventually(`${APPS.length * REPLICAS} ready pods`, () => {
      const pods = APPS.flatMap((app) => podsOf(engine, app));
      return pods.length === APPS.length * REPLICAS && pods.every(isReady) ? pods : undefined;
    });
    engine.apply(APPS.map(burstPolicy));
    // Every pod goes bad at once; its own annotations say so, so the Deployment's replacements are healthy.
    for (const p of victims)
      engine.sim.store.mutate(PODS, engine.namespace, p.metadata.name!, (o) => {
        o.metadata.annotations = {
          ...o.metadata.annotations,
          'sim.kubeskippy.io/behavior': 'crashloop',
          'sim.kubeskippy.io/crash-after': '100ms',
        };
      });
    const names = victims.map((p) => p.metadata.name!).sort();
    const done = await eventually(
      () => `every victim's action Succeeded: ${APPS.map((a) => describeActions(engine, a)).join(' | ')}`,
      () => {
        const all = APPS.flatMap((app) => actionsOf(engine, app));
        return all.length >= names.length && all.every((a) => a.status?.phase === 'Succeeded')
          ? all
          : undefined;
      },
      90_000,
    );
    // Exactly once: one HealingAction per victim, and one DELETE per victim at the API server.
    expect(done.map((a) => a.spec.targetResource.name).sort()).toEqual(names);
    const deletes = destructiveCalls(engine).pods;
    expect(names.map((n) => [n, deletes.get(n)])).toEqual(names.map((n) => [n, 1]));
    // Who executed each action: one start per action, and each worker started some.
    const ids = (await Promise.all(done.map((a) => executeIdentities(a.status!.workflowId!)))).flat();
    expect(ids).toHaveLength(names.length);
    const perWorker = workers.map((w) => ids.filter((id) => id === `${w.pid}@${hostname()}`).length);
    console.log(`SCALE-OUT ${names.length} actions, executeAction per worker: ${perWorker.join(' / ')}`);
    expect(perWorker.reduce((a, b) => a + b)).toBe(names.length);
    expect(perWorker.every((n) => n > 0)).toBe(true);
  });
});
