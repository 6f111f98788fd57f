// Manual mode end to end: every action waits in AwaitingApproval until a person decides, through
// the approveAction update (what `kubeskippy action approve` sends) or the kubeskippy.io/approve
// annotation relayed by the controller; a rejection and an expiry end Rejected with who and why.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionNamed,
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  policyHandle,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment } from '../support/sim-fixtures.js';
import { approveActionUpdate, type ApprovalInput } from '../../workflows/messages.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const APPROVAL_TIMEOUT_S = 15;

describe('manual approval', () => {
  it('waits for a decision: approved by update and by annotation, rejected, expired', async () => {
    engine.apply([
      deployment('manual-app', { replicas: 4, behaviour: { behavior: 'healthy' } }),
      healingPolicy(engine.namespace, 'manual', 'manual-app', {
        mode: 'manual',
        triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: {
          approvalTimeout: `${APPROVAL_TIMEOUT_S}s`,
          minReadyReplicas: 0,
          maxConcurrentActions: 4,
          maxActionsPerHour: 20,
        },
        verification: { delay: '1s', timeout: '15s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    const waiting = await eventually(
      () => `4 actions awaiting approval: ${describeActions(engine, 'manual')}`,
      () => {
        const all = actionsOf(engine, 'manual').filter((a) => a.status?.phase === 'AwaitingApproval');
        return all.length === 4 ? all : undefined;
      },
      45_000,
    );
    const [byUpdate, byAnnotation, rejected, expiring] = waiting as [
      HealingAction,
      HealingAction,
      HealingAction,
      HealingAction,
    ];
    const waitedSince = Date.now();
    expect(byUpdate.status!.approval).toMatchObject({ required: true });
    const handle = (a: HealingAction): ReturnType<Engine['client']['workflow']['getHandle']> =>
      engine.client.workflow.getHandle(a.status!.workflowId!);

    // The validator refuses nonsense before anything is recorded; the action keeps waiting.
    await expect(
      handle(expiring).executeUpdate(approveActionUpdate, {
        args: [{ decision: 'maybe', by: 'eve' } as unknown as ApprovalInput],
      }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

    // 1. approved by the update, as `kubeskippy action approve` does.
    const answer = await handle(byUpdate).executeUpdate(approveActionUpdate, {
      args: [{ decision: 'approve', by: 'alice', comment: 'go ahead' }],
    });
    expect(answer).toMatchObject({ approval: { decision: 'approve', approved: true, by: 'alice' } });
    // A second decision on an action no longer awaiting one is refused by the validator.
    await expect(
      handle(byUpdate).executeUpdate(approveActionUpdate, { args: [{ decision: 'reject', by: 'mallory' }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/not awaiting approval/) } });

    // 2. approved by annotation, relayed by the controller.
    engine.sim.store.mutate(
      'kubeskippy.io/v1alpha1/healingactions',
      engine.namespace,
      byAnnotation.metadata.name!,
      (o) => {
        o.metadata.annotations = {
          ...o.metadata.annotations,
          'kubeskippy.io/approve': 'true',
          'kubeskippy.io/approved-by': 'carol',
        };
      },
    );

    // 3. rejected, with who and why.
    await handle(rejected).executeUpdate(approveActionUpdate, {
      args: [{ decision: 'reject', by: 'bob', comment: 'not during the release' }],
    });

    const final = async (a: HealingAction): Promise<HealingAction> =>
      eventually(
        () => `${a.metadata.name} to finish: ${describeActions(engine, 'manual')}`,
        () => {
          const now = actionNamed(engine, a.metadata.name!);
          return now?.status?.completionTime ? now : undefined;
        },
        30_000,
      );
    const [u, n, r] = await Promise.all([final(byUpdate), final(byAnnotation), final(rejected)]);
    expect(u.status, JSON.stringify(u.status)).toMatchObject({
      phase: 'Succeeded',
      approval: { decision: 'approve', approved: true, by: 'alice', comment: 'go ahead' },
    });
    expect(n.status, JSON.stringify(n.status)).toMatchObject({
      phase: 'Succeeded',
      // approved-by is free text anyone who may annotate can write: a claim, not the decider.
      approval: {
        decision: 'approve',
        approved: true,
        by: 'annotation',
        comment: 'kubeskippy.io/approved-by says "carol" (not verified)',
      },
    });
    expect(r.status, JSON.stringify(r.status)).toMatchObject({
      phase: 'Rejected',
      reason: 'RejectedByUser',
      approval: { decision: 'reject', approved: false, by: 'bob', comment: 'not during the release' },
    });
    // The approved pods were deleted; the rejected one was not.
    const live = (a: HealingAction): boolean =>
      engine.sim.store
        .list('core/v1/pods', { namespace: engine.namespace })
        .some((p) => p.metadata.uid === a.spec.targetResource.uid && !p.metadata.deletionTimestamp);
    expect([live(u), live(n), live(r)]).toEqual([false, false, true]);

    // 4. nobody decided: expired after approvalTimeout, nothing done.
    const e = await final(expiring);
    expect(e.status, JSON.stringify(e.status)).toMatchObject({
      phase: 'Rejected',
      reason: 'ApprovalExpired',
      approval: { decision: 'reject', approved: false, by: 'kubeskippy' },
    });
    expect(Date.now() - waitedSince).toBeGreaterThanOrEqual((APPROVAL_TIMEOUT_S - 3) * 1000);
    expect(live(e)).toBe(true);
    await recordHistories(engine, 'manual-approval', {
      policy: policyHandle(engine, 'manual').workflowId,
      action: u.status!.workflowId!,
    });
  }, 120_000);
});
