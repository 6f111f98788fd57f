// The approval step of a healing action: the approveAction update writes the decision (once, and
// only while the action is AwaitingApproval), `wait` waits for it until the approval timeout.
import { condition } from '@temporalio/workflow';
import { ActionReason, rfc3339 } from '../domain/action-record.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { ActionRecorder } from './action-recorder.js';
import type { Finish } from './action-steps.js';
import type { ApprovalInput, ApprovalResult } from './messages.js';

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

  /**
   * Waits in AwaitingApproval; undefined when approved, otherwise how the action ends. `cancelled`
   * ends the wait early with its answer (the alert the action answers resolved).
   */
  async wait(planned: PlannedAction, cancelled?: () => Finish | undefined): Promise<Finish | undefined> {
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
    const decided = await condition(() => this.decision !== undefined || !!cancelled?.(), timeoutMs);
    const d = this.decision;
    const ended = d ? undefined : cancelled?.();
    if (ended) return ended;
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
