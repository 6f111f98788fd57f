// Keeps a healing action's record in step with the workflow: the HealingAction status, its phase label,
// the KubeSkippyPhase search attribute and Events on the target and the policy. Event names derive from
// the HealingAction name, so a replayed or retried step never writes a second Event for one decision.
import type { AlertRef } from '../domain/alerts.js';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type {
  ActionPhase,
  ApprovalRecord,
  HealingActionSpec,
  HealingActionStatus,
  NotificationRecord,
} from '../crds/healing-action.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { actionEvents, actionLabels, ActionReason, rfc3339 } from '../domain/action-record.js';
import type { ActionStatusView, ApprovalInput } from './messages.js';
import { recordWrites } from './proxies.js';
import { KubeSkippyPhase } from './search-attributes.js';

export class ActionRecorder {
  status: HealingActionStatus;
  /** The HealingAction's uid once created: its own Events need it (`kubectl describe` selects by uid). */
  private uid = '';
  /** Told every status written (workflows/action-notify.ts), so notifications follow the record. */
  onTransition?: (status: HealingActionStatus) => void;

  constructor(private readonly planned: PlannedAction) {
    this.status = {
      phase: 'Pending',
      reason: ActionReason.Planned,
      message: planned.trigger.reason,
      startTime: rfc3339(Date.now()),
      attempts: 0,
    };
  }

  /** The HealingAction's uid ('' until created): what the action's own objects are owned by. */
  get actionUid(): string {
    return this.uid;
  }

  private get ns(): string {
    return this.planned.policyRef.namespace;
  }

  spec(): HealingActionSpec {
    const p = this.planned;
    return {
      ...(p.cluster !== undefined ? { cluster: p.cluster } : {}),
      policyRef: p.policyRef,
      targetResource: p.target,
      trigger: {
        name: p.trigger.name,
        type: p.trigger.type,
        ...(p.trigger.observedValue !== undefined ? { observedValue: p.trigger.observedValue } : {}),
        ...(p.trigger.threshold !== undefined ? { threshold: p.trigger.threshold } : {}),
        reason: p.trigger.reason,
        firstTrueTime: rfc3339(p.trigger.firstTrueMs),
        firedAt: rfc3339(p.trigger.firedAtMs),
        ...(p.trigger.alert ? { alert: alertRecord(p.trigger.alert) } : {}),
      },
      action: p.action,
      mode: p.mode,
      dryRun: p.dryRun,
      approvalRequired: p.requiresApproval,
      ...(p.ladderChoice ? { ladder: p.ladderChoice } : {}),
    };
  }

  async create(): Promise<void> {
    upsertSearchAttributes([{ key: KubeSkippyPhase, value: 'Pending' }]);
    const { uid } = await recordWrites.recordAction({
      name: this.planned.healingActionName,
      namespace: this.ns,
      labels: actionLabels(this.planned, 'Pending'),
      annotations: { 'kubeskippy.io/workflow-id': workflowInfo().workflowId },
      spec: this.spec(),
      status: this.status,
    });
    this.uid = uid;
  }

  async transition(
    phase: ActionPhase,
    reason: string,
    message: string,
    extra: Partial<HealingActionStatus> = {},
  ): Promise<void> {
    this.status = { ...this.status, ...extra, phase, reason, message };
    upsertSearchAttributes([{ key: KubeSkippyPhase, value: phase }]);
    this.onTransition?.(this.status);
    await recordWrites.updateActionStatus({
      name: this.planned.healingActionName,
      namespace: this.ns,
      // Set by the update handler and the safety check: each is written with the next transition.
      status: {
        ...extra,
        phase,
        reason,
        message,
        ...(this.status.approval ? { approval: this.status.approval } : {}),
        ...(this.status.blastRadius ? { blastRadius: this.status.blastRadius } : {}),
        // Likewise the GitOps record (workflows/gitops-step.ts): its steps add to it between writes.
        ...(this.status.gitops ? { gitops: this.status.gitops } : {}),
      },
      labels: actionLabels(this.planned, phase),
    });
  }

  /** The fate of the incident's messages, once they have settled (after the final transition). */
  async recordNotifications(notifications: NotificationRecord): Promise<void> {
    this.status = { ...this.status, notifications };
    await recordWrites.updateActionStatus({
      name: this.planned.healingActionName,
      namespace: this.ns,
      status: { notifications },
    });
  }

  approvalDecided(approval: ApprovalInput, nowMs: number): ApprovalRecord {
    this.status.approval = {
      ...this.status.approval,
      required: true,
      decision: approval.decision,
      approved: approval.decision === 'approve',
      by: approval.by,
      at: rfc3339(nowMs),
      ...(approval.comment ? { comment: approval.comment } : {}),
    };
    return this.status.approval;
  }

  async event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const e = { type, reason, message, nowMs: Date.now(), ...(this.uid ? { actionUid: this.uid } : {}) };
    await recordWrites.emitEvents(actionEvents(this.planned, e));
  }

  view(): ActionStatusView {
    return {
      workflowId: workflowInfo().workflowId,
      healingActionName: this.planned.healingActionName,
      namespace: this.ns,
      status: this.status,
    };
  }
}

function alertRecord(a: AlertRef): { alertname: string; fingerprint: string; startsAt: string } {
  return { alertname: a.alertname, fingerprint: a.fingerprint, startsAt: rfc3339(a.startsAtMs) };
}
