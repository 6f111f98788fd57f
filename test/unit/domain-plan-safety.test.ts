import { describe, expect, it } from 'vitest';
import { clearHold, heldSubjects } from '../../domain/state.js';
import { Driver, plannedOn, reasons } from '../fixtures/domain-run.js';
import {
  annotations,
  inNamespace,
  labels,
  memoryTrigger,
  notReady,
  pdb,
  pod,
  policy,
  replicas,
  restartAction,
  snapshot,
  waiting,
  withMemory,
  workload,
  workloadAnnotations,
  type PodMod,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const leaking = (name: string, ...mods: PodMod[]) => pod(name, withMemory(0.9), ...mods);
const healthy = (name: string) => pod(name);

describe('one open action per target, and cooldown per (trigger, target)', () => {
  const p = policy({ triggers: [memoryTrigger(85, { for: '0s' })] });
  const snap = (t: number) => snapshot(t, [leaking('a'), healthy('b'), healthy('c')]);

  it('a target with an open action gets no second one', () => {
    const d = new Driver(p);
    d.tick(snap(T0));
    const r = d.tick(snap(T0 + 10_000));
    expect(reasons(r)).toEqual(['ActionInProgress']);
    expect(r.refusals[0]?.message).toMatch(/kubeskippy\/action\/demo\/heal\/high-memory\/Pod\/a\/1/);
  });

  it('after the action closes, the trigger waits out its cooldown on that target', () => {
    const d = new Driver(p);
    d.tick(snap(T0));
    d.closeAll('Succeeded', T0 + 30_000);
    const r = d.tick(snap(T0 + 60_000));
    expect(reasons(r)).toEqual(['Cooldown']);
    expect(r.refusals[0]?.message).toMatch(/cooling down for 4m more/);
    expect(plannedOn(d.tick(snap(T0 + 5 * MIN - 1)))).toEqual([]);
    expect(plannedOn(d.tick(snap(T0 + 5 * MIN)))).toEqual(['restart@demo/Pod/a']);
  });

  it('cooldown of one target does not hold back another', () => {
    const d = new Driver(p);
    d.tick(snap(T0));
    d.closeAll('Succeeded', T0 + 1000);
    const r = d.tick(snapshot(T0 + MIN, [leaking('a'), leaking('b'), healthy('c'), healthy('d')]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/b']);
    expect(reasons(r)).toEqual(['Cooldown']);
  });
});

describe('limits', () => {
  it('maxConcurrentActions counts open actions of the policy', () => {
    const p = policy({ safetyRules: { maxConcurrentActions: 2 } });
    const pods = ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) => (i < 3 ? leaking(n) : healthy(n)));
    const r = new Driver(p).tick(snapshot(T0, pods));
    expect(r.planned).toHaveLength(2);
    expect(reasons(r)).toEqual(['ConcurrencyLimit']);
    expect(r.refusals[0]?.message).toBe('2 actions are open (maxConcurrentActions 2)');
  });

  it('maxActionsPerHour is a sliding hour of starts, failures included', () => {
    const p = policy({
      safetyRules: { maxActionsPerHour: 2, maxConcurrentActions: 10, maxConsecutiveFailures: 10 },
    });
    const d = new Driver(p);
    const pods = (t: number) =>
      snapshot(
        t,
        ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n, i) => (i < 3 ? leaking(n) : healthy(n))),
      );
    const first = d.tick(pods(T0));
    expect(first.planned).toHaveLength(2);
    expect(reasons(first)).toEqual(['BudgetExhausted']);
    expect(first.refusals[0]?.message).toBe('2 actions started in the last hour (maxActionsPerHour 2)');
    d.closeAll('Failed', T0 + MIN);
    // Both failed, nothing is open, the cooldowns are over: the budget alone refuses all three.
    expect(reasons(d.tick(pods(T0 + 30 * MIN)))).toEqual([
      'BudgetExhausted',
      'BudgetExhausted',
      'BudgetExhausted',
    ]);
    // The hour before t is (t − 1h, t]: the starts at T0 leave it at T0 + 1h exactly.
    expect(d.tick(pods(T0 + HOUR - 1)).planned).toHaveLength(0);
    expect(d.tick(pods(T0 + HOUR)).planned).toHaveLength(2);
  });

  it('maxActionsPerHour 0 disables acting', () => {
    const r = new Driver(policy({ safetyRules: { maxActionsPerHour: 0 } })).tick(
      snapshot(T0, [leaking('a'), healthy('b')]),
    );
    expect(reasons(r)).toEqual(['BudgetExhausted']);
  });
});

