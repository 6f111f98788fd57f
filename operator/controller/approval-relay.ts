// Approval from the CR: `kubectl annotate healingaction NAME kubeskippy.io/approve=true` (or
// `=reject`, with an optional `kubeskippy.io/approval-comment`) ends in the same approveAction
// update as `kubeskippy action approve`. The workflow's validator refuses decisions on actions not
// awaiting one, so a repeated or late annotation changes nothing.
//
// Who decided: the object does not say. managedFields name a client-chosen field manager
// (`kubectl-annotate`), not a user, and only the audit log knows the user. So the decider is
// recorded as "annotation" — whoever may patch HealingActions — and a `kubeskippy.io/approved-by`
// name, free text that anyone who may annotate can write, is kept only in the comment, marked
// unverified, never as the decider.
import type { KubernetesObject } from '@kubernetes/client-node';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { HealingActionStatus } from '../../crds/healing-action.js';
import { approveActionUpdate, type ApprovalInput } from '../../workflows/messages.js';
import type { Logger } from '../logger.js';

export const APPROVE_ANNOTATION = 'kubeskippy.io/approve';
export const COMMENT_ANNOTATION = 'kubeskippy.io/approval-comment';
export const APPROVER_ANNOTATION = 'kubeskippy.io/approved-by';
export const WORKFLOW_ID_ANNOTATION = 'kubeskippy.io/workflow-id';

export interface HealingActionObject extends KubernetesObject {
  status?: HealingActionStatus;
}

/** The decision an annotation asks for, if any. */
export function decisionFrom(annotations: Record<string, string> | undefined): ApprovalInput | undefined {
  const raw = annotations?.[APPROVE_ANNOTATION]?.trim().toLowerCase();
  if (!raw) return undefined;
  const decision = ['true', 'yes', 'approve', 'approved'].includes(raw)
    ? 'approve'
    : ['false', 'no', 'reject', 'rejected'].includes(raw)
      ? 'reject'
      : undefined;
  if (!decision) return undefined;
  const claimed = annotations?.[APPROVER_ANNOTATION]?.trim().slice(0, 100);
  const comment = [
    annotations?.[COMMENT_ANNOTATION],
    claimed ? `${APPROVER_ANNOTATION} says "${claimed}" (not verified)` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
  return { decision, by: 'annotation', ...(comment ? { comment } : {}) };
}

const relayed = new Set<string>();

export async function relayApproval(client: Client, obj: HealingActionObject, log: Logger): Promise<void> {
  if (obj.status?.phase !== 'AwaitingApproval') return;
  const approval = decisionFrom(obj.metadata?.annotations);
  const workflowId = obj.status.workflowId ?? obj.metadata?.annotations?.[WORKFLOW_ID_ANNOTATION];
  if (!approval || !workflowId) return;
  const once = `${obj.metadata?.uid}/${approval.decision}`;
  if (relayed.has(once)) return; // informer updates repeat; the decision is sent once
  relayed.add(once);
  try {
    await client.workflow.getHandle(workflowId).executeUpdate(approveActionUpdate, { args: [approval] });
    log.info(
      { workflowId, decision: approval.decision, by: approval.by },
      'approval relayed from annotation',
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      log.warn({ workflowId, err: err.cause?.message ?? err.message }, 'approval refused by the workflow');
      return;
    }
    relayed.delete(once); // transient: try again on the next informer event
    throw err;
  }
}
