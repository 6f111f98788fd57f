// The named steps of a healing action, in the order healing-action-workflow.ts runs them:
//
//   safetyCheck ─▶ (ApprovalGate.wait ─▶ safetyCheck) ─▶ execute ─▶ verify ─▶ finishAction
//
// Each step returns how the action ends (a Finish) or what the next step needs. Decisions are pure
// domain functions (live-safety, verify); the steps only call activities and keep the record.
import {
  condition,
  getExternalWorkflowHandle,
  sleep,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { ExecuteActionResult } from '../activities/executors/types.js';
import type { ActionPhase, HealingActionStatus, ResourceChange } from '../crds/healing-action.js';
import { ActionReason, podsOfInterest, rfc3339, usageOf } from '../domain/action-record.js';
import { checkLiveSafety } from '../domain/live-safety.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { actionSnapshotRequest } from '../domain/targets.js';
import { assessHealed, stabilityStep } from '../domain/verify.js';
import type { ActionRecorder } from './action-recorder.js';
import { actionFinishedSignal, type ApprovalInput, type ApprovalResult } from './messages.js';
import { executeActivities, kubeReads } from './proxies.js';
import { metricsSink } from './sinks.js';

/** How an action ends: its terminal phase, why, and what the record gains. */
export interface Finish {
  phase: ActionPhase;
  reason: string;
  message: string;
  extra?: Partial<HealingActionStatus>;
}

type Usage = Record<string, string>;
export type SafetyCheck = { ok: true; before: Usage } | { ok: false; reason: string; message: string };

/** Safety on a fresh read of the cluster; `before` is the usage the record shows. */
export async function safetyCheck(planned: PlannedAction): Promise<SafetyCheck> {
  const snapshot = await kubeReads.collectSnapshot(actionSnapshotRequest(planned));
  const verdict = checkLiveSafety({ action: planned, snapshot });
  return verdict.ok ? { ok: true, before: usageOf(podsOfInterest(planned, snapshot)) } : verdict;
}

export const skipped = (check: { reason: string; message: string }): Finish => ({
  phase: 'Skipped',
  reason: check.reason,
  message: check.message,
});

/** Holds the approve/reject decision: the update handler writes it, `wait` waits for it. */
export class ApprovalGate {
  private decision: ApprovalInput | undefined;
  constructor(private readonly rec: ActionRecorder) {}

  validate(approval: ApprovalInput): void {
    if (approval.decision !== 'approve' && approval.decision !== 'reject') {
      throw new Error(`decision must be "approve" or "reject", got "${String(approval.decision)}"`);
    }
    if (!approval.by) throw new Error('by (who decides) is required');
    if (this.rec.status.phase !== 'AwaitingApproval' || this.decision) {
      throw new Error(`action is ${this.rec.status.phase}, not awaiting approval`);
    }
  }

  decide(approval: ApprovalInput): ApprovalResult {
    this.decision = approval;
    return {
      phase: this.rec.status.phase ?? 'Pending',
      approval: this.rec.approvalDecided(approval, Date.now()),
    };
  }

  /** Waits in AwaitingApproval; undefined when approved, otherwise how the action ends. */
  async wait(planned: PlannedAction): Promise<Finish | undefined> {
    const timeoutMs = planned.approvalTimeoutMs;
    await this.rec.transition(
      'AwaitingApproval',
      ActionReason.ApprovalRequired,
      'waiting for approve or reject',
      {
        approval: { required: true, expiresAt: rfc3339(Date.now() + timeoutMs) },
      },
    );
    await this.rec.event(
      'Normal',
      'AwaitingApproval',
      `${planned.action.type} of ${planned.targetKey} waits for approval`,
    );
    const decided = await condition(() => this.decision !== undefined, timeoutMs);
    const d = this.decision;
    if (!decided || !d) {
      const approval = { ...this.rec.status.approval, required: true, decision: 'reject' as const };
      return {
        phase: 'Rejected',
        reason: ActionReason.ApprovalExpired,
        message: `no decision within ${Math.round(timeoutMs / 1000)}s`,
        extra: { approval: { ...approval, approved: false, by: 'kubeskippy', at: rfc3339(Date.now()) } },
      };
    }
    if (d.decision === 'approve') return undefined;
    const why = d.comment ? `: ${d.comment}` : '';
    return { phase: 'Rejected', reason: ActionReason.RejectedByUser, message: `rejected by ${d.by}${why}` };
  }
}

export interface Executed {
  result: ExecuteActionResult;
  changes: ResourceChange[];
}

/** Executes (or dry-runs) through an idempotent executor; a Finish when that already ends it. */
export async function execute(
  planned: PlannedAction,
  rec: ActionRecorder,
  before: Usage,
): Promise<Executed | { end: Finish }> {
  const what = `${planned.dryRun ? 'dry run of ' : ''}${planned.action.type} on ${planned.targetKey}`;
  await rec.transition('Executing', ActionReason.Executing, what, {
    attempts: 1,
    executionTime: rfc3339(Date.now()),
  });
  metricsSink.actionExecuting({
    policy: planned.policyRef.name,
    namespace: planned.policyRef.namespace,
    action: planned.action.type,
    phase: 'Executing',
    detectionToActionSeconds: (Date.now() - planned.trigger.firstTrueMs) / 1000,
  });
  let result: ExecuteActionResult;
  try {
    result = await executeActivities(planned).executeAction({
      actionId: planned.healingActionName,
      decidedAtMs: Date.now(),
      target: planned.target,
      action: planned.action,
      dryRun: planned.dryRun,
    });
  } catch (err) {
    const message = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    const extra = { result: { success: false, error: message, before } };
    return { end: { phase: 'Failed', reason: ActionReason.ExecutionFailed, message, extra } };
  }
  const changes: ResourceChange[] = result.changes.map((c) => ({ ...c, timestamp: rfc3339(Date.now()) }));
  const { message } = result;
  if (result.outcome === 'dry-run') {
    const extra = { result: { success: true, message, changes, before } };
    return { end: { phase: 'DryRun', reason: ActionReason.DryRun, message, extra } };
  }
  if (result.outcome === 'target-gone') {
    const extra = { result: { success: false, message } };
    return { end: { phase: 'Skipped', reason: ActionReason.TargetGone, message, extra } };
  }
  return { result, changes };
}

const seconds = (ms: number): number => Math.round(ms / 1000);

/**
 * Waits `delay`, then checks every `interval` until `timeout`: healed (and, with a stabilityPeriod,
 * still healed that long later) → Succeeded; otherwise Failed, with a patch reverted if asked.
 */
export async function verify(
  planned: PlannedAction,
  rec: ActionRecorder,
  executed: Executed,
  before: Usage,
): Promise<Finish> {
  const { result, changes } = executed;
  const inverse = result.inversePatch ? { inversePatch: result.inversePatch } : {};
  const v = planned.verification;
  // The Verifying record is written while the delay runs: the delay is the pod's time to settle,
  // not ours, so the write need not come before it.
  await Promise.all([
    rec.transition('Verifying', ActionReason.Verifying, result.message, {
      result: { success: false, message: result.message, changes, before, ...inverse },
    }),
    v.enabled ? sleep(v.delayMs) : undefined,
  ]);
  const deadline = Date.now() + v.timeoutMs;
  // Absent in actions planned before stabilityPeriod existed: 0 keeps their recorded path.
  const stabilityMs = v.enabled ? (v.stabilityMs ?? 0) : 0;
  let healedSinceMs: number | undefined;
  let relapses = 0;
  for (;;) {
    const snapshot = await kubeReads.collectSnapshot(actionSnapshotRequest(planned));
    const verdict = assessHealed({ action: planned, snapshot, nowMs: Date.now() });
    const after = usageOf(podsOfInterest(planned, snapshot, verdict.checked));
    const step = stabilityStep(healedSinceMs, verdict.healed, Date.now(), stabilityMs);
    healedSinceMs = step.healedSinceMs;
    if (step.relapsed) relapses++;
    if (step.stable) {
      const held = stabilityMs > 0 ? `, and stayed so for ${seconds(stabilityMs)}s` : '';
      const message = `${result.message}; ${verdict.message}${held}`;
      const record = { success: true, message, changes, before, after, ...inverse };
      return { phase: 'Succeeded', reason: verdict.reason, message, extra: { result: record } };
    }
    if (Date.now() + v.intervalMs > deadline) {
      const unstable = verdict.healed
        ? `healed for ${seconds(Date.now() - healedSinceMs!)}s of the ${seconds(stabilityMs)}s stabilityPeriod`
        : verdict.message;
      const relapsed = relapses > 0 ? ` (relapsed ${relapses}× after looking healed)` : '';
      return notHealed(planned, { executed, before, after, why: `${unstable}${relapsed}` });
    }
    await sleep(v.intervalMs);
  }
}

async function notHealed(
  planned: PlannedAction,
  o: { executed: Executed; before: Usage; after: Usage; why: string },
): Promise<Finish> {
  const { result, changes } = o.executed;
  const v = planned.verification;
  let reverted: ResourceChange[] = [];
  if (result.inversePatch && v.rollbackOnFailure) {
    reverted = await executeActivities(planned).revertPatch({
      target: planned.target,
      inversePatch: result.inversePatch,
    });
  }
  const message = `not healed within ${seconds(v.timeoutMs)}s: ${o.why}${reverted.length ? '; patch reverted' : ''}`;
  const inverse = result.inversePatch ? { inversePatch: result.inversePatch } : {};
  const record = {
    success: false,
    message,
    changes: [...changes, ...reverted],
    before: o.before,
    after: o.after,
  };
  return {
    phase: 'Failed',
    reason: reverted.length ? ActionReason.NotHealedReverted : ActionReason.NotHealed,
    message,
    extra: { result: { ...record, ...inverse } },
  };
}

/** Signals the policy workflow; when it is gone (its CR was deleted) there is nobody to tell. */
export async function tellPolicy<T>(
  policyWorkflowId: string,
  signal: SignalDefinition<[T]>,
  arg: T,
): Promise<void> {
  try {
    await getExternalWorkflowHandle(policyWorkflowId).signal(signal, arg);
  } catch {
    // The record is complete without it.
  }
}

/** Records the end (status, Event on the target and the policy, metrics) and tells the policy. */
export async function finishAction(
  ctx: { planned: PlannedAction; rec: ActionRecorder; policyWorkflowId: string },
  end: Finish,
): Promise<HealingActionStatus> {
  const { planned, rec } = ctx;
  const { phase, reason, message } = end;
  metricsSink.actionFinished({
    policy: planned.policyRef.name,
    namespace: planned.policyRef.namespace,
    action: planned.action.type,
    phase,
    durationSeconds: (Date.now() - workflowInfo().startTime.getTime()) / 1000,
  });
  const type = phase === 'Succeeded' || phase === 'DryRun' ? 'Normal' : 'Warning';
  // The final status and its Events in one round trip; the policy is told once both are written.
  await Promise.all([
    rec.transition(phase, reason, message, { ...end.extra, completionTime: rfc3339(Date.now()) }),
    rec.event(type, `Healing${phase}`, message),
  ]);
  await tellPolicy(ctx.policyWorkflowId, actionFinishedSignal, {
    workflowId: workflowInfo().workflowId,
    targetKey: planned.targetKey,
    phase,
    reason,
    action: planned.action.name,
    finishedMs: Date.now(),
  });
  return rec.status;
}
