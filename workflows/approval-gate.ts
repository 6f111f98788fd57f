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
  async wait(
    planned: PlannedAction,
    cancelled?: () => Finish | undefined,
    why?: { reason: string; message: string },
  ): Promise<Finish | undefined> {
    const timeoutMs = planned.approvalTimeoutMs;
    // Whoever decides sees why it waits (a GitOps owner; a fix on hold as ineffective, asked again)
    // and what the action would take out of service (kubectl describe, the Event).
    const held = planned.ladderChoice?.passedOver.length === 0 ? planned.ladderChoice.message : undefined;
    const reasons = [why?.message, held].filter((r): r is string => r !== undefined);
    const blast = this.rec.status.blastRadius ? `; blast radius: ${this.rec.status.blastRadius.summary}` : '';
    const because = reasons.length ? `${reasons.join('; ')}; ` : '';
    await this.rec.transition(
      'AwaitingApproval',
      why?.reason ?? ActionReason.ApprovalRequired,
      `${because}waiting for approve or reject${blast}`,
      {
        approval: { required: true, expiresAt: rfc3339(Date.now() + timeoutMs) },
      },
    );
    await this.rec.event(
      'Normal',
      'AwaitingApproval',
      `${planned.action.type} of ${planned.targetKey} waits for approval${reasons.length ? `: ${reasons.join('; ')}` : ''}${blast}`,
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
    const said = d.comment ? `: ${d.comment}` : '';
    return { phase: 'Rejected', reason: ActionReason.RejectedByUser, message: `rejected by ${d.by}${said}` };
  }
}
