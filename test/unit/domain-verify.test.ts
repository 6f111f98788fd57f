import { describe, expect, it } from 'vitest';
import type { PlannedAction } from '../../domain/plan.js';
import type { PodSnapshot } from '../../domain/snapshot.js';
import { assessHealed, stabilityStep } from '../../domain/verify.js';
import { Driver } from '../fixtures/domain-run.js';
import {
  createdAt,
  event,
  notReady,
  ownedBy,
  pod,
  policy,
  replicas,
  restartAction,
  snapshot,
  uid,
  waiting,
  withMemory,
  withRestarts,
  workload,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;
const LATER = T0 + 60_000;

function plan(spec: Parameters<typeof policy>[0], pods: PodSnapshot[]): PlannedAction {
  const r = new Driver(policy(spec)).tick(snapshot(T0, pods));
  const a = r.planned[0];
  if (!a) throw new Error(`nothing planned: ${JSON.stringify(r.refusals)}`);
  return a;
}
const siblings = () => [pod('b'), pod('c')];
const verdict = (action: PlannedAction, pods: PodSnapshot[], extra?: Parameters<typeof snapshot>[2]) =>
  assessHealed({ action, snapshot: snapshot(LATER, pods, extra), nowMs: LATER });

describe('assessHealed, pod targets', () => {
  const evicted = () => plan({}, [pod('a', withMemory(0.9)), ...siblings()]);
  const replacement = (...mods: Parameters<typeof pod>[1][]) =>
    pod('a-2', uid('new'), createdAt(T0 + 5_000), ...mods);

  it.each<[string, PodSnapshot[], string]>([
    [
      'the replacement is ready and below the threshold',
      [replacement(withMemory(0.3)), ...siblings()],
      'Healed',
    ],
    ['no replacement yet', siblings(), 'NoReplacement'],
    [
      'the old pod is still terminating',
      [pod('a', withMemory(0.9), (p) => (p.deleting = true)), ...siblings()],
      'NoReplacement',
    ],
    [
      'a sibling created before the action is not a replacement',
      [pod('old', createdAt(T0 - 1), withMemory(0.3)), ...siblings()],
      'NoReplacement',
    ],
    ['the replacement is not ready', [replacement(withMemory(0.3), notReady), ...siblings()], 'NotReady'],
    ['the replacement breaches too', [replacement(withMemory(0.95)), ...siblings()], 'TriggerStillHolds'],
    ['the replacement has no metrics yet', [replacement(), ...siblings()], 'NoSample'],
    [
      'the same pod, still there and still breaching',
      [pod('a', withMemory(0.9)), ...siblings()],
      'TriggerStillHolds',
    ],
    [
      'a pod of another workload is not a replacement',
      [replacement(withMemory(0.3), ownedBy('Deployment', 'other')), ...siblings()],
      'NoReplacement',
    ],
  ])('%s', (_name, pods, reason) => {
    const v = verdict(evicted(), pods);
    expect(v.reason).toBe(reason);
    expect(v.healed).toBe(reason === 'Healed');
    expect(v.message).not.toBe('');
  });

  it('a StatefulSet replacement keeps the name and gets a new uid', () => {
    const sts = () => pod('db-1', ownedBy('StatefulSet', 'db'));
    const a = plan({}, [
      pod('db-0', ownedBy('StatefulSet', 'db'), withMemory(0.9)),
      pod('db-1', ownedBy('StatefulSet', 'db')),
    ]);
    const v = verdict(a, [
      pod('db-0', ownedBy('StatefulSet', 'db'), uid('new'), createdAt(T0 + 1), withMemory(0.2)),
      sts(),
    ]);
    expect(v).toMatchObject({
      healed: true,
      reason: 'Healed',
      checked: ['demo/Pod/db-0'],
      observedValue: '20',
    });
  });

  it('honours the verification flags', () => {
    const a = evicted();
    const notCleared = [replacement(withMemory(0.95)), ...siblings()];
    expect(
      verdict({ ...a, verification: { ...a.verification, requireTriggerCleared: false } }, notCleared).healed,
    ).toBe(true);
    const unready = [replacement(withMemory(0.3), notReady), ...siblings()];
    expect(verdict({ ...a, verification: { ...a.verification, requireReady: false } }, unready).healed).toBe(
      true,
    );
    expect(verdict({ ...a, verification: { ...a.verification, enabled: false } }, []).reason).toBe(
      'VerificationDisabled',
    );
  });

  it('restart_count counts only restarts since the action', () => {
    const spec = {
      triggers: [{ name: 'r', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } }],
    };
    const crash = plan(spec, [pod('a', waiting('CrashLoopBackOff'), notReady), ...siblings()]);
    expect(verdict(crash, [replacement(waiting('CrashLoopBackOff'), notReady), ...siblings()]).reason).toBe(
      'NotReady',
    );
    const notChecked = { ...crash, verification: { ...crash.verification, requireReady: false } };
    expect(
      verdict(notChecked, [replacement(waiting('CrashLoopBackOff'), notReady), ...siblings()]).reason,
    ).toBe('TriggerStillHolds');
    const restarts = {
      triggers: [{ name: 'r', type: 'metric', metricTrigger: { query: 'restart_count', threshold: 3 } }],
    };
    const p = policy(restarts);
    const d = new Driver(p);
    d.tick(snapshot(T0 - 60_000, [pod('a', withRestarts(10)), ...siblings()]));
    const a = d.tick(snapshot(T0, [pod('a', withRestarts(15)), ...siblings()])).planned[0] as PlannedAction;
    expect(a.restartBaseline).toEqual({ podUid: 'uid-pod-demo-a', restarts: 15 });
    // patched in place (same pod): 2 more restarts since the action is below the threshold
    expect(verdict(a, [pod('a', withRestarts(17)), ...siblings()]).healed).toBe(true);
    expect(verdict(a, [pod('a', withRestarts(19)), ...siblings()]).reason).toBe('TriggerStillHolds');
  });

  it('event triggers count only events since the action', () => {
    const spec = { triggers: [{ name: 'e', type: 'event', eventTrigger: { reason: 'BackOff', count: 2 } }] };
    const d = new Driver(policy(spec));
    const r = d.tick(
      snapshot(T0, [pod('a'), ...siblings()], {
        events: [event('a', 'BackOff', { count: 5, atMs: T0 - 1000 })],
      }),
    );
    const action = r.planned[0] as PlannedAction;
    const pods = [replacement(), ...siblings()];
    // events from before the action do not count, even on the replacement's name
    expect(
      verdict(action, pods, { events: [event('a-2', 'BackOff', { count: 5, atMs: T0 - 1000 })] }).healed,
    ).toBe(true);
    expect(
      verdict(action, pods, {
        events: [event('a-2', 'BackOff', { count: 2, atMs: T0 + 10_000, uid: 'new' })],
      }).reason,
    ).toBe('TriggerStillHolds');
  });
});

