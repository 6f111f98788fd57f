// Ineffective-fix detection through the real planner: normalizePolicy (via the fixtures' policy()),
// evaluatePolicy, recordActionOutcome and the status view. A leaking Deployment "web" whose pod is
// restarted, comes back under a new name, and leaks again: each cycle is one relapse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHealingPolicySpec } from '../../crds/validate.js';
import { ineffectiveEvents, MAX_REMEDY_RECORDS } from '../../domain/ineffective.js';
import { mirroredStatus } from '../../operator/controller/policy-status.js';
import { policyStatusView } from '../../domain/policy-view.js';
import { clearHold } from '../../domain/state.js';
import { Driver, plannedOn, reasons } from '../fixtures/domain-run.js';
import {
  createdAt,
  memoryTrigger,
  ownedBy,
  pod,
  policy,
  restartAction,
  snapshot,
  withMemory,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

const scaleUp = {
  name: 'scale-up',
  type: 'scale',
  priority: 1,
  scaleAction: { direction: 'up', replicas: 1, maxReplicas: 5 },
};
const restart = restartAction({ priority: 10 });

function leakPolicy(ineffectiveRemediation: Record<string, unknown> = {}, actions: unknown[] = [restart]) {
  return policy({
    triggers: [memoryTrigger(85, { for: '0s' })],
    actions,
    safetyRules: {
      maxActionsPerHour: 50,
      minReadyReplicas: 0,
      maxConsecutiveFailures: 10,
      ineffectiveRemediation,
    },
  });
}

/** The web pod of generation `n` (a replacement has a new name), leaking, created at `t`. */
const leakingPod = (n: number, t: number, owner = 'web') =>
  pod(`${owner}-${n}`, withMemory(0.9), createdAt(t), ownedBy('Deployment', owner));

/**
 * One cycle: at `t` the n-th pod leaks and the policy plans; the action succeeds 30s later (the pod
 * was replaced). Returns the evaluation.
 */
function cycle(d: Driver, n: number, t: number, outcome: 'Succeeded' | 'Failed' = 'Succeeded') {
  const r = d.tick(snapshot(t, [leakingPod(n, t - 1000)]));
  d.closeAll(outcome, t + 30_000);
  return r;
}

describe('a fix that relapses', () => {
  it('is put on hold after maxIneffective relapses, and the next rung runs, saying why', () => {
    const d = new Driver(leakPolicy({}, [restart, scaleUp]));
    for (let n = 1; n <= 3; n++)
      expect(plannedOn(cycle(d, n, T0 + n * 5 * MIN))).toEqual(['restart@demo/Pod/web-' + n]);
    const r = d.tick(snapshot(T0 + 20 * MIN, [leakingPod(4, T0 + 20 * MIN - 1000)]));
    expect(r.ineffective).toHaveLength(1);
    expect(r.ineffective![0]).toMatchObject({
      subjectKey: 'demo/Deployment/web',
      trigger: 'high-memory',
      action: 'restart',
    });
    expect(plannedOn(r)).toEqual(['scale-up@demo/Deployment/web']);
    const planned = r.planned[0]!;
    expect(planned.requiresApproval).toBe(false);
    expect(planned.ladderChoice).toMatchObject({ reason: 'IneffectiveRemediation', passedOver: ['restart'] });
    expect(planned.ladderChoice!.message).toMatch(
      /action restart did not last for trigger high-memory on demo\/Deployment\/web: 3 ineffective attempts within 1h .*; scale-up runs instead$/,
    );
    // The refusal of the usual rung is what the metric and lastRefusals count.
    expect(r.refusals).toMatchObject([{ reason: 'IneffectiveRemediation', action: 'restart' }]);
  });

  it('with no other rung, the held action waits for a person, and the request says why', () => {
    const d = new Driver(leakPolicy());
    for (let n = 1; n <= 3; n++) cycle(d, n, T0 + n * 5 * MIN);
    const r = d.tick(snapshot(T0 + 20 * MIN, [leakingPod(4, T0 + 20 * MIN - 1000)]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/web-4']);
    expect(r.planned[0]!.requiresApproval).toBe(true);
    expect(r.planned[0]!.ladderChoice?.message).toMatch(/it runs again only once a person approves$/);
  });

  it('then: approval asks a person about the same action instead of escalating', () => {
    const d = new Driver(leakPolicy({ then: 'approval', maxIneffective: 2 }, [restart, scaleUp]));
    for (let n = 1; n <= 2; n++) cycle(d, n, T0 + n * 5 * MIN);
    const r = d.tick(snapshot(T0 + 15 * MIN, [leakingPod(3, T0 + 15 * MIN - 1000)]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/web-3']);
    expect(r.planned[0]!.requiresApproval).toBe(true);
  });

  it('then: hold refuses with the evidence in the policy status, until the hold ends or is cleared', () => {
    const p = leakPolicy({ then: 'hold', maxIneffective: 2, holdDuration: '30m' }, [restart, scaleUp]);
    const d = new Driver(p);
    cycle(d, 1, T0 + 5 * MIN);
    cycle(d, 2, T0 + 10 * MIN);
    const t = T0 + 15 * MIN;
    const r = d.tick(snapshot(t, [leakingPod(3, t - 1000)]));
    expect(r.planned).toEqual([]);
    expect(reasons(r)).toEqual(['IneffectiveRemediation']);
    expect(r.refusals[0]!.message).toMatch(/2 ineffective attempts within 1h .*on hold for 30m more$/);
    const view = policyStatusView({
      policy: p,
      state: d.state,
      last: { activeTriggers: [], refusals: [], errors: [] },
      nowMs: t,
    });
    expect(view.ineffective).toHaveLength(1);
    const held = view.ineffective![0]!;
    expect(held).toMatchObject({
      subjectKey: 'demo/Deployment/web',
      action: 'restart',
      then: 'hold',
      untilMs: t + 30 * MIN,
    });
    expect(held.evidence.map((e) => [e.outcome, e.startedMs, e.endedMs, e.relapsedMs])).toEqual([
      ['Succeeded', T0 + 5 * MIN, T0 + 5 * MIN + 30_000, T0 + 10 * MIN],
      ['Succeeded', T0 + 10 * MIN, T0 + 10 * MIN + 30_000, t],
    ]);
    expect(held.evidence[0]!.healingAction).toMatch(/^heal-restart-web-1-/);
    // Still held a minute later; cleared by a person, it acts again.
    expect(reasons(d.tick(snapshot(t + MIN, [leakingPod(3, t - 1000)])))).toEqual(['IneffectiveRemediation']);
    const cleared = new Driver(p);
    cleared.state = clearHold(d.state, 'demo/Deployment/web');
    expect(plannedOn(cleared.tick(snapshot(t + 2 * MIN, [leakingPod(3, t - 1000)])))).toEqual([
      'restart@demo/Pod/web-3',
    ]);
    // Uncleared, the hold ends after holdDuration and the action starts afresh.
    expect(plannedOn(d.tick(snapshot(t + 31 * MIN, [leakingPod(3, t - 1000)])))).toEqual([
      'restart@demo/Pod/web-3',
    ]);
  });

  it('counts failures too, not only in a row (a success between them does not reset it)', () => {
    const d = new Driver(leakPolicy({ then: 'hold' }));
    cycle(d, 1, T0 + 5 * MIN, 'Failed');
    cycle(d, 2, T0 + 10 * MIN, 'Succeeded');
    cycle(d, 3, T0 + 15 * MIN, 'Failed'); // this fire was the relapse of attempt 2
    const r = d.tick(snapshot(T0 + 20 * MIN, [leakingPod(4, T0 + 20 * MIN - 1000)]));
    expect(reasons(r)).toEqual(['IneffectiveRemediation']);
    expect(r.refusals[0]!.message).toMatch(/Failed at .*; Succeeded at .*, relapsed 4m30s later; Failed at /);
  });

  it('survives a policy edit and continue-as-new: keyed by trigger and action names, not the generation', () => {
    const d = new Driver(leakPolicy({ then: 'hold', maxIneffective: 2 }));
    cycle(d, 1, T0 + 5 * MIN);
    cycle(d, 2, T0 + 10 * MIN);
    const edited = new Driver(
      policy(
        {
          triggers: [memoryTrigger(80, { for: '0s' })],
          actions: [restart],
          safetyRules: { minReadyReplicas: 0, ineffectiveRemediation: { then: 'hold', maxIneffective: 2 } },
        },
        { generation: 7 },
      ),
    );
    // Continue-as-new carries the state as JSON (Temporal's payload converter).
    edited.state = JSON.parse(JSON.stringify(d.state)) as typeof d.state;
    expect(reasons(edited.tick(snapshot(T0 + 15 * MIN, [leakingPod(3, T0 + 15 * MIN - 1000)])))).toEqual([
      'IneffectiveRemediation',
    ]);
  });
});

describe('what is not a relapse', () => {
  it('a fix that stays fixed is never held: the next fire comes after the window', () => {
    const d = new Driver(leakPolicy({ window: '10m', then: 'hold' }));
    for (let n = 1; n <= 6; n++) {
      const r = cycle(d, n, T0 + n * 15 * MIN);
      expect(plannedOn(r)).toEqual([`restart@demo/Pod/web-${n}`]);
      expect(reasons(r)).toEqual([]);
    }
    expect(Object.values(d.state.remedies ?? {}).filter((rec) => rec.hold)).toEqual([]);
  });

  it('a sibling already leaking when the action was planned is not its relapse', () => {
    const d = new Driver(
      policy({
        triggers: [memoryTrigger(85, { for: '0s' })],
        actions: [restart],
        safetyRules: {
          minReadyReplicas: 0,
          maxConcurrentActions: 1,
          ineffectiveRemediation: { then: 'hold', maxIneffective: 1 },
        },
      }),
    );
    const t = T0 + 5 * MIN;
    const both = (at: number) => snapshot(at, [leakingPod(1, t - 1000), leakingPod(2, t - 1000)]);
    expect(reasons(d.tick(both(t)))).toEqual(['ConcurrencyLimit']); // web-2 waits its turn
    d.closeAll('Succeeded', t + 30_000);
    // web-2 fires again after web-1's success, but its episode began before that action was planned.
    const r = d.tick(snapshot(t + MIN, [leakingPod(2, t - 1000)]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/web-2']);
  });

  it('other workloads and other triggers keep their own counts', () => {
    const d = new Driver(leakPolicy({ then: 'hold', maxIneffective: 1 }));
    cycle(d, 1, T0 + 5 * MIN);
    const r = d.tick(snapshot(T0 + 10 * MIN, [leakingPod(1, T0 + 10 * MIN - 1000, 'api')]));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/api-1']);
  });

  it('enabled: false repeats the action however often it relapses', () => {
    const d = new Driver(leakPolicy({ enabled: false, maxIneffective: 1 }));
    for (let n = 1; n <= 4; n++) expect(plannedOn(cycle(d, n, T0 + n * 5 * MIN))).toHaveLength(1);
  });
});

describe('visible', () => {
  const p = leakPolicy({ then: 'hold', maxIneffective: 2 });
  const held = () => {
    const d = new Driver(p);
    cycle(d, 1, T0 + 5 * MIN);
    cycle(d, 2, T0 + 10 * MIN);
    const r = d.tick(snapshot(T0 + 15 * MIN, [leakingPod(3, T0 + 15 * MIN - 1000)]));
    return { d, r };
  };

  it('one Warning Event on the workload and one on the policy, named by the hold', () => {
    const { r } = held();
    const events = ineffectiveEvents({
      policy: { namespace: 'demo', name: 'heal' },
      notices: r.ineffective!,
      nowMs: 1,
    });
    expect(
      events.map((e) => [
        e.involvedObject.kind,
        e.involvedObject.apiVersion,
        e.involvedObject.name,
        e.reason,
        e.type,
      ]),
    ).toEqual([
      ['Deployment', 'apps/v1', 'web', 'IneffectiveRemediation', 'Warning'],
      ['HealingPolicy', 'kubeskippy.io/v1alpha1', 'heal', 'IneffectiveRemediation', 'Warning'],
    ]);
    expect(events[0]!.name).toBe(`heal.ineffective.web.high-memory.restart.${T0 + 15 * MIN}`);
    expect(events[1]!.message).toMatch(
      /^action restart did not last for trigger high-memory on demo\/Deployment\/web/,
    );
  });

  it('the policy status lists the hold with its evidence, Degraded says so, and its end is written', () => {
    const { d } = held();
    const last = { activeTriggers: [], refusals: [], errors: [] };
    const nowIso = new Date(T0 + 16 * MIN).toISOString();
    const view = policyStatusView({ policy: p, state: d.state, last, nowMs: T0 + 16 * MIN });
    const status = mirroredStatus({ view, workflowId: 'wf', nowIso });
    expect(status.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'IneffectiveRemediation',
      message: '1 action(s) on hold because they did not last: restart on demo/Deployment/web (high-memory)',
    });
    expect(status.ineffectiveRemediations).toMatchObject([
      {
        workload: 'demo/Deployment/web',
        trigger: 'high-memory',
        action: 'restart',
        then: 'hold',
        since: new Date(T0 + 15 * MIN).toISOString(),
        evidence: [
          {
            outcome: 'Succeeded',
            startTime: new Date(T0 + 5 * MIN).toISOString(),
            relapseTime: new Date(T0 + 10 * MIN).toISOString(),
          },
          { outcome: 'Succeeded', relapseTime: new Date(T0 + 15 * MIN).toISOString() },
        ],
      },
    ]);
    const after = policyStatusView({ policy: p, state: clearHold(d.state), last, nowMs: T0 + 17 * MIN });
    const cleared = mirroredStatus({ view: after, workflowId: 'wf', previous: status, nowIso });
    expect(cleared.ineffectiveRemediations).toEqual([]);
    expect(cleared.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'False' });
  });
});

describe('bounded state', () => {
  it('keeps at most MAX_REMEDY_RECORDS records and maxIneffective attempts each, whatever happens', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ w: fc.nat(400), ok: fc.boolean(), gap: fc.integer({ min: 1, max: 20 * MIN }) }),
          {
            maxLength: 300,
          },
        ),
        (steps) => {
          const d = new Driver(leakPolicy({ maxIneffective: 2 }));
          let t = T0;
          let n = 0;
          for (const s of steps) {
            t += s.gap;
            n += 1;
            d.tick(snapshot(t, [leakingPod(n, t - 1000, `w${s.w}`)]));
            d.closeAll(s.ok ? 'Succeeded' : 'Failed', t + 1000);
          }
          const records = Object.values(d.state.remedies ?? {});
          expect(records.length).toBeLessThanOrEqual(MAX_REMEDY_RECORDS);
          for (const rec of records) expect(rec.attempts.length).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('schema', () => {
  const spec = (ineffectiveRemediation: unknown) => ({
    selector: {},
    triggers: [memoryTrigger(85)],
    actions: [restart],
    safetyRules: { ineffectiveRemediation },
  });
  it.each([
    [{ then: 'retry' }, 'safetyRules.ineffectiveRemediation.then'],
    [{ maxIneffective: 0 }, 'safetyRules.ineffectiveRemediation.maxIneffective'],
    [{ window: '0s' }, 'safetyRules.ineffectiveRemediation.window'],
    [{ window: '200h' }, 'safetyRules.ineffectiveRemediation.window'],
    [{ holdDuration: 'soon' }, 'safetyRules.ineffectiveRemediation.holdDuration'],
  ])('refuses %j naming %s', (value, field) => {
    const parsed = parseHealingPolicySpec(spec(value));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.field).join(' ')).toContain(field);
  });

  it('defaults: on, 3 within 1h, then the next action, held for safetyRules.holdDuration', () => {
    expect(leakPolicy().safety.ineffective).toEqual({
      enabled: true,
      maxIneffective: 3,
      windowMs: HOUR,
      then: 'nextAction',
      holdDurationMs: HOUR,
    });
    expect(policy({ safetyRules: { holdDuration: '2h' } }).safety.ineffective.holdDurationMs).toBe(2 * HOUR);
  });
});
