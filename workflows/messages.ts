// Every message KubeSkippy workflows accept, declared once, so clients use these definitions instead of names. The names are what users
// type with the temporal CLI, e.g.
//   temporal workflow signal --workflow-id kubeskippy/policy/demo-apps/memory-leak-healing --name pause
//   temporal workflow signal --workflow-id ... --name setMode --input '"dryrun"'
//   temporal workflow update execute --workflow-id kubeskippy/action/... --name approveAction \
//     --input '{"decision":"approve","by":"alice","comment":"looks right"}'
//   temporal workflow query --workflow-id ... --type status
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActionPhase, ApprovalRecord, HealingActionStatus } from '../crds/healing-action.js';
import type { HealingPolicySpec, PolicyMode } from '../crds/healing-policy.js';
import type { AlertNotice } from '../domain/alerts.js';
import type { AdmitRequest, AdmitVerdict, ClusterSettings, ClusterView } from '../domain/cluster-budget.js';
import type { PolicyStatusView } from '../domain/policy-view.js';
import type { ActionRetarget } from '../domain/state.js';

// ── Workflow types ──────────────────────────────────────────────────────────────────────────────

/** The registered workflow type names (the functions' names; test/unit/messages.test.ts checks), for
 * clients that start workflows or filter visibility (`WorkflowType="policyWorkflow"`) without
 * loading the workflow code. */
export const POLICY_WORKFLOW = 'policyWorkflow';
export const HEALING_ACTION_WORKFLOW = 'healingActionWorkflow';
export const CLUSTER_WORKFLOW = 'clusterWorkflow';

// ── Policy workflow ────────────────────────────────────────────────────────────────────────────

export interface PolicyRefInput {
  /**
   * The operator's cluster name (--cluster-name): in the ids of the policy's workflow and its
   * actions. Absent only in histories recorded before fleets, which replay with the old ids.
   */
  cluster?: string;
  namespace: string;
  name: string;
  uid?: string;
  generation?: number;
  /** Validated by the controller (crds/validate.ts) before it reaches a workflow. */
  spec: HealingPolicySpec;
}

export interface PauseInput {
  by?: string;
  reason?: string;
}

/** Stop starting new actions (open ones finish). Evaluation continues to report, not act. */
export const pauseSignal = defineSignal<[PauseInput?]>('pause');
/** Start acting again, and drop any setMode override so the CR's mode applies. */
export const resumeSignal = defineSignal<[]>('resume');
/** Override the CR's mode (monitor | dryrun | automatic | manual) until the CR changes or resume. */
export const setModeSignal = defineSignal<[PolicyMode]>('setMode');
/** Evaluate now instead of waiting for the interval. */
export const evaluateNowSignal = defineSignal<[]>('evaluateNow');

/** Sent by each healing-action workflow when it ends, so the policy closes its open action. */
export interface ActionFinished {
  workflowId: string;
  targetKey: string;
  phase: ActionPhase;
  reason?: string;
  /** The action that ran (an AI decision may have replaced the planned one). */
  action?: string;
  finishedMs: number;
}
export const actionFinishedSignal = defineSignal<[ActionFinished]>('actionFinished');

/** Sent by a healing action whose AI step chose another allowed action, so the policy's open-action
 * record (used to refuse conflicting fires) names what really runs. */
export const actionRetargetedSignal = defineSignal<[ActionRetarget]>('actionRetargeted');

/** Alerts from Alertmanager that one of the policy's alert triggers wants (the operator's receiver
 * sends them; a signal is durable once accepted, so the receiver answers 2xx only after it). */
export const alertsSignal = defineSignal<[AlertNotice[]]>('alerts');

export interface UpdatePolicyResult {
  accepted: boolean;
  generation?: number;
  message: string;
}
/** A new generation of the CR (from the controller). Older or equal generations are no-ops. */
export const updatePolicyUpdate = defineUpdate<UpdatePolicyResult, [PolicyRefInput]>('updatePolicy');

/** Lift the hold on one subject (`<ns>/<kind>/<name>`), or on all when none is given. */
export const clearHoldUpdate = defineUpdate<{ cleared: string[] }, [{ subjectKey?: string }?]>('clearHold');

export type { PolicyStatusView } from '../domain/policy-view.js';
export const policyStatusQuery = defineQuery<PolicyStatusView>('status');

// ── Healing-action workflow ────────────────────────────────────────────────────────────────────

export interface ApprovalInput {
  decision: 'approve' | 'reject';
  /** Who decided (a user name; the annotation relay passes the annotation's author or "annotation"). */
  by: string;
  comment?: string;
}
export interface ApprovalResult {
  phase: ActionPhase;
  approval: ApprovalRecord;
}
/** Approve or reject an action waiting in AwaitingApproval. Rejected before it is recorded otherwise. */
export const approveActionUpdate = defineUpdate<ApprovalResult, [ApprovalInput]>('approveAction');

/** Sent by the policy workflow when the alert episode an action answers resolves. */
export interface AlertResolved {
  episode: string;
  resolvedMs: number;
}
export const alertResolvedSignal = defineSignal<[AlertResolved]>('alertResolved');

export interface ActionStatusView {
  workflowId: string;
  healingActionName: string;
  namespace: string;
  status: HealingActionStatus;
}
export const actionStatusQuery = defineQuery<ActionStatusView>('status');

// ── Cluster workflow ───────────────────────────────────────────────────────────────────────────

/** The KubeSkippyConfig's settings (from the controller, with signal-with-start when the CR changes). */
export const setClusterConfigSignal = defineSignal<[ClusterSettings]>('setClusterConfig');
/** A policy asks before it starts actions: one verdict per action workflow id (idempotent by id). */
export const admitActionsUpdate = defineUpdate<Record<string, AdmitVerdict>, [AdmitRequest[]]>(
  'admitActions',
);
/** Sent by each healing action when it ends: its slot in the cluster budget is free. */
export const releaseActionSignal = defineSignal<[{ workflowId: string }]>('releaseAction');
export const clusterStatusQuery = defineQuery<ClusterView>('status');
