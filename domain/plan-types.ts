// What one policy evaluation decides: the fires, the actions to start, and why the others did not
// start. Every type is plain JSON; the policy workflow starts one child per PlannedAction and
// reports fires and refusals in status, Events and metrics.

import type { AlertRef } from './alerts.js';
import type { PolicyMode } from '../crds/healing-policy.js';
import type { PlannedAi } from './ai-plan.js';
import type { LadderChoice } from '../crds/policy-ineffective.js';
import type { IneffectiveNotice } from './ineffective.js';
import type {
  NormalizedAction,
  NormalizedNotifications,
  NormalizedPolicy,
  NormalizedSafety,
  NormalizedTrigger,
  NormalizedVerification,
} from './policy-types.js';
import type { ClusterSnapshot, ObjectRef } from './snapshot.js';
import type { PolicyState } from './state.js';
import type { TriggerEvaluation } from './triggers.js';

/** CamelCase reasons, used as Event and condition reasons and as counter labels. */
export type RefusalReason =
  | 'Paused'
  | 'MonitorMode'
  | 'MaintenanceWindow'
  | 'OutsideAllowedWindow'
  | 'NoAction'
  | 'Protected'
  | 'OnHold'
  | 'IneffectiveRemediation'
  | 'NoOwner'
  | 'UnsupportedTarget'
  | 'HpaManaged'
  | 'AtMaxReplicas'
  | 'AtMinReplicas'
  | 'AtDesiredReplicas'
  | 'MinReadyReplicas'
  | 'DisruptionBudget'
  | 'ActionInProgress'
  | 'Cooldown'
  | 'ConcurrencyLimit'
  | 'BudgetExhausted'
  // The cluster's answer (KubeSkippyConfig cluster; domain/cluster-budget.ts).
  | 'Suspended'
  | 'ClusterBudget';

/** A trigger that fired on a target. */
export interface Fire {
  trigger: string;
  triggerType: NormalizedTrigger['type'];
  /** The pod the trigger fired on. */
  targetKey: string;
  target: ObjectRef;
  observedValue?: string;
  threshold?: string;
  reason: string;
  firstTrueMs: number;
  firedAtMs: number;
}

/** A fire that did not become an action, and why. */
export interface Refusal {
  trigger: string;
  /** The pod the trigger fired on. */
  targetKey: string;
  target: ObjectRef;
  /** The action that was considered, when one was. */
  action?: string;
  /** The object that action would have changed. */
  actionTargetKey?: string;
  reason: RefusalReason;
  /** Words, naming the numbers: "3 of 3 actions this hour already started (maxActionsPerHour 3)". */
  message: string;
}

/** The trigger information a HealingAction records (times in ms; the workflow formats RFC 3339). */
export interface PlannedTrigger {
  name: string;
  type: NormalizedTrigger['type'];
  observedValue?: string;
  threshold?: string;
  reason: string;
  firstTrueMs: number;
  firedAtMs: number;
  /** An alert trigger's episode: the action answers it, and is told when it resolves. */
  alert?: AlertRef;
}

/** Everything the healing-action workflow needs; it never has to read the policy again. */
export interface PlannedAction {
  workflowId: string;
  /** HealingAction CR name, derived from workflowId. */
  healingActionName: string;
  seq: number;
  /** The operator's cluster name, for the HealingAction and search attributes; absent before fleets. */
  cluster?: string;
  policyRef: { namespace: string; name: string; uid?: string };
  policyGeneration?: number;
  mode: PolicyMode;
  /** The object acted on, with the uid seen when the trigger fired (a precondition for executors). */
  target: ObjectRef;
  targetKey: string;
  /** The application: the owning workload, or the target itself. Failures and holds count here. */
  subjectKey: string;
  /** True when the action changes the pod's owner (scale, rollout restart, patch of the template). */
  onOwner: boolean;
  /** The pod whose trigger fired (also set when it is the target). */
  firingPod: ObjectRef;
  /** The firing pod's owning workload: verification looks for replacement pods under it. */
  firingPodOwner?: ObjectRef;
  action: NormalizedAction;
  /** Position of the action in the trigger's escalation ladder. */
  ladderIndex: number;
  trigger: PlannedTrigger;
  /** The trigger's settings, so verification can check that it no longer holds. */
  triggerSpec: NormalizedTrigger;
  dryRun: boolean;
  requiresApproval: boolean;
  approvalTimeoutMs: number;
  verification: NormalizedVerification;
  /** The policy's safety rules, for the live safety check right before executing. */
  safety: NormalizedSafety;
  /** Where the incident is told (absent in actions planned before notifications existed: defaults). */
  notifications?: NormalizedNotifications;
  /** For scale actions: the replica count seen and the one to set. */
  scale?: { from: number; to: number };
  /** Restart total of the firing pod at planning, so verification counts only newer restarts. */
  restartBaseline?: { podUid: string; restarts: number };
  startedMs: number;
  /** When the policy asks for AI analysis: settings, allowed alternatives and evidence. */
  ai?: PlannedAi;
  /** Why this rung: an action on hold as ineffective was passed over, or this one waits for a person. */
  ladderChoice?: LadderChoice;
}

export interface EvaluatePolicyInput {
  policy: NormalizedPolicy;
  snapshot: ClusterSnapshot;
  state: PolicyState;
  nowMs: number;
  /** The effective mode; default: state.modeOverride, else the spec's mode. */
  mode?: PolicyMode;
}

export interface EvaluatePolicyResult {
  /** The new state, already recording every planned start (open action, budget, cooldown, seq). */
  state: PolicyState;
  evaluations: TriggerEvaluation[];
  fires: Fire[];
  planned: PlannedAction[];
  refusals: Refusal[];
  /** Names of the triggers that held for at least one target (policy status.activeTriggers). */
  activeTriggers: string[];
  mode: PolicyMode;
  /** Actions this evaluation put on hold as ineffective (an Event each); absent when none. */
  ineffective?: IneffectiveNotice[];
}
