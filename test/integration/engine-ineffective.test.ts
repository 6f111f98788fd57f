// Ineffective-fix detection end to end (sim + real Temporal + the operator). A Deployment leaks
// memory; deleting its pod "works" (the replacement starts low, so the action Succeeds) but the
// leak comes back a few seconds later on the replacement: a relapse, counted on the Deployment
// across pod replacements. After maxIneffective relapses the restart is put on hold there:
//   - then: hold — nothing more runs; the reason is in the policy status (workflow query and the
//     CR's status.ineffectiveRemediations with the HealingActions that prove it, Degraded), a
//     Warning Event on the Deployment and the policy, and kubeskippy_safety_refusals_total.
//   - then: nextAction — the next rung (a patch of the template, the real fix) runs, its
//     HealingAction says why (spec.ladder), and that fix, which stays fixed, is never held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  describeActions,
  eventsWith,
  healingPolicy,
  policyStatus,
  sleep,
  refusalSeries,
  scrapeMetrics,
} from '../support/engine-scenarios.js';
import { deployment, patchToHealthy } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const POLICIES = 'kubeskippy.io/v1alpha1/healingpolicies';

/**
 * One replica leaking from 50Mi at 2.8Mi/s against a 256Mi limit: over 60% ~37 behaviour seconds
 * after each start (~3.7 s at time scale 0.1), OOM-killed only after ~73 s, so the policy always
 * deletes the pod first, and every replacement leaks again.
 */
const leaky = (name: string) =>
  deployment(name, {
    namespace: engine.namespace,
    replicas: 1,
    behaviour: {
      behavior: 'memory-leak',
      'memory-start': '50Mi',
      'memory-leak-rate': '2.8Mi/s',
      jitter: '0',
    },
    limits: { memory: '256Mi', cpu: '500m' },
  });

const deletePod = {
  name: 'delete-pod',
  type: 'restart',
  priority: 100,
  restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
};

function leakPolicy(name: string, ineffectiveRemediation: Record<string, unknown>, actions: unknown[]) {
  return healingPolicy(engine.namespace, name, name, {
    triggers: [
      {
        name: 'high-memory',
        type: 'metric',
        metricTrigger: { query: 'memory_usage_percent', operator: '>', threshold: 60 },
        cooldownPeriod: '5m',
      },
    ],
    actions,
    // One replica: deleting it takes the last ready one, hence minReadyReplicas 0. One action at a
    // time, so a replacement's fire waits for the previous rung's verdict.
    safetyRules: {
      minReadyReplicas: 0,
      maxActionsPerHour: 30,
      maxConcurrentActions: 1,
      ineffectiveRemediation,
    },
    verification: { delay: '1s', timeout: '20s', interval: '1s' },
  });
}

const ineffectiveSeries = (policy: string): RegExp => refusalSeries(engine, policy, 'IneffectiveRemediation');

