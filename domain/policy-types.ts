// A HealingPolicy as the evaluation uses it: durations in ms, aliases and legacy names resolved,
// defaults filled in, actions in the order they are tried. Plain JSON, so it can be a workflow
// argument and be carried through continue-as-new unchanged.

import type { LabelSelector } from '../crds/common.js';
import type { NormalizedAction } from './action-types.js';
import type { NormalizedIneffective } from './ineffective.js';
import type { NormalizedGitOps } from './gitops.js';
import type {
  AiAnalysis,
  MetricOperator,
  NotifyPhase,
  PolicyMode,
  ProtectedResource,
  ResourceFilter,
} from '../crds/healing-policy.js';
import type { NormalizedChangeGate } from './change-gate.js';

export interface PolicyMeta {
  /** The operator's cluster name (domain/ids.ts); absent in inputs recorded before fleets. */
  cluster?: string;
  namespace: string;
  name: string;
  uid?: string;
  generation?: number;
}

export interface NormalizedSelector {
  /** Never empty: an empty list in the spec means the policy's own namespace. */
  namespaces: string[];
  labelSelector?: LabelSelector;
  /** Never empty: an empty list in the spec means Pods. */
  resources: ResourceFilter[];
}

interface TriggerBase {
  name: string;
  cooldownMs: number;
  /** How long the comparison must hold before the trigger fires; 0 = at the first snapshot. */
  forMs: number;
}

export interface MetricTriggerSpec extends TriggerBase {
  type: 'metric';
  query: string;
  operator: MetricOperator;
  threshold: number;
  /** Look-back of restart_count. */
  windowMs: number;
}

export interface EventTriggerSpec extends TriggerBase {
  type: 'event';
  reason?: string;
  reasonPattern?: string;
  eventType?: 'Normal' | 'Warning';
  count: number;
  windowMs: number;
}

export interface ConditionTriggerSpec extends TriggerBase {
  type: 'condition';
  conditionType: string;
  status: 'True' | 'False' | 'Unknown';
}

/** Fires while Alertmanager reports the alert firing for the pod its labels name (domain/alerts.ts). */
export interface AlertTriggerSpec extends TriggerBase {
  type: 'alert';
  alertname: string;
  /** Further labels the alert must carry with these exact values. */
  labels: Record<string, string>;
  podLabel: string;
  namespaceLabel: string;
  /** A newly seen episode older than this is stale: recorded, never acted on. */
  maxAgeMs: number;
}

export type NormalizedTrigger =
  MetricTriggerSpec | EventTriggerSpec | ConditionTriggerSpec | AlertTriggerSpec;

export type TriggerType = NormalizedTrigger['type'];
/** The normalized trigger of type K; `never` for a CRD trigger type this union does not have. */
export type TriggerOf<K extends string> = Extract<NormalizedTrigger, { type: K }>;

// The action model (a union on `type`, with its per-type table) is in ./action-types.ts.
export type {
  ActionBase,
  ActionOf,
  ActionType,
  NormalizedAction,
  NormalizedPatch,
  RestartStrategy,
} from './action-types.js';

export interface NormalizedVerification {
  enabled: boolean;
  delayMs: number;
  timeoutMs: number;
  intervalMs: number;
  /** The target must stay healed this long (consecutive checks); 0 = the first healthy check. */
  stabilityMs: number;
  requireReady: boolean;
  requireTriggerCleared: boolean;
  rollbackOnFailure: boolean;
}

/** One maintenance or allowed window (domain/windows.ts evaluates it). */
export interface NormalizedWindow {
  /** Where it is in the spec, for messages: "safetyRules.maintenanceWindows[0]". */
  field: string;
  /** Five-field cron schedule of the window's starts, read in timeZone. */
  schedule: string;
  /** As written in the spec, for messages. */
  duration: string;
  durationMs: number;
  /** IANA name; UTC when the spec names none. */
  timeZone: string;
}

export interface NormalizedSafety {
  maxActionsPerHour: number;
  maxConcurrentActions: number;
  protectedResources: ProtectedResource[];
  protectedNamespaces: string[];
  /** A count, or a percentage string such as "50%" of the workload's desired replicas. */
  minReadyReplicas: number | string;
  approvalTimeoutMs: number;
  maxConsecutiveFailures: number;
  holdDurationMs: number;
  /** While one is open, fires are only recorded (MaintenanceWindow). */
  maintenanceWindows: NormalizedWindow[];
  /** When any: fires outside all of them are only recorded (OutsideAllowedWindow). */
  allowedWindows: NormalizedWindow[];
  /** safetyRules.ineffectiveRemediation with its defaults (domain/ineffective.ts). */
  ineffective: NormalizedIneffective;
  /** Most endpoints of one Service an action may take out (count or "25%"); absent: no limit. */
  maxUnavailable?: number | string;
  /** Rollout / upgrade / silence gating (domain/change-gate.ts); absent in actions planned before it. */
  changeGate?: NormalizedChangeGate;
  /** safetyRules.gitops; absent in actions planned before the rule: GitOps is ignored for them. */
  gitops?: NormalizedGitOps;
}

/** spec.notifications with its defaults; no secret = the operator's default Secret, if any. */
export interface NormalizedNotifications {
  enabled: boolean;
  /** A Secret in the policy's namespace (spec.notifications.secretRef). */
  secret?: { namespace: string; name: string };
  on: NotifyPhase[];
  retryForMs: number;
}

export interface NormalizedPolicy extends PolicyMeta {
  mode: PolicyMode;
  evaluationIntervalMs: number;
  selector: NormalizedSelector;
  triggers: NormalizedTrigger[];
  /** Sorted by priority, higher first; equal priorities keep their order in the spec. */
  actions: NormalizedAction[];
  /** Trigger name → names of the actions that answer it, in the order they are tried (the ladder). */
  ladders: Record<string, string[]>;
  verification: NormalizedVerification;
  safety: NormalizedSafety;
  aiAnalysis?: AiAnalysis;
  notifications: NormalizedNotifications;
  /** Things that were accepted but are probably not what the author meant. */
  warnings: string[];
}