describe('failure streaks and holds', () => {
  const p = policy({
    safetyRules: { maxConsecutiveFailures: 2, holdDuration: '30m', maxActionsPerHour: 50 },
  });
  const snap = (t: number) => snapshot(t, [leaking('a'), healthy('b'), healthy('c')]);

  it('consecutive failures on one workload put it on hold, then the hold expires', () => {
    const d = new Driver(p);
    d.tick(snap(T0));
    d.closeAll('Failed', T0 + MIN);
    d.tick(snap(T0 + 6 * MIN));
    d.closeAll('Failed', T0 + 7 * MIN);
    expect(heldSubjects(d.state, T0 + 7 * MIN)).toEqual([
      { subjectKey: 'demo/Deployment/web', holdUntilMs: T0 + 37 * MIN },
    ]);
    const r = d.tick(snap(T0 + 13 * MIN));
    expect(reasons(r)).toEqual(['OnHold']);
    expect(r.refusals[0]?.message).toMatch(/on hold for 24m more after 2 failed actions in a row/);
    // a sibling pod of the same workload is held too
    expect(reasons(d.tick(snapshot(T0 + 14 * MIN, [healthy('a'), leaking('b'), healthy('c')])))).toEqual([
      'OnHold',
    ]);
    expect(plannedOn(d.tick(snap(T0 + 37 * MIN)))).toEqual(['restart@demo/Pod/a']);
  });

  it('a success in between resets the streak', () => {
    const d = new Driver(p);
    for (const [i, outcome] of (['Failed', 'Succeeded', 'Failed'] as const).entries()) {
      d.tick(snap(T0 + i * 6 * MIN));
      d.closeAll(outcome, T0 + i * 6 * MIN + MIN);
    }
    expect(heldSubjects(d.state, T0 + 20 * MIN)).toEqual([]);
    expect(plannedOn(d.tick(snap(T0 + 20 * MIN)))).toEqual(['restart@demo/Pod/a']);
  });

  it('a person can clear a hold', () => {
    const d = new Driver(p);
    for (const i of [0, 1]) {
      d.tick(snap(T0 + i * 6 * MIN));
      d.closeAll('Failed', T0 + i * 6 * MIN + MIN);
    }
    d.state = clearHold(d.state, 'demo/Deployment/web');
    expect(plannedOn(d.tick(snap(T0 + 13 * MIN)))).toEqual(['restart@demo/Pod/a']);
  });
});

describe('protection', () => {
  const pods = (...mods: PodMod[]) => [leaking('a', ...mods), healthy('b'), healthy('c')];
  it.each<[string, ReturnType<typeof snapshot>, Record<string, unknown>, RegExp]>([
    [
      'the protected label',
      snapshot(T0, pods(labels({ 'kubeskippy.io/protected': 'true' }))),
      {},
      /label kubeskippy.io\/protected=true/,
    ],
    [
      'the protected annotation',
      snapshot(T0, pods(annotations({ 'kubeskippy.io/protected': 'true' }))),
      {},
      /annotation/,
    ],
    [
      'a protectedResources rule',
      snapshot(T0, pods(labels({ critical: 'true' }))),
      { protectedResources: [{ kind: 'Pod', labelSelector: { matchLabels: { critical: 'true' } } }] },
      /protectedResources\[0\]/,
    ],
    [
      'a protected owner',
      snapshot(T0, pods(), {
        workloads: [workload('web', workloadAnnotations({ 'kubeskippy.io/protected': 'true' }))],
      }),
      {},
      /Deployment demo\/web has annotation/,
    ],
    [
      'a protected namespace',
      snapshot(T0, [leaking('a', inNamespace('kube-system')), healthy('b')]),
      {},
      /protected namespace kube-system/,
    ],
  ])('%s refuses with Protected', (_name, snap, safetyRules, message) => {
    const p = policy({
      selector: { namespaces: ['demo', 'kube-system'], labelSelector: { matchLabels: { app: 'web' } } },
      safetyRules,
    });
    const r = new Driver(p).tick(snap);
    expect(r.planned).toEqual([]);
    expect(reasons(r)).toEqual(['Protected']);
    expect(r.refusals[0]?.message).toMatch(message);
  });
});