describe('a fix that keeps relapsing', () => {
  it('is put on hold after maxIneffective relapses, with the evidence in status, an Event and the metric', async () => {
    const name = 'leak-hold';
    engine.apply([leaky(name), leakPolicy(name, { maxIneffective: 2, then: 'hold' }, [deletePod])]);
    const status = await eventually(
      () => `an ineffective hold on ${name}: ${describeActions(engine, name)}`,
      async () => {
        const s = await policyStatus(engine, name).catch(() => undefined);
        return s?.ineffective?.length && (s.counters.refusals['IneffectiveRemediation'] ?? 0) >= 1
          ? s
          : undefined;
      },
      90_000,
    );
    const hold = status.ineffective![0]!;
    expect(hold).toMatchObject({
      subjectKey: `${engine.namespace}/Deployment/${name}`,
      trigger: 'high-memory',
      action: 'delete-pod',
      then: 'hold',
    });
    // Two restarts of two different pods, both Succeeded, each followed by a relapse.
    const actions = actionsOf(engine, name);
    expect(actions.map((a) => [a.spec.action.name, a.status?.phase])).toEqual([
      ['delete-pod', 'Succeeded'],
      ['delete-pod', 'Succeeded'],
    ]);
    expect(new Set(actions.map((a) => a.spec.targetResource.name)).size).toBe(2);
    expect(hold.evidence.map((e) => [e.healingAction, e.outcome, e.relapsedMs !== undefined])).toEqual(
      actions.map((a) => [a.metadata.name, 'Succeeded', true]),
    );
    const refusal = status.lastRefusals.find((r) => r.reason === 'IneffectiveRemediation');
    expect(refusal?.message).toMatch(
      /action delete-pod did not last for trigger high-memory .*2 ineffective attempts/,
    );

    const cr = await eventually(`status.ineffectiveRemediations on ${name}`, () => {
      const s = engine.sim.store.get(POLICIES, engine.namespace, name)?.status;
      return s?.ineffectiveRemediations?.length ? s : undefined;
    });
    expect(
      cr.ineffectiveRemediations[0].evidence.map((e: { healingAction: string }) => e.healingAction),
    ).toEqual(actions.map((a) => a.metadata.name));
    expect(cr.conditions.find((c: { type: string }) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'IneffectiveRemediation',
    });
    const onDeployment = await eventually(`an IneffectiveRemediation Event on Deployment ${name}`, () =>
      eventsWith(engine, 'IneffectiveRemediation', name).find(
        (e) => (e as { involvedObject?: { kind?: string } }).involvedObject?.kind === 'Deployment',
      ),
    );
    expect((onDeployment as { type?: string }).type).toBe('Warning');
    expect(
      eventsWith(engine, 'IneffectiveRemediation', name).map(
        (e) => (e as { involvedObject?: { kind?: string } }).involvedObject?.kind,
      ),
    ).toContain('HealingPolicy');
    const text = await eventually(`IneffectiveRemediation in /metrics for ${name}`, async () => {
      const body = await scrapeMetrics(engine);
      return ineffectiveSeries(name).test(body) ? body : undefined;
    });
    expect(Number(ineffectiveSeries(name).exec(text)![1])).toBeGreaterThanOrEqual(1);
    // The leak goes on, the trigger keeps firing, and nothing more runs.
    await sleep(5_000);
    expect(actionsOf(engine, name)).toHaveLength(2);
  });
});

describe('the ladder moves up', () => {
  it('to the next rung, which says why; a fix that stays fixed is never held', async () => {
    const name = 'leak-ladder';
    engine.apply([
      leaky(name),
      leakPolicy(name, { maxIneffective: 2 }, [
        deletePod,
        { name: 'heal-template', type: 'patch', priority: 50, patchAction: patchToHealthy },
      ]),
    ]);
    const patched = await eventually(
      () => `the patch rung to succeed: ${describeActions(engine, name)}`,
      () =>
        actionsOf(engine, name).find(
          (a) => a.spec.action.name === 'heal-template' && a.status?.phase === 'Succeeded',
        ),
      90_000,
    );
    expect(patched.spec.ladder).toMatchObject({
      reason: 'IneffectiveRemediation',
      passedOver: ['delete-pod'],
    });
    expect(patched.spec.ladder!.message).toMatch(/2 ineffective attempts .*; heal-template runs instead$/);
    expect(patched.spec.approvalRequired).toBe(false);
    expect(actionsOf(engine, name).map((a) => a.spec.action.name)).toEqual([
      'delete-pod',
      'delete-pod',
      'heal-template',
    ]);
    // The patched template stays healthy: no fire, no further action, and the patch is not held.
    await sleep(6_000);
    expect(actionsOf(engine, name)).toHaveLength(3);
    const status = await policyStatus(engine, name);
    expect((status.ineffective ?? []).map((h) => h.action)).toEqual(['delete-pod']);
  });
});
