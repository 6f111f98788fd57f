// One remediation, start to finish. Every step is visible as the HealingAction's phase:
//
//   Pending ──safety──▶ (AwaitingApproval) ──▶ Executing ──▶ Verifying ──▶ Succeeded
//      │                   │  reject/expiry          │ dry run          └──▶ Failed (patch reverted)
//      └─▶ Skipped         └─▶ Rejected              └─▶ DryRun
//
// Crash-safety comes from Temporal: a worker killed mid-action resumes here, and the executors
// are idempotent (uid preconditions, our id on what we change), so exactly one remediation happens.
// This file wires the messages and runs the named steps (action-steps.ts, approval-gate.ts, action-verify.ts) in order.
import { setHandler } from '@temporalio/workflow';
import type { HealingActionStatus } from '../crds/healing-action.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { actionRetarget } from '../domain/state.js';
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
import { verify } from './action-verify.js';
import { AlertWatch } from './alert-watch.js';
import { ApprovalGate } from './approval-gate.js';
import { analyzeStep, recordAnalysis } from './ai-step.js';
import { actionRetargetedSignal, actionStatusQuery, approveActionUpdate } from './messages.js';

export interface HealingActionInput {
  planned: PlannedAction;
  policyWorkflowId: string;
}

/** Safety (the first check is already done), approval when asked (and safety again: time has
 * passed), execute, verify. */
async function remediate(
  planned: PlannedAction,
  ctx: { rec: ActionRecorder; gate: ApprovalGate; first: SafetyCheck; alert: AlertWatch },
): Promise<Finish> {
  const { rec, gate, alert } = ctx;
  let check = ctx.first;
  if (!check.ok) return skipped(check);
  if (planned.requiresApproval) {
    const refused = await gate.wait(planned, () => alert.ended('while the action waited for approval'));
    if (refused) return refused;
    check = await safetyCheck(planned);
    if (!check.ok) return skipped(check);
  }
  const resolved = alert.ended('before the action ran');
  if (resolved) return resolved;
  const executed = await execute(planned, rec, check.before);
  if ('end' in executed) return executed.end;
  return verify(planned, rec, executed, check.before, alert);
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
  return finishAction({ planned, rec, policyWorkflowId }, end);
}
