// Scale the owning workload within [min, max]. Idempotent: the new replica count and the action id
// are written in one merge patch, so a retry that finds its own id knows the work is done (and
// does not add replicas twice). It never fights a HorizontalPodAutoscaler: if one targets the
// workload the action fails with ManagedByHPA — change the HPA's bounds instead.
import { ApplicationFailure } from '@temporalio/common';
import { desiredReplicas as decideReplicas } from '../../domain/scale.js';
import type { Kube } from '../kube/clients.js';
import { isNotFound, kubeCall } from '../kube/errors.js';
import { readLiveTarget } from './workloads.js';
import {
  LAST_ACTION_ANNOTATION,
  type ExecuteActionInput,
  type ExecuteActionResult,
  type ActionOf,
} from './types.js';

type ScaleSpec = ActionOf<'scale'>['scaleAction'];
const FROM_ANNOTATION = 'kubeskippy.io/last-action-replicas';

/**
 * Where the workload lands: the domain decides, so the executor and the planner agree.
 * A refusal (already at max, min or the asked-for count) keeps the current count.
 */
export function desiredReplicas(spec: ScaleSpec, current: number): number {
  const verdict = decideReplicas({ ...spec, current });
  return verdict.ok ? verdict.to : current;
}

async function hpaFor(
  kube: Kube,
  namespace: string,
  kind: string,
  name: string,
): Promise<string | undefined> {
  try {
    const list = await kube.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace });
    return list.items.find((h) => h.spec?.scaleTargetRef.kind === kind && h.spec.scaleTargetRef.name === name)
      ?.metadata?.name;
  } catch (err) {
    if (isNotFound(err)) return undefined; // autoscaling/v2 not served: no HPA can exist
    throw err;
  }
}

export async function scaleWorkload(
  kube: Kube,
  input: ExecuteActionInput,
  spec: ScaleSpec,
): Promise<ExecuteActionResult> {
  const { name, namespace, kind } = input.target;
  const live = await readLiveTarget(kube, input);
  if ('gone' in live) return live.gone;
  const { before, api, ref } = live;
  const annotations = (before.metadata?.annotations ?? {}) as Record<string, string>;
  const current = Number(before.spec?.replicas ?? 1);
  if (annotations[LAST_ACTION_ANNOTATION] === input.actionId) {
    const from = annotations[FROM_ANNOTATION] ?? '?';
    return {
      outcome: 'already-applied',
      message: `${ref} was already scaled by this action (${from} → ${current})`,
      changes: [
        {
          resourceRef: ref,
          changeType: 'scale',
          field: 'spec.replicas',
          oldValue: from,
          newValue: String(current),
        },
      ],
      details: { fromReplicas: from, toReplicas: String(current) },
    };
  }
  const hpa = await kubeCall(`list HPAs in ${namespace}`, () => hpaFor(kube, namespace, kind, name));
  if (hpa) {
    throw ApplicationFailure.nonRetryable(
      `${ref} is managed by HorizontalPodAutoscaler ${hpa}; KubeSkippy does not fight it (adjust the HPA instead)`,
      'ManagedByHPA',
    );
  }
  const verdict = decideReplicas({ ...spec, current });
  if (!verdict.ok) {
    throw ApplicationFailure.nonRetryable(`${ref}: ${verdict.message}; nothing to scale`, 'NoScaleChange', {
      reason: verdict.reason,
    });
  }
  const target = verdict.to;
  const body = {
    metadata: {
      annotations: { [LAST_ACTION_ANNOTATION]: input.actionId, [FROM_ANNOTATION]: String(current) },
    },
    spec: { replicas: target },
  };
  await kubeCall(`scale ${ref}`, () =>
    api.patch({ name, namespace, body, dryRun: input.dryRun ? 'All' : undefined }, 'merge'),
  );
  return {
    outcome: input.dryRun ? 'dry-run' : 'applied',
    message: `${input.dryRun ? 'would scale' : 'scaled'} ${ref} from ${current} to ${target} replicas`,
    changes: [
      {
        resourceRef: ref,
        changeType: 'scale',
        field: 'spec.replicas',
        oldValue: String(current),
        newValue: String(target),
      },
    ],
    details: { fromReplicas: String(current), toReplicas: String(target) },
  };
}
