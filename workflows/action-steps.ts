// The named steps of a healing action, in the order healing-action-workflow.ts runs them:
//
//   safetyCheck ─▶ (ApprovalGate.wait ─▶ safetyCheck) ─▶ execute ─▶ verify ─▶ finishAction
//
// The approval gate is in approval-gate.ts, verification in action-verify.ts. Each step returns how
// the action ends (a Finish) or what comes next; pure domain functions decide, the steps do I/O.
import { isCancellation, workflowInfo } from '@temporalio/workflow';
import type { ExecuteActionResult } from '../activities/executors/types.js';
import type { ActionPhase, HealingActionStatus, ResourceChange } from '../crds/healing-action.js';
import { ActionReason, podsOfInterest, rfc3339, usageOf } from '../domain/action-record.js';
import type { BlastRadius } from '../domain/blast-radius.js';
import { failureMessage } from '../domain/error-types.js';
import { gitOpsFinding, type GitOpsFinding } from '../domain/gitops.js';
import { checkBlastRadius } from '../domain/live-safety.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { safetySnapshotRequest } from '../domain/targets.js';
import type { ActionRecorder } from './action-recorder.js';
import { actionFinishedSignal } from './messages.js';
import { executeActivities, kubeReads } from './proxies.js';
import { metricsSink } from './sinks.js';
import { tellPolicy } from './tell-policy.js';

/** How an action ends: its terminal phase, why, and what the record gains. */
export interface Finish {
  phase: ActionPhase;
  reason: string;
  message: string;
  extra?: Partial<HealingActionStatus>;
}

type Usage = Record<string, string>;
/** `before` is the usage the record shows; `blastRadius` what the action takes out of service. */
export type SafetyCheck = { blastRadius?: BlastRadius } & (
  { ok: true; before: Usage; gitops?: GitOpsFinding } | { ok: false; reason: string; message: string }
);

/** Safety on a fresh read of the cluster, with the action's blast radius. */
export async function safetyCheck(planned: PlannedAction): Promise<SafetyCheck> {
  let snapshot;
  try {
    snapshot = await kubeReads.collectSnapshot(safetySnapshotRequest(planned));
  } catch (err) {
    // Unsafe to act blind; and the record must end, not stay Pending as a failed workflow's would.
    if (isCancellation(err)) throw err;
    const message = `the safety check could not read the cluster: ${failureMessage(err)}`;
    return { ok: false, reason: ActionReason.ClusterReadFailed, message };
  }
  const { verdict, blastRadius } = checkBlastRadius(planned, snapshot);
  const blast = blastRadius ? { blastRadius } : {};
  if (verdict.ok) {
    const gitops = gitOpsFinding({ action: planned, snapshot });
    const before = usageOf(podsOfInterest(planned, snapshot));
    return { ok: true, before, ...blast, ...(gitops ? { gitops } : {}) };
  }
  const { name: policy, namespace } = planned.policyRef;
  if (verdict.safety) metricsSink.safetyRefused({ policy, namespace, reason: verdict.reason });
  return { ok: false, reason: verdict.reason, message: verdict.message, ...blast };
}

export const skipped = (check: { reason: string; message: string }): Finish => ({
  phase: 'Skipped',
  reason: check.reason,
  message: check.message,
});

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
      incident: { policy: planned.policyRef.name, trigger: planned.trigger.name },
      record: { namespace: planned.policyRef.namespace, uid: rec.actionUid },
    });
  } catch (err) {
    const message = failureMessage(err);
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
