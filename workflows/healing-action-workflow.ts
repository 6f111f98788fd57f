// One remediation, start to finish. Every step is visible as the HealingAction's phase:
//
//   Pending ──safety──▶ (AwaitingApproval) ──▶ Executing ──▶ Verifying ──▶ Succeeded
//      │                   │  reject/expiry          │ dry run          └──▶ Failed (patch reverted)
//      └─▶ Skipped         └─▶ Rejected              └─▶ DryRun
//
// Crash-safety comes from Temporal: a worker killed mid-action resumes here, and the executors
// are idempotent (uid preconditions, our id on what we change), so exactly one remediation happens.
import {
  condition,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  sleep,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { ActionPhase, HealingActionStatus, ResourceChange } from '../crds/healing-action.js';
import { aiEventMessage, aiReasonCode } from '../domain/ai-verdict.js';
import { assessHealed, stabilityStep } from '../domain/verify.js';
import { checkLiveSafety } from '../domain/live-safety.js';
import { actionRetarget } from '../domain/state.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { podsOfInterest, rfc3339, snapshotRequestFor, toExecutorAction, usageOf } from './action-helpers.js';
import { ActionRecorder } from './action-recorder.js';
import { analyzeStep } from './ai-step.js';
import {
  actionStatusQuery,
  approveActionUpdate,
  actionFinishedSignal,
  actionRetargetedSignal,
  type ApprovalInput,
} from './messages.js';
import { executeActivities, kubeReads } from './proxies.js';
import { metricsSink } from './sinks.js';

export interface HealingActionInput {
  planned: PlannedAction;
  policyWorkflowId: string;
}

export async function healingActionWorkflow(input: HealingActionInput): Promise<HealingActionStatus> {
  // AI analysis first (when the policy asks): it may pick another allowed action, or none.
  const ai = await analyzeStep(input.planned);
  const planned = ai?.planned ?? input.planned;
  /** Signals the policy workflow; when it is gone (its CR was deleted) there is nobody to tell. */
  const tellPolicy = async <T>(signal: SignalDefinition<[T]>, arg: T): Promise<void> => {
    try {
      await getExternalWorkflowHandle(input.policyWorkflowId).signal(signal, arg);
    } catch {
      // The record is complete without it.
    }
  };
  // Tell the policy what really runs, so its conflict checks see the AI's target (new signal: patched).
  if (planned !== input.planned && patched('ai-retarget-signal')) {
    await tellPolicy(actionRetargetedSignal, actionRetarget(planned));
  }
  const rec = new ActionRecorder(planned);
  let decision: ApprovalInput | undefined;

  setHandler(actionStatusQuery, () => rec.view());
  setHandler(
    approveActionUpdate,
    (approval) => {
      decision = approval;
      return { phase: rec.status.phase ?? 'Pending', approval: rec.approvalDecided(approval, Date.now()) };
    },
    {
      validator: (approval) => {
        if (approval.decision !== 'approve' && approval.decision !== 'reject') {
          throw new Error(`decision must be "approve" or "reject", got "${String(approval.decision)}"`);
        }
        if (!approval.by) throw new Error('by (who decides) is required');
        if (rec.status.phase !== 'AwaitingApproval' || decision) {
          throw new Error(`action is ${rec.status.phase}, not awaiting approval`);
        }
      },
    },
  );

  const finish = async (
    phase: ActionPhase,
    reason: string,
    message: string,
    extra: Partial<HealingActionStatus> = {},
  ): Promise<HealingActionStatus> => {
    const report = {
      policy: planned.policyRef.name,
      namespace: planned.policyRef.namespace,
      action: planned.action.type,
    };
    metricsSink.actionFinished({
      ...report,
      phase,
      durationSeconds: (Date.now() - workflowInfo().startTime.getTime()) / 1000,
    });
    await rec.transition(phase, reason, message, { ...extra, completionTime: rfc3339(Date.now()) });
    await rec.event(
      phase === 'Succeeded' || phase === 'DryRun' ? 'Normal' : 'Warning',
      `Healing${phase}`,
      message,
    );
    await tellPolicy(actionFinishedSignal, {
      workflowId: workflowInfo().workflowId,
      targetKey: planned.targetKey,
      phase,
      reason,
      action: planned.action.name,
      finishedMs: Date.now(),
    });
    return rec.status;
  };

  if (ai) rec.status.aiAnalysis = ai.record;
  await rec.create();
  if (ai && input.planned.ai) {
    const { provider, mode } = input.planned.ai.settings;
    metricsSink.aiAnalyzed({
      policy: planned.policyRef.name,
      namespace: planned.policyRef.namespace,
      provider,
      mode,
      followed: ai.record.followed ?? false,
      reason: aiReasonCode(ai.record),
      ...(ai.record.confidence !== undefined ? { confidence: ai.record.confidence } : {}),
    });
    // The Event is a new activity call: histories recorded before it have none, so it is patched.
    if (patched('ai-analysis-event')) {
      const answered = ai.record.confidence !== undefined;
      await rec.event(answered ? 'Normal' : 'Warning', 'AiAnalysis', aiEventMessage(ai.record));
    }
  }
  if (ai?.skip) return finish('Skipped', ai.skip.reason, ai.skip.message);

  // 1. Safety, on a fresh read of the cluster.
  const safety = async (): Promise<
    { ok: true; before: Record<string, string> } | { ok: false; reason: string; message: string }
  > => {
    const snapshot = await kubeReads.collectSnapshot(snapshotRequestFor(planned));
    const verdict = checkLiveSafety({ action: planned, snapshot });
    return verdict.ok ? { ok: true, before: usageOf(podsOfInterest(planned, snapshot)) } : verdict;
  };
  let check = await safety();
  if (!check.ok) return finish('Skipped', check.reason, check.message);

  // 2. Approval, when the action or the mode asks for it.
  if (planned.requiresApproval) {
    const expiresAt = Date.now() + planned.approvalTimeoutMs;
    await rec.transition('AwaitingApproval', 'ApprovalRequired', 'waiting for approve or reject', {
      approval: { required: true, expiresAt: rfc3339(expiresAt) },
    });
    await rec.event(
      'Normal',
      'AwaitingApproval',
      `${planned.action.type} of ${planned.targetKey} waits for approval`,
    );
    const decided = await condition(() => decision !== undefined, planned.approvalTimeoutMs);
    if (!decided) {
      return finish(
        'Rejected',
        'ApprovalExpired',
        `no decision within ${Math.round(planned.approvalTimeoutMs / 1000)}s`,
        {
          approval: {
            ...rec.status.approval,
            required: true,
            decision: 'reject',
            approved: false,
            by: 'kubeskippy',
            at: rfc3339(Date.now()),
          },
        },
      );
    }
    if (decision!.decision === 'reject') {
      return finish(
        'Rejected',
        'RejectedByUser',
        `rejected by ${decision!.by}${decision!.comment ? `: ${decision!.comment}` : ''}`,
      );
    }
    check = await safety(); // time has passed: look again before acting
    if (!check.ok) return finish('Skipped', check.reason, check.message);
  }

  // 3. Execute (or dry-run) through an idempotent executor.
  await rec.transition(
    'Executing',
    'Executing',
    `${planned.dryRun ? 'dry run of ' : ''}${planned.action.type} on ${planned.targetKey}`,
    {
      attempts: 1,
      executionTime: rfc3339(Date.now()),
    },
  );
  metricsSink.actionExecuting({
    policy: planned.policyRef.name,
    namespace: planned.policyRef.namespace,
    action: planned.action.type,
    phase: 'Executing',
    detectionToActionSeconds: (Date.now() - planned.trigger.firstTrueMs) / 1000,
  });
  let result;
  try {
    result = await executeActivities(planned).executeAction({
      actionId: planned.healingActionName,
      decidedAtMs: Date.now(),
      target: { ...planned.target, uid: planned.target.uid ?? '' },
      action: toExecutorAction(planned),
      dryRun: planned.dryRun,
    });
  } catch (err) {
    const message = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    return finish('Failed', 'ExecutionFailed', message, {
      result: { success: false, error: message, before: check.before },
    });
  }
  const changes: ResourceChange[] = result.changes.map((c) => ({ ...c, timestamp: rfc3339(Date.now()) }));
  if (result.outcome === 'dry-run') {
    return finish('DryRun', 'DryRun', result.message, {
      result: { success: true, message: result.message, changes, before: check.before },
    });
  }
  if (result.outcome === 'target-gone') {
    return finish('Skipped', 'TargetGone', result.message, {
      result: { success: false, message: result.message },
    });
  }
  const inverse = result.inversePatch ? { inversePatch: result.inversePatch } : {};

  // 4. Verify: the target (or its replacement) is ready and the trigger no longer holds.
  const v = planned.verification;
  await rec.transition('Verifying', 'Verifying', result.message, {
    result: { success: false, message: result.message, changes, before: check.before, ...inverse },
  });
  if (v.enabled) await sleep(v.delayMs);
  const deadline = Date.now() + v.timeoutMs;
  // Absent in actions planned before stabilityPeriod existed: 0 keeps their recorded path.
  const stabilityMs = v.enabled ? (v.stabilityMs ?? 0) : 0;
  let healedSinceMs: number | undefined;
  let relapses = 0;
  for (;;) {
    const snapshot = await kubeReads.collectSnapshot(snapshotRequestFor(planned));
    const verdict = assessHealed({ action: planned, snapshot, nowMs: Date.now() });
    const after = usageOf(podsOfInterest(planned, snapshot, verdict.checked));
    const step = stabilityStep(healedSinceMs, verdict.healed, Date.now(), stabilityMs);
    healedSinceMs = step.healedSinceMs;
    if (step.relapsed) relapses++;
    if (step.stable) {
      const held = stabilityMs > 0 ? `, and stayed so for ${Math.round(stabilityMs / 1000)}s` : '';
      const message = `${result.message}; ${verdict.message}${held}`;
      return finish('Succeeded', verdict.reason, message, {
        result: {
          success: true,
          message,
          changes,
          before: check.before,
          after,
          ...inverse,
        },
      });
    }
    if (Date.now() + v.intervalMs > deadline) {
      let reverted: ResourceChange[] = [];
      if (result.inversePatch && v.rollbackOnFailure) {
        reverted = await executeActivities(planned).revertPatch({
          target: planned.target as never,
          inversePatch: result.inversePatch,
        });
      }
      const unstable = verdict.healed
        ? `healed for ${Math.round((Date.now() - healedSinceMs!) / 1000)}s of the ${Math.round(stabilityMs / 1000)}s stabilityPeriod`
        : verdict.message;
      const relapsed = relapses > 0 ? ` (relapsed ${relapses}× after looking healed)` : '';
      const message = `not healed within ${Math.round(v.timeoutMs / 1000)}s: ${unstable}${relapsed}${reverted.length ? '; patch reverted' : ''}`;
      return finish('Failed', reverted.length ? 'NotHealedReverted' : 'NotHealed', message, {
        result: {
          success: false,
          message,
          changes: [...changes, ...reverted],
          before: check.before,
          after,
          ...inverse,
        },
      });
    }
    await sleep(v.intervalMs);
  }
}
