import { describe, expect, it } from 'vitest';
import { decisionFrom } from '../../operator/controller/approval-relay.js';
import {
  MAX_CONDITION_MESSAGE,
  invalidStatus,
  mergeConditions,
  mirroredStatus,
} from '../../operator/controller/policy-status.js';
import type { PolicyStatusView } from '../../workflows/messages.js';
import { allFiresProtected, policyStatusView } from '../../domain/policy-view.js';
import { Driver } from '../fixtures/domain-run.js';
import { pod, policy, restartAction, snapshot, withMemory } from '../fixtures/domain-builders.js';

function view(over: Partial<PolicyStatusView> = {}): PolicyStatusView {
  return {
    policy: { namespace: 'ns', name: 'p', generation: 2 },
    mode: 'automatic',
    specMode: 'automatic',
    paused: false,
    activeTriggers: [],
    openActions: [],
    held: [],
    actionsInLastHour: 0,
    counters: { evaluations: 3, fires: 1, actionsStarted: 1, outcomes: {}, refusals: {} },
    lastRefusals: [],
    snapshotErrors: [],
    ...over,
  };
}

const cond = (status: ReturnType<typeof mirroredStatus>, type: string): unknown =>
  status.conditions?.find((c) => c.type === type);

describe('approval annotations', () => {
  it.each([
    [{ 'kubeskippy.io/approve': 'true' }, { decision: 'approve', by: 'annotation' }],
    [{ 'kubeskippy.io/approve': 'Approve' }, { decision: 'approve', by: 'annotation' }],
    [
      { 'kubeskippy.io/approve': 'reject', 'kubeskippy.io/approved-by': 'bob' },
      // A name in an annotation is free text: kept as an unverified claim, never the decider.
      {
        decision: 'reject',
        by: 'annotation',
        comment: 'kubeskippy.io/approved-by says "bob" (not verified)',
      },
    ],
    [
      { 'kubeskippy.io/approve': 'false', 'kubeskippy.io/approval-comment': 'not now' },
      { decision: 'reject', by: 'annotation', comment: 'not now' },
    ],
    [{ 'kubeskippy.io/approve': 'maybe' }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])('%j → %j', (annotations, expected) => {
    expect(decisionFrom(annotations as Record<string, string> | undefined)).toEqual(expected);
  });
});

describe('policy status', () => {
  const now = '2026-01-01T00:00:00.000Z';

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const prev = [{ type: 'Ready', status: 'True' as const, lastTransitionTime: 'earlier' }];
    expect(mergeConditions(prev, [{ type: 'Ready', status: 'True' }], now)[0]!.lastTransitionTime).toBe(
      'earlier',
    );
    expect(mergeConditions(prev, [{ type: 'Ready', status: 'False' }], now)[0]!.lastTransitionTime).toBe(now);
  });

  it('reports an invalid spec as Ready=False naming the field', () => {
    const s = invalidStatus({
      generation: 3,
      message: 'spec.triggers[0].metricTrigger: required',
      nowIso: now,
    });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect((cond(s, 'Ready') as { message: string }).message).toContain('spec.triggers[0].metricTrigger');
    expect((cond(s, 'Ready') as { message: string }).message).toContain('no workflow was started');
    expect(s.observedGeneration).toBe(3);
  });

  it('bounds the Ready=False message, so a spec quoting a huge value still gets a status', () => {
    const regex = '('.padEnd(800_000, 'x');
    const s = invalidStatus({
      generation: 2,
      message: `spec.triggers[0].eventTrigger.reasonPattern: not a valid regular expression: ${regex}`,
      nowIso: now,
    });
    const message = (cond(s, 'Ready') as { message: string }).message;
    expect(message.length).toBeLessThanOrEqual(MAX_CONDITION_MESSAGE);
    expect(message).toMatch(
      /^spec\.triggers\[0\]\.eventTrigger\.reasonPattern: not a valid regular expression: \(x+… \(\d+ more characters\); no workflow was started$/,
    );
  });

  it('says the previous generation keeps running when an update is invalid', () => {
    const s = invalidStatus({ generation: 4, message: 'bad', runningGeneration: 3, nowIso: now });
    expect((cond(s, 'Ready') as { message: string }).message).toContain('generation 3 keeps running');
  });

  it('mirrors paused, held targets, mode override and counters', () => {
    const s = mirroredStatus({
      view: view({
        paused: true,
        mode: 'dryrun',
        held: [{ subjectKey: 'ns/Deployment/web', holdUntilMs: 1 }],
        lastEvaluatedMs: 0,
        lastActionMs: 1000,
        activeTriggers: ['high-memory'],
      }),
      workflowId: 'kubeskippy/policy/ns/p',
      generation: 2,
      nowIso: now,
    });
    expect(cond(s, 'Paused')).toMatchObject({ status: 'True' });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'TargetsOnHold' });
    expect((cond(s, 'Ready') as { message: string }).message).toContain('overridden; spec says automatic');
    expect(s).toMatchObject({
      actionsTaken: 1,
      activeTriggers: ['high-memory'],
      mode: 'dryrun',
      observedGeneration: 2,
      lastEvaluated: '1970-01-01T00:00:00.000Z',
      lastActionTime: '1970-01-01T00:00:01.000Z',
    });
  });

  it('keeps Ready=False for a rejected generation while mirroring the one that still runs', () => {
    const s = mirroredStatus({
      view: view(),
      workflowId: 'w',
      generation: 2,
      invalid: { generation: 3, message: 'spec.actions[0].triggers: unknown trigger "nope"' },
      nowIso: now,
    });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', observedGeneration: 3 });
    expect((cond(s, 'Ready') as { message: string }).message).toBe(
      'spec.actions[0].triggers: unknown trigger "nope"; generation 2 keeps running',
    );
    expect(s.observedGeneration).toBe(3);
    // The running generation's counters are still shown.
    expect(s).toMatchObject({ actionsTaken: 1, workflowId: 'w' });
    expect(cond(s, 'Paused')).toMatchObject({ status: 'False', observedGeneration: 2 });
  });

  it('says what normalizing the spec noticed in a Warnings condition, and False when nothing', () => {
    const { warnings } = policy({
      actions: [restartAction({ scaleAction: { direction: 'up', replicas: 1, maxReplicas: 3 } })],
    });
    expect(warnings.length).toBeGreaterThan(0);
    const s = mirroredStatus({ view: view({ warnings }), workflowId: 'w', generation: 2, nowIso: now });
    expect(cond(s, 'Warnings')).toMatchObject({
      status: 'True',
      reason: 'SpecWarnings',
      message: 'spec.actions[0].scaleAction: ignored for an action of type restart',
      observedGeneration: 2,
    });
    const clean = mirroredStatus({
      view: view({ warnings: policy().warnings }),
      workflowId: 'w',
      nowIso: now,
    });
    expect(cond(clean, 'Warnings')).toMatchObject({ status: 'False', reason: 'NoWarnings' });
  });

  it('is Degraded with PartialSnapshot when parts of the cluster could not be read', () => {
    const s = mirroredStatus({
      view: view({ snapshotErrors: ['metrics.k8s.io unavailable'] }),
      workflowId: 'w',
      nowIso: now,
    });
    expect(cond(s, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'PartialSnapshot',
      message: 'metrics.k8s.io unavailable',
    });
  });
});

