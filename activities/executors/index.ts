import type { Kube } from '../kube/clients.js';
import { deleteObject } from './delete.js';
import { runJob } from './job.js';
import { patchObject } from './patch.js';
import { deletePod, evictPod, rolloutRestart } from './restart.js';
import { scaleWorkload } from './scale.js';
import { callWebhook, type WebhookDeps } from './webhook.js';
import type { ActionOf, ActionType, ExecuteActionInput, ExecuteActionResult } from './types.js';

export type * from './types.js';
export type { WebhookDeps } from './webhook.js';

/** What executors need besides the Kubernetes clients (operator configuration). */
export interface ExecutorDeps {
  webhook: WebhookDeps;
}
export { revertPatch } from './patch.js';
export { readJob } from './job.js';

type Executor<K extends ActionType> = (
  kube: Kube,
  input: ExecuteActionInput,
  action: ActionOf<K>,
  deps: ExecutorDeps,
) => Promise<ExecuteActionResult>;

/** One executor per action type, keyed by the same union as domain/action-types.ts. */
const EXECUTORS: { [K in ActionType]: Executor<K> } = {
  restart: (kube, input, { restartAction: r }) =>
    r.strategy === 'rollout'
      ? rolloutRestart(kube, input)
      : r.strategy === 'delete'
        ? deletePod(kube, input, r.gracePeriodSeconds)
        : evictPod(kube, input, r.gracePeriodSeconds),
  scale: (kube, input, a) => scaleWorkload(kube, input, a.scaleAction),
  patch: (kube, input, a) => patchObject(kube, input, a.patchAction),
  delete: (kube, input, a) => deleteObject(kube, input, a.deleteAction),
  webhook: (_kube, input, a, deps) => callWebhook(deps.webhook, input, a),
  job: (kube, input, a) => runJob(kube, input, a),
};

// Generic in K so the table entry and the action are typed together (no cast, no switch).
const run = <K extends ActionType>(
  kube: Kube,
  input: ExecuteActionInput,
  action: ActionOf<K>,
  deps: ExecutorDeps,
): Promise<ExecuteActionResult> => EXECUTORS[action.type](kube, input, action, deps);

/** Carries out one remediation (or its server-side dry run) against the live cluster. */
export async function executeAction(
  kube: Kube,
  input: ExecuteActionInput,
  deps: ExecutorDeps = { webhook: { allow: [] } },
): Promise<ExecuteActionResult> {
  return run(kube, input, input.action, deps);
}
