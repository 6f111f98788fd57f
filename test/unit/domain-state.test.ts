import { describe, expect, it } from 'vitest';
import { maxOpenAgeMs, pruneState } from '../../domain/prune.js';
import {
  clearHold,
  cloneState,
  effectiveMode,
  heldSubjects,
  initialState,
  onPolicyChanged,
  pause,
  recordActionOutcome,
  resume,
  actionRetarget,
  retargetOpenAction,
  setModeOverride,
  type PolicyState,
} from '../../domain/state.js';
import { applyAiAnswer } from '../../domain/ai-verdict.js';
import type { PlannedAction } from '../../domain/plan-types.js';
import { Driver, plannedOn } from '../fixtures/domain-run.js';
import {
  memoryTrigger,
  ownedBy,
  pod,
  policy,
  restartAction,
  snapshot,
  withMemory,
  withRestarts,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const p = policy({ safetyRules: { maxConsecutiveFailures: 2, holdDuration: '30m' } });

/** A state with one open action on pod a (workflow id …/1). */
function withOpenAction(): { state: PolicyState; workflowId: string } {
  const d = new Driver(p);
  const r = d.tick(snapshot(T0, [pod('a', withMemory(0.9)), pod('b'), pod('c')]));
  return { state: d.state, workflowId: r.planned[0]?.workflowId ?? '' };
}

describe('recordActionOutcome', () => {
  it.each([
    ['Succeeded', 0],
    ['Failed', 1],
    ['Rejected', 0],
    ['Skipped', 0],
    ['DryRun', 0],
  ] as const)('%s closes the open action; failures on the workload: %d', (outcome, failures) => {
    const { state, workflowId } = withOpenAction();
    const next = recordActionOutcome(state, { workflowId, outcome, nowMs: T0 + MIN, policy: p });
    expect(next.open).toEqual({});
    expect(next.subjects['demo/Deployment/web']?.failures ?? 0).toBe(failures);
    expect(next.counters.outcomes[outcome]).toBe(1);
    expect(next.starts).toEqual([T0]); // an attempt keeps counting against the hourly budget
  });

  it('is idempotent: a repeated report, an unknown id or a non-terminal phase change nothing', () => {
    const { state, workflowId } = withOpenAction();
    const once = recordActionOutcome(state, { workflowId, outcome: 'Failed', nowMs: T0 + MIN, policy: p });
    expect(recordActionOutcome(once, { workflowId, outcome: 'Failed', nowMs: T0 + MIN, policy: p })).toBe(
      once,
    );
    expect(recordActionOutcome(state, { workflowId: 'nope', outcome: 'Failed', nowMs: T0, policy: p })).toBe(
      state,
    );
    expect(recordActionOutcome(state, { workflowId, outcome: 'Executing', nowMs: T0, policy: p })).toBe(
      state,
    );
  });

  it('uses the target key as a hint but trusts only the workflow id', () => {
    const { state, workflowId } = withOpenAction();
    const wrongHint = recordActionOutcome(state, {
      workflowId,
      outcome: 'Succeeded',
      nowMs: T0,
      policy: p,
      targetKey: 'demo/Pod/b',
    });
    expect(wrongHint.open).toEqual({});
    const otherId = recordActionOutcome(state, {
      workflowId: `${workflowId}0`,
      outcome: 'Succeeded',
      nowMs: T0,
      policy: p,
      targetKey: 'demo/Pod/a',
    });
    expect(Object.keys(otherId.open)).toEqual(['demo/Pod/a']);
  });

  it('maxConsecutiveFailures failures put the workload on hold for holdDuration', () => {
    const first = withOpenAction();
    const state = recordActionOutcome(first.state, {
      workflowId: first.workflowId,
      outcome: 'Failed',
      nowMs: T0 + MIN,
      policy: p,
    });
    expect(heldSubjects(state, T0 + MIN)).toEqual([]);
    const d = new Driver(p);
    d.state = state;
    const r = d.tick(snapshot(T0 + 6 * MIN, [pod('a', withMemory(0.9)), pod('b'), pod('c')]));
    d.outcome(r.planned[0]?.workflowId ?? '', 'Failed', T0 + 7 * MIN);
    expect(heldSubjects(d.state, T0 + 7 * MIN)).toEqual([
      { subjectKey: 'demo/Deployment/web', holdUntilMs: T0 + 37 * MIN },
    ]);
    expect(heldSubjects(d.state, T0 + 37 * MIN)).toEqual([]);
  });

  it('never mutates its input', () => {
    const { state, workflowId } = withOpenAction();
    const copy = cloneState(state);
    recordActionOutcome(state, { workflowId, outcome: 'Failed', nowMs: T0, policy: p });
    expect(state).toEqual(copy);
  });
});

describe('signals', () => {
  it('pause and resume; resume also drops a mode override', () => {
    const s = setModeOverride(pause(initialState()), 'dryrun');
    expect([s.paused, effectiveMode(p, s)]).toEqual([true, 'dryrun']);
    const r = resume(s);
    expect([r.paused, effectiveMode(p, r), 'modeOverride' in r]).toEqual([false, 'automatic', false]);
  });

  it('a policy change drops the override', () => {
    expect(effectiveMode(p, onPolicyChanged(setModeOverride(initialState(), 'monitor')))).toBe('automatic');
  });

  it('clearHold clears one subject or all', () => {
    // Two workloads put on hold the way the planner does it: maxConsecutiveFailures (2) failures each.
    const d = new Driver(p);
    const api = ownedBy('Deployment', 'api');
    const pods = [pod('w', withMemory(0.9)), pod('w2'), pod('x', api, withMemory(0.9)), pod('x2', api)];
    for (const t of [T0, T0 + 10 * MIN]) {
      d.tick(snapshot(t, pods));
      d.closeAll('Failed', t + MIN);
    }
    const held = (s: PolicyState): string[] => heldSubjects(s, T0 + 12 * MIN).map((h) => h.subjectKey);
    expect(held(d.state)).toEqual(['demo/Deployment/web', 'demo/Deployment/api']);
    expect(held(clearHold(d.state, 'demo/Deployment/web'))).toEqual(['demo/Deployment/api']);
    expect(held(clearHold(d.state))).toEqual([]);
  });
});

describe('pruneState', () => {
  const restartPolicy = policy({
    triggers: [
      memoryTrigger(85, { for: '1m' }),
      { name: 'r', type: 'metric', metricTrigger: { query: 'restart_count', threshold: 3, window: '10m' } },
    ],
  });

  it('forgets the windows and restart history of pods gone for longer than the retention', () => {
    const d = new Driver(restartPolicy);
    d.tick(snapshot(T0, [pod('a', withMemory(0.9), withRestarts(2))]));
    expect(Object.keys(d.state.windows)).toEqual(['demo/Pod/a#high-memory']);
    expect(Object.keys(d.state.restarts)).toEqual(['uid-pod-demo-a']);
    d.tick(snapshot(T0 + 5 * MIN, [])); // gone for 5 minutes: kept (a snapshot may miss a pod)
    expect(Object.keys(d.state.windows)).toHaveLength(1);
    d.tick(snapshot(T0 + 6 * MIN, []));
    expect(d.state.windows).toEqual({});
    expect(Object.keys(d.state.restarts)).toHaveLength(1); // restart history lives as long as its window
    d.tick(snapshot(T0 + 11 * MIN, []));
    expect(d.state.restarts).toEqual({});
  });

  it('drops expired cooldowns, starts older than an hour, and entries of removed triggers', () => {
    const s: PolicyState = {
      ...initialState(),
      starts: [T0 - HOUR, T0 - HOUR + 1],
      cooldowns: {
        'demo/Pod/a#high-memory': T0,
        'demo/Pod/b#high-memory': T0 + 1,
        'demo/Pod/c#gone': T0 + HOUR,
      },
      windows: { 'demo/Pod/a#gone': { sinceMs: T0, seenMs: T0 } },
    };
    pruneState(s, p, T0);
    expect(s.starts).toEqual([T0 - HOUR + 1]);
    expect(s.cooldowns).toEqual({ 'demo/Pod/b#high-memory': T0 + 1 });
    expect(s.windows).toEqual({});
  });

  it('expires an open action nobody reported on for longer than any honest action takes', () => {
    const { state } = withOpenAction();
    const age = maxOpenAgeMs(p);
    expect(age).toBe(HOUR + 30_000 + 5 * MIN + HOUR);
    const kept = cloneState(state);
    pruneState(kept, p, T0 + age);
    expect(Object.keys(kept.open)).toHaveLength(1);
    pruneState(state, p, T0 + age + 1);
    expect(state.open).toEqual({});
    expect(state.counters.outcomes['Expired']).toBe(1);
  });

  it('forgets ladder steps and failure streaks after max(holdDuration, 1h) without news', () => {
    const s: PolicyState = {
      ...initialState(),
      ladders: { 'demo/Deployment/web#high-memory': { next: 1, updatedMs: T0 } },
      subjects: {
        'demo/Deployment/web': { failures: 1, lastFailureMs: T0 },
        'demo/Deployment/held': { failures: 0, lastFailureMs: T0, holdUntilMs: T0 + 2 * HOUR },
      },
    };
    pruneState(s, p, T0 + HOUR);
    expect(Object.keys(s.ladders)).toHaveLength(1);
    pruneState(s, p, T0 + HOUR + 1);
    expect(s.ladders).toEqual({});
    expect(Object.keys(s.subjects)).toEqual(['demo/Deployment/held']);
    pruneState(s, p, T0 + 2 * HOUR);
    expect(s.subjects).toEqual({});
  });
});

describe('retargetOpenAction: the open record names what an AI decision really runs', () => {
  // A policy whose rule restarts the pod and whose model may choose to scale its Deployment instead.
  const aiPolicy = policy({
    actions: [
      restartAction({ priority: 20 }),
      {
        name: 'scale-up',
        type: 'scale',
        priority: 10,
        scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 9 },
      },
    ],
    safetyRules: { maxConcurrentActions: 5, maxActionsPerHour: 10 },
    aiAnalysis: { enabled: true, mode: 'decide', minConfidence: 0.5 },
  });
  const pods = (...hot: string[]): ReturnType<typeof pod>[] =>
    ['a', 'b', 'c'].map((n) => (hot.includes(n) ? pod(n, withMemory(0.9)) : pod(n)));

  /** Plans the rule's action on pod a, lets the model choose `choice`, and tells the state. */
  function planAndDecide(choice: string): { d: Driver; planned: PlannedAction; ran: PlannedAction } {
    const d = new Driver(aiPolicy);
    const seen = snapshot(T0, pods('a'));
    const [planned] = d.tick(seen).planned;
    if (!planned) throw new Error('nothing planned');
    const answer = {
      analysis: 'memory grows',
      rootCause: 'load',
      confidence: 0.9,
      recommendation: { action: choice, rationale: 'because' },
      similarIncidents: [],
    };
    const ran = applyAiAnswer({ planned, outcome: { ok: true, model: 'm', answer }, snapshot: seen }).planned;
    d.state = retargetOpenAction(d.state, actionRetarget(ran));
    return { d, planned, ran };
  }

  it('pod → Deployment: a later fire on another pod of that Deployment waits (ActionInProgress)', () => {
    const { d, planned, ran } = planAndDecide('scale-up');
    expect([planned.targetKey, ran.targetKey]).toEqual(['demo/Pod/a', 'demo/Deployment/web']);
    expect(Object.keys(d.state.open)).toEqual(['demo/Deployment/web']);
    const r = d.tick(snapshot(T0 + MIN, pods('a', 'b')));
    expect(r.planned).toEqual([]);
    expect(r.refusals.map((x) => [x.targetKey, x.reason])).toEqual([
      ['demo/Pod/a', 'ActionInProgress'],
      ['demo/Pod/b', 'ActionInProgress'],
    ]);
  });

  it('its outcome closes it under the new target, and the next fire on that workload acts again', () => {
    const { d, ran } = planAndDecide('scale-up');
    d.state = recordActionOutcome(d.state, {
      workflowId: ran.workflowId,
      outcome: 'Succeeded',
      nowMs: T0 + MIN,
      targetKey: ran.targetKey,
      policy: aiPolicy,
      action: ran.action.name,
    });
    expect(d.state.open).toEqual({});
    expect(plannedOn(d.tick(snapshot(T0 + 2 * MIN, pods('b'))))).toEqual(['restart@demo/Pod/b']);
  });

  it('an unchanged plan, or an action already closed, changes nothing', () => {
    const { d, planned } = planAndDecide('restart');
    expect(retargetOpenAction(d.state, actionRetarget(planned))).toEqual(d.state);
    d.closeAll('Succeeded', T0 + MIN);
    expect(retargetOpenAction(d.state, actionRetarget(planned))).toBe(d.state);
  });
});