describe('a policy that selects only protected objects', () => {
  const T0 = 10_000_000;
  const guarded = policy({
    safetyRules: { protectedResources: [{ kind: 'Pod', names: ['db-*'] }] },
  });
  /** One evaluation through the real planner, into the status the controller writes. */
  const statusAfter = (names: string[]): ReturnType<typeof mirroredStatus> => {
    const d = new Driver(guarded);
    const r = d.tick(
      snapshot(
        T0,
        names.map((n) => pod(n, withMemory(0.95))),
      ),
    );
    const allProtected = allFiresProtected(r.fires, r.refusals, r.planned.length);
    const v = policyStatusView({
      policy: guarded,
      state: d.state,
      last: {
        activeTriggers: r.activeTriggers,
        refusals: r.refusals,
        errors: [],
        allProtected: allProtected ?? undefined,
      },
      nowMs: T0,
    });
    return mirroredStatus({ view: v, workflowId: 'w', nowIso: '2026-01-01T00:00:00.000Z' });
  };

  it('is Degraded with AllTargetsProtected, naming the rule, when every fire is refused', () => {
    expect(cond(statusAfter(['db-0', 'db-1']), 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'AllTargetsProtected',
      message:
        'every fire of the last evaluation that had any (2 on 2 target(s)) was refused because its target ' +
        'is protected, so this policy cannot act: Pod demo/db-0 matches safetyRules.protectedResources[0]',
    });
  });

  it('is not, when one target could be acted on', () => {
    expect(cond(statusAfter(['db-0', 'web-1']), 'Degraded')).toMatchObject({
      status: 'False',
      reason: 'Healthy',
    });
  });

  it('keeps the last answer through evaluations where nothing fires', () => {
    expect(allFiresProtected([], [], 0)).toBeNull();
  });
});

describe('the Window condition (kubectl get hp: WINDOW)', () => {
  const withWindows = policy({
    safetyRules: { maintenanceWindows: [{ schedule: '0 2 * * *', duration: '1h' }] },
  });
  const statusAt = (p: typeof withWindows, iso: string) => {
    const d = new Driver(p);
    const nowMs = Date.parse(iso);
    const v = policyStatusView({
      policy: p,
      state: d.state,
      last: { activeTriggers: [], refusals: [], errors: [] },
      nowMs,
    });
    return mirroredStatus({ view: v, workflowId: 'w', generation: 1, nowIso: iso });
  };

  it('is True, reason MaintenanceWindow, inside a maintenance window, saying until when', () => {
    expect(cond(statusAt(withWindows, '2026-12-05T02:10:00Z'), 'Window')).toMatchObject({
      status: 'True',
      reason: 'MaintenanceWindow',
      message: expect.stringContaining('until 2026-12-05T03:00:00.000Z'),
      observedGeneration: 1,
    });
  });

  it('is False, reason Open, between windows, saying when the next opens', () => {
    expect(cond(statusAt(withWindows, '2026-12-05T03:00:00Z'), 'Window')).toMatchObject({
      status: 'False',
      reason: 'Open',
      message: expect.stringContaining('until 2026-12-06T02:00:00.000Z'),
    });
  });

  it('is True, reason OutsideAllowedWindow, outside every allowed window', () => {
    const p = policy({ safetyRules: { allowedWindows: [{ schedule: '0 9 * * *', duration: '1h' }] } });
    expect(cond(statusAt(p, '2026-12-05T12:00:00Z'), 'Window')).toMatchObject({
      status: 'True',
      reason: 'OutsideAllowedWindow',
    });
  });

  it('is absent from a policy without windows', () => {
    expect(cond(statusAt(policy(), '2026-12-05T02:10:00Z'), 'Window')).toBeUndefined();
  });
});