describe('minimum ready replicas', () => {
  const restartPolicy = (minReadyReplicas: number | string, extra: Record<string, unknown> = {}) =>
    policy({ safetyRules: { minReadyReplicas }, ...extra });

  it('never takes down the last ready replica', () => {
    const r = new Driver(restartPolicy(1)).tick(snapshot(T0, [leaking('a')]));
    expect(reasons(r)).toEqual(['MinReadyReplicas']);
    expect(r.refusals[0]?.message).toBe(
      'Deployment web has 1 ready of 1 replicas; restart would leave 0, below minReadyReplicas 1',
    );
  });

  it('restarting a pod that is not ready costs no capacity', () => {
    const p = restartPolicy(1, {
      triggers: [{ name: 'crash', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } }],
    });
    const r = new Driver(p).tick(snapshot(T0, [pod('a', waiting('CrashLoopBackOff'), notReady)]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
  });

  it.each([
    ['50% of 4 = 2: 3 ready may lose one', '50%', 3, true],
    ['50% of 4 = 2: 2 ready may not', '50%', 2, false],
    ['75% of 4 = 3 (rounded up from 3): 4 ready may lose one', '75%', 4, true],
    ['60% of 4 = 3 (2.4 rounded up): 3 ready may not lose one', '60%', 3, false],
    ['a count of 0 allows the last replica', 0, 1, true],
  ])('%s', (_name, min, ready, allowed) => {
    const snap = snapshot(T0, [leaking('a')], { workloads: [workload('web', replicas(4, ready))] });
    const r = new Driver(restartPolicy(min)).tick(snap);
    expect(r.planned.length === 1).toBe(allowed);
  });

  it('counts pods already being restarted on the same workload', () => {
    const r = new Driver(restartPolicy(2)).tick(snapshot(T0, [leaking('a'), leaking('b'), healthy('c')]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
    expect(reasons(r)).toEqual(['MinReadyReplicas']);
    expect(r.refusals[0]?.message).toBe(
      'Deployment web has 3 ready of 3 replicas (1 more being restarted); restart would leave 1, below minReadyReplicas 2',
    );
  });

  it('never words a count below zero when open restarts already take every ready replica', () => {
    // The workload's status lags its pods: it counts one ready replica where two pods say Ready.
    const snap = snapshot(T0, [leaking('a'), leaking('b')], { workloads: [workload('web', replicas(2, 1))] });
    const r = new Driver(restartPolicy(0)).tick(snap);
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
    expect(reasons(r)).toEqual(['MinReadyReplicas']);
    expect(r.refusals[0]?.message).toBe(
      'Deployment web has 1 ready of 2 replicas (1 more being restarted): none is left for restart to take down',
    );
  });

  it('a rollout restart is paced by the workload itself and is not refused', () => {
    const p = restartPolicy(1, { actions: [restartAction({ restartAction: { strategy: 'rollout' } })] });
    expect(plannedOn(new Driver(p).tick(snapshot(T0, [leaking('a')])))).toEqual([
      'restart@demo/Deployment/web',
    ]);
  });

  it('a scale down keeps the minimum', () => {
    const down = (n: number) => ({
      name: 'down',
      type: 'scale',
      scaleAction: { direction: 'down', replicas: n, minReplicas: 0 },
    });
    const p = (n: number) =>
      policy({
        triggers: [
          {
            name: 'idle',
            type: 'metric',
            metricTrigger: { query: 'cpu_usage_percent', operator: '<', threshold: 5 },
          },
        ],
        actions: [down(n)],
        safetyRules: { minReadyReplicas: 2 },
      });
    const idle = () =>
      pod('a', (x) => Object.assign(x.containers[0] ?? {}, { usage: { cpuMillicores: 1, memoryBytes: 1 } }));
    const snap = snapshot(T0, [idle()], { workloads: [workload('web', replicas(4))] });
    expect(new Driver(p(2)).tick(snap).planned[0]?.scale).toEqual({ from: 4, to: 2 });
    expect(reasons(new Driver(p(3)).tick(snap))).toEqual(['MinReadyReplicas']);
  });
});

describe('PodDisruptionBudgets', () => {
  it('a ready pod under a PDB that allows no disruption is not restarted', () => {
    const snap = snapshot(T0, [leaking('a'), healthy('b'), healthy('c')], {
      pdbs: [pdb('web-pdb', { app: 'web' }, 0)],
    });
    const r = new Driver(policy()).tick(snap);
    expect(reasons(r)).toEqual(['DisruptionBudget']);
    expect(r.refusals[0]?.message).toMatch(/web-pdb allows 0/);
  });

  it('a PDB that allows a disruption, or selects other pods, does not refuse', () => {
    const snap = snapshot(T0, [leaking('a'), healthy('b'), healthy('c')], {
      pdbs: [pdb('web-pdb', { app: 'web' }, 1), pdb('db-pdb', { app: 'db' }, 0)],
    });
    expect(new Driver(policy()).tick(snap).planned).toHaveLength(1);
  });
});
