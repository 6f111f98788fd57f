import type { ResourceChange } from '../../crds/healing-action.js';
import type { NormalizedAction } from '../../domain/action-types.js';
import type { ObjectRef } from '../../domain/snapshot.js';

export type { ActionOf, ActionType, NormalizedAction } from '../../domain/action-types.js';
export type { ObjectRef } from '../../domain/snapshot.js';

export interface ExecuteActionInput {
  /** The HealingAction's name: the idempotency key written onto what we change. */
  actionId: string;
  /** Workflow time of the decision (epoch ms); used instead of the wall clock so retries write the same thing. */
  decidedAtMs: number;
  /** The object acted on; its `uid` pins the exact object the trigger saw. */
  target: ObjectRef;
  /** The policy's action as normalized (domain/action-types.ts), carried out as is. */
  action: NormalizedAction;
  dryRun: boolean;
  /** What the incident was, for actions that tell someone about it (the webhook body). */
  incident?: { policy: string; trigger: string };
  /** The HealingAction (its namespace and uid): what an action's own objects are owned by (a job's Job). */
  record?: { namespace: string; uid: string };
  /**
   * The activity attempt (1 = the first), set by the activity, not the workflow. A retry may
   * follow an attempt whose call landed but whose worker died before reporting it, so executors
   * whose call cannot carry our mark read first on a retry.
   */
  attempt?: number;
}

export type ExecuteOutcome =
  /** The change was made now. */
  | 'applied'
  /** A previous attempt of this same action already made it (found our idempotency mark). */
  | 'already-applied'
  /** The target no longer exists (or was replaced): nothing to do, and nothing was done. */
  | 'target-gone'
  /** Server-side dry run: validated, nothing changed. */
  | 'dry-run';

export interface ExecuteActionResult {
  outcome: ExecuteOutcome;
  message: string;
  changes: ResourceChange[];
  /** For patches: a JSON Patch (RFC 6902) that restores the fields the patch changed. */
  inversePatch?: string;
  /** Workload scale before the change, for the record. */
  details?: Record<string, string>;
}

/** Annotation holding the id of the last KubeSkippy action applied to a workload. */
export const LAST_ACTION_ANNOTATION = 'kubeskippy.io/last-action';
/** Beside the mark: the JSON Patch that undoes that action's patch, so a retry still knows it. */
export const LAST_ACTION_INVERSE_ANNOTATION = 'kubeskippy.io/last-action-inverse';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
