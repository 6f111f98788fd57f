// The scale and eviction subresources.
import type { KObject } from '../contract.js';
import type { ServerContext } from './context.js';
import { ApiError, badRequest } from './errors.js';
import { evaluateJsonPath, setJsonPath } from './jsonpath.js';
import { applyPatch } from './patch.js';
import type { ResourceInfo } from './resources.js';
import { selectorMatches, selectorToString } from './selectors.js';
import { isoSeconds } from './util.js';

const SCALE_INFO = {
  group: 'autoscaling',
  version: 'v1',
  plural: 'scale',
  kind: 'Scale',
  strategicMerge: true,
} as ResourceInfo;

export function toScale(info: ResourceInfo, obj: KObject): KObject {
  const s = info.scale!;
  const selector = info.crd
    ? evaluateJsonPath(obj, s.labelSelectorPath ?? '')
    : selectorToString(obj.spec?.selector);
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, ...(namespace ? { namespace } : {}), uid, resourceVersion, creationTimestamp },
    spec: { replicas: evaluateJsonPath(obj, s.specReplicasPath) ?? 0 },
    status: { replicas: evaluateJsonPath(obj, s.statusReplicasPath) ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** PUT or PATCH of /scale: only spec.replicas changes on the parent object. */
export function writeScale(
  ctx: ServerContext,
  info: ResourceInfo,
  current: KObject,
  req: { method: string; contentType: string; body: string; dryRun: boolean },
): KObject {
  const scale = toScale(info, current);
  const next =
    req.method === 'PUT'
      ? (JSON.parse(req.body) as KObject)
      : applyPatch(SCALE_INFO, scale, req.contentType, req.body);
  const replicas = next.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(
      422,
      'Invalid',
      `Scale.autoscaling "${current.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      {
        name: current.metadata.name!,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
            field: 'spec.replicas',
          },
        ],
      },
    );
  }
  const updated = structuredClone(current);
  setJsonPath(updated, info.scale!.specReplicasPath, replicas);
  updated.metadata.resourceVersion = next.metadata?.resourceVersion || current.metadata.resourceVersion;
  return toScale(info, ctx.store.update(info.id, updated, { dryRun: req.dryRun }));
}

const PDBS = 'policy/v1/poddisruptionbudgets';
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

/** POST pods/<name>/eviction, as pkg/registry/core/pod/storage/eviction.go decides it. */
export function evict(
  ctx: ServerContext,
  info: ResourceInfo,
  pod: KObject,
  body: Record<string, unknown>,
  dryRun: boolean,
): void {
  const { store } = ctx;
  const opts = (body.deleteOptions ?? {}) as {
    preconditions?: { uid?: string; resourceVersion?: string };
    gracePeriodSeconds?: number;
    dryRun?: string[];
  };
  // Preconditions are checked by the delete, after the budget was spent: a real server answers
  // a stale uid with 409 and still records the pod in disruptedPods (the budget stays spent
  // until the disruption controller gives up waiting for the deletion).
  const name = pod.metadata.name!;
  const dry = dryRun || (opts.dryRun ?? []).includes('All');
  const del = (): void => void store.delete(info.id, pod.metadata.namespace, name, { ...opts, dryRun: dry });
  // Terminal, pending and already-terminating pods do not count against a budget.
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp)
    return del();
  const pdbs = store
    .list(PDBS, { namespace: pod.metadata.namespace })
    .filter((p) => selectorMatches(p.spec?.selector, pod.metadata.labels));
  if (pdbs.length > 1)
    throw new ApiError(
      500,
      'InternalError',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  const pdb = pdbs[0];
  if (!pdb) return del();
  const status = pdb.status ?? {};
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw tooMany(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`);
  }
  if ((status.disruptionsAllowed ?? 0) <= 0) {
    throw tooMany(
      `The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
    );
  }
  if (!dry) {
    store.mutate(
      PDBS,
      pdb.metadata.namespace,
      pdb.metadata.name!,
      (p) => {
        p.status.disruptionsAllowed -= 1;
        p.status.disruptedPods = { ...p.status.disruptedPods, [name]: isoSeconds(store.now()) };
      },
      { subresource: 'status' },
    );
  }
  del();
}

function tooMany(cause: string): ApiError {
  return new ApiError(429, 'TooManyRequests', VIOLATION, {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

export function checkEvictionBody(body: Record<string, unknown>, pod: KObject): void {
  const md = body.metadata as { name?: string } | undefined;
  if (md?.name && md.name !== pod.metadata.name)
    throw badRequest(`name in URL does not match name in Eviction object`);
}
