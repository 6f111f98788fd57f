// Restart, three ways. Each is idempotent: eviction and delete carry a uid precondition, so a
// retried call can never hit the replacement pod; a rollout restart writes a restartedAt derived
// from the decision time, so writing it twice is one rollout.
import { ApplicationFailure } from '@temporalio/common';
import { classify, ErrorType, kubeCall, toFailure } from '../kube/errors.js';
import type { Kube } from '../kube/clients.js';
import { readLiveTarget, refString } from './workloads.js';
import {
  LAST_ACTION_ANNOTATION,
  RESTARTED_AT_ANNOTATION,
  type ExecuteActionInput,
  type ExecuteActionResult,
} from './types.js';

const gone = (input: ExecuteActionInput, why: string): ExecuteActionResult => ({
  outcome: 'target-gone',
  message: `${refString(input.target)} ${why}; nothing was done`,
  changes: [],
});

function isGone(err: unknown): boolean {
  const { type } = classify(err);
  return type === ErrorType.NotFound || type === ErrorType.PreconditionFailed;
}

/** What removing the pod did (or would do), for the record: its uid is the field that changes. */
function removed(input: ExecuteActionInput, how: 'evict' | 'delete', grace: number): ExecuteActionResult {
  const ref = refString(input.target);
  const done = input.dryRun ? `would ${how}` : how === 'evict' ? 'evicted' : 'deleted';
  return {
    outcome: input.dryRun ? 'dry-run' : 'applied',
    message: `${done} ${ref} (grace ${grace}s)`,
    changes: [{ resourceRef: ref, changeType: how, field: 'metadata.uid', oldValue: input.target.uid }],
  };
}

/**
 * On a retry, whether the pod is already on its way out (gone, replaced, or terminating). The
 * worker of an earlier attempt may have died after the API server took its call and before the
 * attempt reported back; calling again would be a second destructive request for one action, and
 * a 404 would be misread as "nothing was done". (Or someone else removed it meanwhile: the message
 * says both.) The first attempt does not read: the safety check has just seen the pod.
 */
async function alreadyRemoved(
  kube: Kube,
  input: ExecuteActionInput,
  how: 'evict' | 'delete',
  grace: number,
): Promise<ExecuteActionResult | undefined> {
  if ((input.attempt ?? 1) <= 1 || input.dryRun) return undefined;
  const { name, namespace, uid } = input.target;
  try {
    const pod = await kube.core.readNamespacedPod({ name, namespace });
    if (pod.metadata?.uid === uid && !pod.metadata.deletionTimestamp) return undefined;
  } catch (err) {
    if (classify(err).type !== ErrorType.NotFound) throw toFailure(err, `read ${refString(input.target)}`);
  }
  const done = removed(input, how, grace);
  return {
    ...done,
    outcome: 'already-applied',
    message: `${done.message}: on attempt ${input.attempt} the pod was already gone or terminating (an earlier attempt's call had landed, or someone else removed it)`,
  };
}

export async function evictPod(
  kube: Kube,
  input: ExecuteActionInput,
  gracePeriodSeconds: number,
): Promise<ExecuteActionResult> {
  const { name, namespace, uid } = input.target;
  const earlier = await alreadyRemoved(kube, input, 'evict', gracePeriodSeconds);
  if (earlier) return earlier;
  try {
    await kube.core.createNamespacedPodEviction({
      name,
      namespace,
      dryRun: input.dryRun ? 'All' : undefined,
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name, namespace },
        // The uid precondition: a pod replaced under the same name (StatefulSet) is not the one we judged.
        deleteOptions: { gracePeriodSeconds, preconditions: { uid } },
      },
    });
  } catch (err) {
    if (isGone(err)) return gone(input, 'is already gone or was replaced');
    const failure = toFailure(err, `evict ${refString(input.target)}`);
    // A PodDisruptionBudget at zero: retry later rather than force it; the activity's retry policy
    // and schedule-to-close timeout bound how long we wait for the budget to allow one.
    if (failure.type === ErrorType.DisruptionBudget) {
      throw ApplicationFailure.create({ message: failure.message, type: failure.type, nextRetryDelay: '5s' });
    }
    throw failure;
  }
  return removed(input, 'evict', gracePeriodSeconds);
}

export async function deletePod(
  kube: Kube,
  input: ExecuteActionInput,
  gracePeriodSeconds: number,
): Promise<ExecuteActionResult> {
  const { name, namespace, uid } = input.target;
  const earlier = await alreadyRemoved(kube, input, 'delete', gracePeriodSeconds);
  if (earlier) return earlier;
  try {
    await kube.core.deleteNamespacedPod({
      name,
      namespace,
      gracePeriodSeconds,
      dryRun: input.dryRun ? 'All' : undefined,
      // In the body too: a real API server ignores the query's dryRun beside a DeleteOptions body.
      body: {
        gracePeriodSeconds,
        ...(input.dryRun ? { dryRun: ['All'] } : {}),
        preconditions: { uid },
      },
    });
  } catch (err) {
    if (isGone(err)) return gone(input, 'is already gone or was replaced');
    throw toFailure(err, `delete ${refString(input.target)}`);
  }
  return removed(input, 'delete', gracePeriodSeconds);
}

/** `kubectl rollout restart`: bump the pod template's restartedAt annotation. */
export async function rolloutRestart(kube: Kube, input: ExecuteActionInput): Promise<ExecuteActionResult> {
  const { name, namespace } = input.target;
  const live = await readLiveTarget(kube, input);
  if ('gone' in live) return live.gone;
  const { before, api } = live;
  const restartedAt = new Date(input.decidedAtMs).toISOString();
  const previous = before.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] as
    string | undefined;
  if (before.metadata?.annotations?.[LAST_ACTION_ANNOTATION] === input.actionId && previous === restartedAt) {
    return {
      outcome: 'already-applied',
      message: `rollout restart of ${refString(input.target)} already done`,
      changes: [],
    };
  }
  const body = {
    metadata: { annotations: { [LAST_ACTION_ANNOTATION]: input.actionId } },
    spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } },
  };
  await kubeCall(`rollout restart ${refString(input.target)}`, () =>
    api.patch({ name, namespace, body, dryRun: input.dryRun ? 'All' : undefined }, 'merge'),
  );
  return {
    outcome: input.dryRun ? 'dry-run' : 'applied',
    message: `${input.dryRun ? 'would roll' : 'rolling'} out ${refString(input.target)} (restartedAt ${restartedAt})`,
    changes: [
      {
        resourceRef: refString(input.target),
        changeType: 'patch',
        field: `spec.template.metadata.annotations[${RESTARTED_AT_ANNOTATION}]`,
        oldValue: previous,
        newValue: restartedAt,
      },
    ],
  };
}
