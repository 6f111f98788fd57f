import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../domain/plan.js';
import { initialState, setModeOverride } from '../../domain/state.js';
import { Driver, plannedOn, reasons } from '../fixtures/domain-run.js';
import {
  createdAt,
  hpa,
  memoryTrigger,
  ownedBy,
  pod,
  policy,
  ref,
  replicas,
  restartAction,
  snapshot,
  terminating,
  waiting,
  withMemory,
  workload,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;
const MIN = 60_000;
const leaking = (name: string) => pod(name, withMemory(0.9));
const scaleUp = {
  name: 'scale-up',
  type: 'scale',
  scaleAction: { direction: 'up', replicas: 2, maxReplicas: 12 },
};

describe('a planned action', () => {
  it('carries everything the healing-action workflow needs', () => {
    const p = policy(
      {
        triggers: [memoryTrigger(85, { for: '20s' })],
        actions: [restartAction({ restartAction: { gracePeriodSeconds: 5 } })],
      },
      { uid: 'policy-uid', generation: 7 },
    );
    const d = new Driver(p);
    d.tick(snapshot(T0, [leaking('a'), pod('b'), pod('c')]));
    const r = d.tick(snapshot(T0 + 20_000, [leaking('a'), pod('b'), pod('c')]));
    expect(r.fires).toHaveLength(1);
    expect(r.planned).toHaveLength(1);
    const a = r.planned[0];
    expect(a).toMatchObject({
      workflowId: 'kubeskippy/action/demo/heal/high-memory/Pod/a/1',
      seq: 1,
      policyRef: { namespace: 'demo', name: 'heal', uid: 'policy-uid' },
      policyGeneration: 7,
      mode: 'automatic',
      target: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'a', uid: 'uid-pod-demo-a' },
      targetKey: 'demo/Pod/a',
      subjectKey: 'demo/Deployment/web',
      onOwner: false,
      firingPod: { name: 'a' },
      firingPodOwner: { kind: 'Deployment', name: 'web' },
      action: {
        name: 'restart',
        type: 'restart',
        restartAction: { strategy: 'evict', gracePeriodSeconds: 5 },
      },
      trigger: {
        name: 'high-memory',
        type: 'metric',
        observedValue: '90',
        threshold: '> 85',
        firstTrueMs: T0,
        firedAtMs: T0 + 20_000,
      },
      triggerSpec: { name: 'high-memory', forMs: 20_000 },
      dryRun: false,
      requiresApproval: false,
      approvalTimeoutMs: 3_600_000,
      verification: { enabled: true, delayMs: 30_000 },
      safety: { maxActionsPerHour: 5 },
      restartBaseline: { podUid: 'uid-pod-demo-a', restarts: 0 },
      startedMs: T0 + 20_000,
    });
    expect(a?.healingActionName).toMatch(/^heal-restart-a-[0-9a-z]{7}$/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('is already recorded in the returned state, and the input state is untouched', () => {
    const input = initialState();
    const r = evaluatePolicy({
      policy: policy(),
      snapshot: snapshot(T0, [leaking('a'), pod('b')]),
      state: input,
      nowMs: T0,
    });
    expect(input).toEqual(initialState());
    expect(r.state.seq).toBe(2);
    expect(r.state.starts).toEqual([T0]);
    expect(r.state.open['demo/Pod/a']).toMatchObject({
      workflowId: r.planned[0]?.workflowId,
      trigger: 'high-memory',
      startedMs: T0,
    });
    expect(r.state.cooldowns['demo/Pod/a#high-memory']).toBe(T0 + 5 * MIN);
    expect(r.state.counters).toMatchObject({ evaluations: 1, fires: 1, actionsStarted: 1 });
    expect(r.activeTriggers).toEqual(['high-memory']);
  });

  it('skips pods being deleted', () => {
    const r = new Driver(policy()).tick(snapshot(T0, [pod('a', withMemory(0.9), terminating), pod('b')]));
    expect([r.fires, r.planned, r.refusals]).toEqual([[], [], []]);
  });
});

describe('modes', () => {
  const pods = () => [leaking('a'), pod('b'), pod('c')];
  it('monitor reports fires with MonitorMode and plans nothing, saying what it would do', () => {
    const d = new Driver(policy({ mode: 'monitor' }));
    const r = d.tick(snapshot(T0, pods()));
    expect(r.fires).toHaveLength(1);
    expect(r.planned).toEqual([]);
    expect(reasons(r)).toEqual(['MonitorMode']);
    expect(r.refusals[0]).toMatchObject({ action: 'restart', actionTargetKey: 'demo/Pod/a' });
    expect(r.refusals[0]?.message).toMatch(
      /^monitor mode: memory_usage_percent is 90 \(> 85\); would run restart on demo\/Pod\/a$/,
    );
    expect(d.state.open).toEqual({});
    expect(d.state.starts).toEqual([]);
    // …and it keeps reporting: monitor mode spends no budget and sets no cooldown.
    expect(reasons(d.tick(snapshot(T0 + 10_000, pods())))).toEqual(['MonitorMode']);
  });

  it.each([
    ['automatic', false, false, false],
    ['automatic', true, false, true],
    ['dryrun', false, true, false],
    ['manual', false, false, true],
  ] as const)(
    '%s (template requiresApproval %s) → dryRun %s, requiresApproval %s',
    (mode, templateApproval, dryRun, approval) => {
      const p = policy({ mode, actions: [restartAction({ requiresApproval: templateApproval })] });
      const r = new Driver(p).tick(snapshot(T0, pods()));
      expect(r.planned.map((a) => [a.mode, a.dryRun, a.requiresApproval])).toEqual([
        [mode, dryRun, approval],
      ]);
    },
  );

  it('a mode override in state wins over the spec, and an explicit mode wins over both', () => {
    const p = policy({ mode: 'automatic' });
    const state = setModeOverride(initialState(), 'monitor');
    const r = evaluatePolicy({ policy: p, snapshot: snapshot(T0, pods()), state, nowMs: T0 });
    expect([r.mode, reasons(r)]).toEqual(['monitor', ['MonitorMode']]);
    const s = evaluatePolicy({ policy: p, snapshot: snapshot(T0, pods()), state, nowMs: T0, mode: 'dryrun' });
    expect(s.planned.map((a) => a.dryRun)).toEqual([true]);
  });

  it('paused plans nothing', () => {
    const d = new Driver(policy());
    d.state = { ...d.state, paused: true };
    const r = d.tick(snapshot(T0, pods()));
    expect([r.planned.length, reasons(r)]).toEqual([0, ['Paused']]);
  });
});

describe('targets', () => {
  it('ten leaking pods of one Deployment produce one scale-up', () => {
    const pods = Array.from({ length: 10 }, (_, i) => leaking(`web-${i}`));
    const r = new Driver(policy({ actions: [scaleUp] })).tick(snapshot(T0, pods));
    expect(r.fires).toHaveLength(10);
    expect(plannedOn(r)).toEqual(['scale-up@demo/Deployment/web']);
    expect(r.planned[0]).toMatchObject({
      onOwner: true,
      scale: { from: 10, to: 12 },
      firingPod: { name: 'web-0' },
    });
    expect(new Set(reasons(r))).toEqual(new Set(['ActionInProgress']));
    expect(r.refusals).toHaveLength(9);
  });

  it('refuses owner actions for a bare pod, and restarts of a bare pod (nothing would recreate it)', () => {
    const bareLeak = pod('solo', withMemory(0.9), (p) => delete p.owner);
    expect(reasons(new Driver(policy({ actions: [scaleUp] })).tick(snapshot(T0, [bareLeak])))).toEqual([
      'NoOwner',
    ]);
    expect(reasons(new Driver(policy()).tick(snapshot(T0, [bareLeak])))).toEqual(['NoOwner']);
  });

  it.each([
    [
      'scale of a DaemonSet',
      'DaemonSet',
      scaleUp,
      'UnsupportedTarget',
      /scale of a DaemonSet is not supported/,
    ],
    [
      'rollout of a bare ReplicaSet',
      'ReplicaSet',
      { name: 'r', type: 'restart', restartAction: { strategy: 'rollout' } },
      'UnsupportedTarget',
      /restart of a ReplicaSet/,
    ],
    ['scale of a workload under an HPA', 'Deployment', scaleUp, 'HpaManaged', /HorizontalPodAutoscaler/],
  ])('refuses %s', (_name, ownerKind, action, reason, message) => {
    const owned = (n: string) => pod(n, withMemory(0.9), ownedBy(ownerKind, 'web'));
    const w = workload(
      'web',
      (x) => (x.ref = ref(ownerKind, 'web')),
      ...(reason === 'HpaManaged' ? [hpa] : []),
    );
    const r = new Driver(policy({ actions: [action] })).tick(snapshot(T0, [owned('a')], { workloads: [w] }));
    expect(reasons(r)).toEqual([reason]);
    expect(r.refusals[0]?.message).toMatch(message);
  });

  it('an explicit delete of a bare pod that is not ready is allowed', () => {
    const p = policy({
      triggers: [{ name: 'crash', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } }],
      actions: [{ name: 'delete', type: 'delete' }],
    });
    const solo = pod('solo', waiting('CrashLoopBackOff'), (x) => {
      delete x.owner;
      x.ready = false;
    });
    expect(plannedOn(new Driver(p).tick(snapshot(T0, [solo])))).toEqual(['delete@demo/Pod/solo']);
  });

  it('two triggers firing on one pod start one action', () => {
    const p = policy({
      triggers: [
        memoryTrigger(85),
        { name: 'crash', type: 'condition', conditionTrigger: { type: 'OOMKilled' } },
      ],
    });
    const r = new Driver(p).tick(
      snapshot(T0, [
        pod('a', withMemory(0.9), (x) =>
          Object.assign(x.containers[0] ?? {}, { lastTerminationReason: 'OOMKilled' }),
        ),
        pod('b'),
        pod('c'),
      ]),
    );
    expect(r.planned).toHaveLength(1);
    expect(reasons(r)).toEqual(['ActionInProgress']);
  });

  it('a rollout restart waits while a pod of the same workload is being restarted', () => {
    const p = policy({
      triggers: [
        memoryTrigger(85),
        { name: 'crash', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } },
      ],
      actions: [
        restartAction({ triggers: ['high-memory'] }),
        { name: 'rollout', type: 'restart', triggers: ['crash'], restartAction: { strategy: 'rollout' } },
      ],
    });
    const r = new Driver(p).tick(
      snapshot(T0, [leaking('a'), pod('b', waiting('CrashLoopBackOff')), pod('c'), pod('d')]),
    );
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
    expect(r.refusals.map((x) => [x.reason, x.action])).toEqual([['ActionInProgress', 'rollout']]);
  });
});

describe('priority and escalation', () => {
  const ladder = policy({
    actions: [{ ...scaleUp, priority: 10 }, restartAction({ priority: 100 })],
    triggers: [memoryTrigger(85, {})],
    safetyRules: { maxActionsPerHour: 20, maxConsecutiveFailures: 5 },
  });
  const snap = (t: number) => snapshot(t, [leaking('a'), pod('b'), pod('c')]);

  it('tries actions in priority order, higher first', () => {
    expect(plannedOn(new Driver(ladder).tick(snap(T0)))).toEqual(['restart@demo/Pod/a']);
  });

  it('after a Failed outcome the next action of the ladder runs; the last rung repeats; success resets', () => {
    const d = new Driver(ladder);
    const step = (t: number, outcome: 'Failed' | 'Succeeded'): string[] => {
      const r = d.tick(snap(t));
      d.closeAll(outcome, t + 1000);
      return plannedOn(r);
    };
    expect(step(T0, 'Failed')).toEqual(['restart@demo/Pod/a']);
    expect(step(T0 + 6 * MIN, 'Failed')).toEqual(['scale-up@demo/Deployment/web']);
    expect(step(T0 + 12 * MIN, 'Succeeded')).toEqual(['scale-up@demo/Deployment/web']);
    expect(step(T0 + 18 * MIN, 'Succeeded')).toEqual(['restart@demo/Pod/a']);
  });

  it('Skipped, Rejected and DryRun outcomes do not escalate', () => {
    const d = new Driver(ladder);
    for (const [i, outcome] of (['Skipped', 'Rejected', 'DryRun'] as const).entries()) {
      const r = d.tick(snap(T0 + i * 6 * MIN));
      expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
      d.closeAll(outcome, T0 + i * 6 * MIN + 1000);
    }
  });

  it('an action that cannot apply hands over to the next one', () => {
    const atMax = snapshot(T0, [leaking('a'), pod('b'), pod('c')], {
      workloads: [workload('web', replicas(12))],
    });
    const p = policy({ actions: [{ ...scaleUp, priority: 100 }, restartAction()] });
    const r = new Driver(p).tick(atMax);
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
    const withHpa = snapshot(T0, [leaking('a'), pod('b'), pod('c')], { workloads: [workload('web', hpa)] });
    expect(plannedOn(new Driver(p).tick(withHpa))).toEqual(['restart@demo/Pod/a']);
  });

  it('when no action applies, the refusal names the first reason and the others', () => {
    const p = policy({ actions: [{ ...scaleUp, priority: 100 }, restartAction()] });
    const r = new Driver(p).tick(
      snapshot(T0, [leaking('a')], { workloads: [workload('web', replicas(12, 1))] }),
    );
    expect(reasons(r)).toEqual(['AtMaxReplicas']);
    expect(r.refusals[0]?.message).toMatch(/12 replicas.*also refused: restart: MinReadyReplicas/);
  });

  it('a trigger no action answers is reported as NoAction', () => {
    const p = policy({
      triggers: [
        memoryTrigger(85),
        { name: 'other', type: 'condition', conditionTrigger: { type: 'Ready', status: 'False' } },
      ],
      actions: [restartAction({ triggers: ['other'] })],
    });
    expect(reasons(new Driver(p).tick(snapshot(T0, [leaking('a')])))).toEqual(['NoAction']);
  });
});

describe('a replacement pod while its predecessor’s action is open', () => {
  it('waits (ActionInProgress) instead of repeating the same rung; siblings that existed before still act', () => {
    const p = policy({ safetyRules: { maxConcurrentActions: 5, minReadyReplicas: 0 } });
    const d = new Driver(p);
    const first = d.tick(snapshot(T0, [leaking('a'), pod('b'), pod('c')]));
    expect(plannedOn(first)).toEqual(['restart@demo/Pod/a']);
    // "a" was evicted; its replacement "a2" leaks too, and the sibling "b" starts leaking.
    const later = d.tick(
      snapshot(T0 + MIN, [pod('a2', withMemory(0.9), createdAt(T0 + 30_000)), leaking('b'), pod('c')]),
    );
    expect(plannedOn(later)).toEqual(['restart@demo/Pod/b']);
    expect(later.refusals.find((r) => r.targetKey === 'demo/Pod/a2')?.reason).toBe('ActionInProgress');
    // Once the first action reports, the replacement is judged on its own.
    d.outcome(first.planned[0]!.workflowId, 'Failed', T0 + 2 * MIN);
    const after = d.tick(
      snapshot(T0 + 3 * MIN, [pod('a2', withMemory(0.9), createdAt(T0 + 30_000)), pod('b2'), pod('c')]),
    );
    expect(plannedOn(after)).toEqual(['restart@demo/Pod/a2']);
  });

  it('creation times are whole seconds: siblings created in the action’s own second still act, its replacement waits', () => {
    const p = policy({ safetyRules: { maxConcurrentActions: 5, minReadyReplicas: 0 } });
    const d = new Driver(p);
    // Planned 400 ms into the second the pods were created in (their timestamps read T0).
    const first = d.tick(
      snapshot(T0 + 400, [
        pod('a', withMemory(0.9), createdAt(T0)),
        pod('b', withMemory(0.9), createdAt(T0)),
        pod('c', createdAt(T0)),
      ]),
    );
    expect(plannedOn(first)).toEqual(['restart@demo/Pod/a', 'restart@demo/Pod/b']);
    // a's replacement, created 300 ms after the action in the same second, reads T0 as well: it waits.
    // c was not firing when the actions were planned and its timestamp is in their second, so by
    // what the policy saw it cannot be told from a replacement: it waits too (the safe side).
    const later = d.tick(
      snapshot(T0 + 2_000, [
        pod('a2', withMemory(0.9), createdAt(T0)),
        pod('b', withMemory(0.9), createdAt(T0)),
        pod('c', withMemory(0.9), createdAt(T0)),
      ]),
    );
    expect(later.refusals.find((r) => r.targetKey === 'demo/Pod/a2')?.reason).toBe('ActionInProgress');
    expect(later.refusals.find((r) => r.targetKey === 'demo/Pod/c')?.reason).toBe('ActionInProgress');
  });
});