describe('assessHealed, workload targets', () => {
  const scale = { name: 'scale', type: 'scale', scaleAction: { direction: 'up', replicas: 1 } };
  const a = () => plan({ actions: [scale] }, [pod('a', withMemory(0.9)), ...siblings()]);

  it.each<[string, PodSnapshot[], number, string]>([
    [
      'all replicas ready and no pod breaching',
      [pod('a', withMemory(0.5)), pod('b', withMemory(0.5)), pod('d', withMemory(0.1))],
      4,
      'Healed',
    ],
    ['not all replicas ready yet', [pod('a', withMemory(0.5))], 3, 'NotReady'],
    [
      'a pod of the workload still breaches',
      [pod('a', withMemory(0.9)), pod('b', withMemory(0.1)), pod('d', withMemory(0.1))],
      4,
      'TriggerStillHolds',
    ],
  ])('%s', (_name, pods, ready, reason) => {
    const v = verdict(a(), pods, { workloads: [workload('web', replicas(4, ready))] });
    expect(v.reason).toBe(reason);
  });

  it('a workload that is gone is not healed', () => {
    expect(verdict(a(), [], { workloads: [] }).reason).toBe('TargetGone');
  });

  it('a rollout restart on the owner', () => {
    const rollout = plan({ actions: [restartAction({ restartAction: { strategy: 'rollout' } })] }, [
      pod('a', withMemory(0.9)),
      ...siblings(),
    ]);
    expect(rollout.onOwner).toBe(true);
    const fresh = ['x', 'y', 'z'].map((n) => pod(n, withMemory(0.2), createdAt(T0 + 1)));
    expect(verdict(rollout, fresh).healed).toBe(true);
  });
});

describe('assessHealed and whole-second creation timestamps', () => {
  it('counts a replacement created in the same second as the action (its timestamp reads earlier)', () => {
    const startedAt = T0 + 700; // the action started 700 ms into the second
    const r = new Driver(policy({})).tick(snapshot(startedAt, [pod('a', withMemory(0.9)), ...siblings()]));
    const action = r.planned[0]!;
    expect(action.startedMs).toBe(startedAt);
    // Created 200 ms after the action, stamped by the API server with the second only: T0.
    const sameSecond = pod('a-2', uid('new'), createdAt(T0), withMemory(0.3));
    expect(verdict(action, [sameSecond, ...siblings()]).reason).toBe('Healed');
    // A pod stamped in an earlier second existed before the action: not a replacement.
    const before = pod('a-0', uid('older'), createdAt(T0 - 1000), withMemory(0.3));
    expect(verdict(action, [before, ...siblings()]).reason).toBe('NoReplacement');
  });
});

describe('stabilityStep: healed must hold, check after check, for the stability period', () => {
  const S = 10_000;
  it('without a period the first healthy check is stable', () => {
    expect(stabilityStep(undefined, true, 5_000, 0)).toEqual({
      healedSinceMs: 5_000,
      stable: true,
      relapsed: false,
    });
  });

  it('counts from the first healthy check and is stable once the period has passed', () => {
    const first = stabilityStep(undefined, true, 1_000, S);
    expect(first).toEqual({ healedSinceMs: 1_000, stable: false, relapsed: false });
    expect(stabilityStep(first.healedSinceMs, true, 6_000, S).stable).toBe(false);
    expect(stabilityStep(first.healedSinceMs, true, 11_000, S)).toEqual({
      healedSinceMs: 1_000,
      stable: true,
      relapsed: false,
    });
  });

  it('a relapse restarts the clock and is reported once', () => {
    const healthy = stabilityStep(undefined, true, 1_000, S);
    const relapse = stabilityStep(healthy.healedSinceMs, false, 6_000, S);
    expect(relapse).toEqual({ stable: false, relapsed: true });
    expect(stabilityStep(relapse.healedSinceMs, false, 7_000, S).relapsed).toBe(false);
    const again = stabilityStep(undefined, true, 8_000, S);
    expect(stabilityStep(again.healedSinceMs, true, 12_000, S).stable).toBe(false);
    expect(stabilityStep(again.healedSinceMs, true, 18_000, S).stable).toBe(true);
  });
});
