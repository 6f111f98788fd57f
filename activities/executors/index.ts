import type { Kube } from '../kube/clients.js';
import { deleteObject } from './delete.js';
import { patchObject } from './patch.js';
import { deletePod, evictPod, rolloutRestart } from './restart.js';
import { scaleWorkload } from './scale.js';
import type { ExecuteActionInput, ExecuteActionResult } from './types.js';

export type * from './types.js';
export { revertPatch } from './patch.js';

/** Carries out one remediation (or its server-side dry run) against the live cluster. */
export async function executeAction(kube: Kube, input: ExecuteActionInput): Promise<ExecuteActionResult> {
  const { action } = input;
  switch (action.type) {
    case 'restart':
      if (action.strategy === 'rollout') return rolloutRestart(kube, input);
      if (action.strategy === 'delete') return deletePod(kube, input, action.gracePeriodSeconds);
      return evictPod(kube, input, action.gracePeriodSeconds);
    case 'scale':
      return scaleWorkload(kube, input, action);
    case 'patch':
      return patchObject(kube, input, action);
    case 'delete':
      return deleteObject(kube, input, action);
  }
}
