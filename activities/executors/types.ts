import type { ResourceChange } from '../../crds/healing-action.js';
import type { ExecutorAction } from '../../domain/executor-action.js';

/** A Kubernetes object by identity; `uid` pins the exact object the trigger saw. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

/** The normalized action an executor carries out (built by domain/executor-action.ts). */
export type { ExecutorAction, RestartStrategy } from '../../domain/executor-action.js';

export interface ExecuteActionInput {
  /** The HealingAction's name: the idempotency key written onto what we change. */
  actionId: string;
  /** Workflow time of the decision (epoch ms); used instead of the wall clock so retries write the same thing. */
  decidedAtMs: number;
  target: ObjectRef;
  action: ExecutorAction;
  dryRun: boolean;
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
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
