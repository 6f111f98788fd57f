// Delete with a uid precondition, so a retried delete never removes a replacement that took the
// name. `force` strips finalizers first — only for objects stuck terminating.
import type { Kube } from '../kube/clients.js';
import { classify, ErrorType, kubeCall, toFailure } from '../kube/errors.js';
import { deletePod } from './restart.js';
import { refString } from './workloads.js';
import type { ExecuteActionInput, ExecuteActionResult, ActionOf } from './types.js';

type DeleteSpec = ActionOf<'delete'>['deleteAction'];
const uidMismatch = new Error('the object was replaced');

/**
 * Gone on a retry: the earlier attempt's delete most likely landed and only its answer was lost,
 * so "nothing was done" would be false (restart.ts reads first for pods; here the 404 says it).
 */
function goneOnRetry(input: ExecuteActionInput): ExecuteActionResult {
  const ref = refString(input.target);
  return {
    outcome: 'already-applied',
    message: `${ref} was gone when attempt ${input.attempt} asked again: the delete of an earlier attempt most likely landed, its answer lost`,
    changes: [{ resourceRef: ref, changeType: 'delete', field: 'metadata.uid', oldValue: input.target.uid }],
  };
}

export async function deleteObject(
  kube: Kube,
  input: ExecuteActionInput,
  spec: DeleteSpec,
): Promise<ExecuteActionResult> {
  const { target } = input;
  if (target.kind === 'Pod' && !spec.force && spec.propagationPolicy === 'Background') {
    return deletePod(kube, input, spec.gracePeriodSeconds);
  }
  const header = {
    apiVersion: target.apiVersion,
    kind: target.kind,
    metadata: { name: target.name, namespace: target.namespace },
  };
  const dryRun = input.dryRun ? 'All' : undefined;
  try {
    if (spec.force && !input.dryRun) {
      // The finalizer strip must hit only the object the trigger saw: read it, check its uid, and
      // patch with its resourceVersion, so a replacement created in between fails the patch (409,
      // retried) instead of losing its finalizers.
      const current = await kube.objects.read(header);
      if (target.uid && current.metadata?.uid !== target.uid) throw uidMismatch;
      await kubeCall(`remove finalizers of ${refString(target)}`, () =>
        kube.objects.patch(
          {
            ...header,
            metadata: {
              ...header.metadata,
              // A merge patch replaces a list whole: an empty one removes every finalizer.
              finalizers: [],
              resourceVersion: current.metadata?.resourceVersion,
            },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          'application/merge-patch+json',
        ),
      );
    }
    await kube.objects.delete(
      header,
      undefined,
      dryRun,
      spec.gracePeriodSeconds,
      undefined,
      spec.propagationPolicy,
      // The API server reads a DeleteOptions body whole and ignores the query beside it: the dry
      // run must be in the body, or a dry-run delete really deletes (it did on a real cluster).
      {
        gracePeriodSeconds: spec.gracePeriodSeconds,
        propagationPolicy: spec.propagationPolicy,
        ...(dryRun ? { dryRun: [dryRun] } : {}),
        ...(target.uid ? { preconditions: { uid: target.uid } } : {}),
      },
    );
  } catch (err) {
    const type = err === uidMismatch ? ErrorType.PreconditionFailed : classify(err).type;
    if (type === ErrorType.NotFound || type === ErrorType.PreconditionFailed) {
      if ((input.attempt ?? 1) > 1 && !input.dryRun) return goneOnRetry(input);
      return {
        outcome: 'target-gone',
        message: `${refString(target)} is already gone or was replaced; nothing was done`,
        changes: [],
      };
    }
    throw toFailure(err, `delete ${refString(target)}`);
  }
  return {
    outcome: input.dryRun ? 'dry-run' : 'applied',
    message: `${input.dryRun ? 'would delete' : 'deleted'} ${refString(target)} (${spec.propagationPolicy})`,
    changes: [
      { resourceRef: refString(target), changeType: 'delete', field: 'metadata.uid', oldValue: target.uid },
    ],
  };
}
