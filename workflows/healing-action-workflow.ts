// One remediation, start to finish. Every step is visible as the HealingAction's phase:
//
//   Pending ──safety──▶ (AwaitingApproval) ──▶ Executing ──▶ Verifying ──▶ Succeeded
//      │                   │  reject/expiry          │ dry run          └──▶ Failed (patch reverted)
//      └─▶ Skipped         └─▶ Rejected              └─▶ DryRun
//
// Crash-safety comes from Temporal: a worker killed mid-action resumes here, and the executors
// are idempotent (uid preconditions, our id on what we change), so exactly one remediation happens.
// This file wires the messages and runs the named steps (action-steps.ts, approval-gate.ts,
// job-wait.ts for a job action, action-verify.ts) in order.
import { setHandler } from '@temporalio/workflow';
import type { HealingActionStatus } from '../crds/healing-action.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { actionRetarget } from '../domain/state.js';
import { ActionNotifier } from './action-notify.js';
import { ActionRecorder } from './action-recorder.js';
import {
  execute,
  finishAction,
  safetyCheck,
  skipped,
  type SafetyCheck,
  type Finish,
} from './action-steps.js';
import { tellPolicy } from './tell-policy.js';
import { awaitSync, gitOpsRecord, gitOpsSkipped, withSyncSuspended } from './gitops-step.js';
import { ActionReason } from '../domain/action-record.js';
import { approvalNote } from '../domain/gitops.js';
import { verify } from './action-verify.js';
import { awaitJob } from './job-wait.js';
import { changeGate } from './change-gate.js';
import { AlertWatch } from './alert-watch.js';
import { ApprovalGate } from './approval-gate.js';
import { analyzeStep, recordAnalysis } from './ai-step.js';
import { releaseSlot, suspendedNow } from './cluster-admission.js';
import { actionRetargetedSignal, actionStatusQuery, approveActionUpdate } from './messages.js';

export interface HealingActionInput {
  planned: PlannedAction;
  policyWorkflowId: string;
}

/** Safety (the first check is already done), approval when asked (and safety again: time has
 * passed), execute, verify; for a GitOps-managed target what safetyRules.gitops says (gitops-step.ts). */
async function remediate(
  planned: PlannedAction,
  ctx: { rec: ActionRecorder; gate: ApprovalGate; first: SafetyCheck; alert: AlertWatch },
): Promise<Finish> {
  const { rec, gate, alert } = ctx;
  let check = ctx.first;
  noteBlastRadius(rec, check);
  if (!check.ok) return skipped(check);
  // A dry run changes nothing a sync could revert: it only records who owns the target.
  if (planned.dryRun && check.gitops) rec.status.gitops = gitOpsRecord(check.gitops, 'DryRun');
  let gitops = planned.dryRun ? undefined : check.gitops;
  if (gitops?.mode === 'skip') return gitOpsSkipped(planned, gitops);
  const askGitOps = gitops?.mode === 'approve' ? gitops : undefined;
  if (planned.requiresApproval || askGitOps) {
    if (askGitOps) rec.status.gitops = gitOpsRecord(askGitOps, 'Approval');
    const why = askGitOps && { reason: ActionReason.GitOpsManaged, message: approvalNote(askGitOps) };
    const refused = await gate.wait(planned, () => alert.ended('while the action waited for approval'), why);
    if (refused) return refused;
    check = await safetyCheck(planned);
    noteBlastRadius(rec, check);
    if (!check.ok) return skipped(check);
    gitops = planned.dryRun ? undefined : check.gitops;
  }
  const resolved = alert.ended('before the action ran');
  if (resolved) return resolved;
  check = await changeGate(planned, rec, check); // waits while a rollout, upgrade or silence lasts
  if (!check.ok) return skipped(check);
  // The cluster's kill switch, at the last safe step: after any approval and change wait, before
  // any change.
  const suspended = await suspendedNow(
    planned.requiresApproval ? 'after the approval' : 'before the action ran',
  );
  if (suspended) return suspended;
  const { before } = check;
  const run = async (): Promise<Finish> => {
    const executed = await execute(planned, rec, before);
    if ('end' in executed) return executed.end;
    const ran = await awaitJob(planned, rec, executed, before);
    if ('end' in ran) return ran.end;
    // An approved live change: verify what the GitOps tool keeps, not what it is about to revert.
    if (gitops?.mode === 'approve') await awaitSync(planned, rec, gitops);
    return verify(planned, rec, ran, before, alert);
  };
  return gitops?.mode === 'suspendSync' ? withSyncSuspended(planned, rec, gitops, run) : run();
}

/** What the latest safety check found the action takes out of service: written with the next phase. */
function noteBlastRadius(rec: ActionRecorder, check: SafetyCheck): void {
  if (check.blastRadius) rec.status = { ...rec.status, blastRadius: check.blastRadius };
}

/** Waits for both (neither rejection goes unhandled), then fails as the first that failed would. */
async function both<T>(record: Promise<void>, value: Promise<T>): Promise<T> {
  const [a, b] = await Promise.allSettled([record, value]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return b.value;
}

export async function healingActionWorkflow(input: HealingActionInput): Promise<HealingActionStatus> {
  // AI analysis first (when the policy asks): it may pick another allowed action, or none.
  const ai = await analyzeStep(input.planned);
  const planned = ai?.planned ?? input.planned;
  const { policyWorkflowId } = input;
  // Tell the policy what really runs, so its conflict checks see the AI's target.
  if (planned !== input.planned) {
    await tellPolicy(policyWorkflowId, actionRetargetedSignal, actionRetarget(planned));
  }
  const rec = new ActionRecorder(planned);
  const notifier = new ActionNotifier(planned);
  rec.onTransition = (status) => notifier.phase(status);
  const gate = new ApprovalGate(rec);
  const alert = new AlertWatch(planned);
  setHandler(actionStatusQuery, () => rec.view());
  setHandler(approveActionUpdate, (approval) => gate.decide(approval), {
    validator: (approval) => gate.validate(approval),
  });

  if (ai) rec.status.aiAnalysis = ai.record;
  // The record and the first safety read do not depend on each other: one workflow task asks for
  // both, saving a round trip per action (a burst of 50 is 50 of them at once).
  const skip = ai?.skip;
  const first = await both(rec.create(), skip ? Promise.resolve(undefined) : safetyCheck(planned));
  if (ai && input.planned.ai) await recordAnalysis(rec, planned, input.planned.ai.settings, ai);
  // No first check only when the AI chose no action.
  const end = first ? await remediate(planned, { rec, gate, first, alert }) : skipped(skip!);
  // The slot is free before the policy hears of the end (it may plan the next rung at once).
  await releaseSlot();
  await finishAction({ planned, rec, policyWorkflowId }, end);
  // After the outcome is recorded and the policy told: a slow receiver never delays either.
  const notified = await notifier.settle();
  if (notified) await rec.recordNotifications(notified);
  return rec.status;
}
