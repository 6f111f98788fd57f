// Kind-generic read and patch through the typed client-node APIs, so every executor can treat a
// Pod, Deployment, StatefulSet, ReplicaSet or DaemonSet the same way.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { FIELD_MANAGER, type Kube } from '../kube/clients.js';
import { isNotFound, toFailure } from '../kube/errors.js';
import type { ExecuteActionInput, ExecuteActionResult, ObjectRef } from './types.js';

export type PatchType = 'strategic' | 'merge' | 'json';

const CONTENT_TYPE: Record<PatchType, string> = {
  strategic: PatchStrategy.StrategicMergePatch,
  merge: PatchStrategy.MergePatch,
  json: PatchStrategy.JsonPatch,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyObject = Record<string, any>;

interface KindApi {
  read(name: string, namespace: string): Promise<AnyObject>;
  patch(
    p: { name: string; namespace: string; body: unknown; dryRun?: string },
    type: PatchType,
  ): Promise<AnyObject>;
}

export function kindApi(kube: Kube, kind: string): KindApi {
  const opts = (type: PatchType): ReturnType<typeof setHeaderOptions> =>
    setHeaderOptions('Content-Type', CONTENT_TYPE[type]);
  const withManager = <T extends object>(p: T): T & { fieldManager: string } => ({
    ...p,
    fieldManager: FIELD_MANAGER,
  });
  switch (kind) {
    case 'Pod':
      return {
        read: (name, namespace) => kube.core.readNamespacedPod({ name, namespace }),
        patch: (p, type) => kube.core.patchNamespacedPod(withManager(p), opts(type)),
      };
    case 'Deployment':
      return {
        read: (name, namespace) => kube.apps.readNamespacedDeployment({ name, namespace }),
        patch: (p, type) => kube.apps.patchNamespacedDeployment(withManager(p), opts(type)),
      };
    case 'StatefulSet':
      return {
        read: (name, namespace) => kube.apps.readNamespacedStatefulSet({ name, namespace }),
        patch: (p, type) => kube.apps.patchNamespacedStatefulSet(withManager(p), opts(type)),
      };
    case 'ReplicaSet':
      return {
        read: (name, namespace) => kube.apps.readNamespacedReplicaSet({ name, namespace }),
        patch: (p, type) => kube.apps.patchNamespacedReplicaSet(withManager(p), opts(type)),
      };
    case 'DaemonSet':
      return {
        read: (name, namespace) => kube.apps.readNamespacedDaemonSet({ name, namespace }),
        patch: (p, type) => kube.apps.patchNamespacedDaemonSet(withManager(p), opts(type)),
      };
    default:
      throw ApplicationFailure.nonRetryable(`KubeSkippy cannot act on kind ${kind}`, 'UnsupportedKind');
  }
}

export function refString(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * Reads the object an action is about to change. `gone` when it no longer exists or was recreated
 * under the same name (another uid): acting on it would hit an object the trigger never saw.
 */
/** The target as it is now, with its API and its `Kind/ns/name`; or why the action has nothing to do. */
export interface LiveTarget {
  before: AnyObject;
  api: KindApi;
  ref: string;
}

/**
 * Reads the workload the action acts on. Gone (deleted, or replaced under the same name: another
 * uid) is an answer, not an error: the action records that nothing was done.
 */
export async function readLiveTarget(
  kube: Kube,
  input: ExecuteActionInput,
): Promise<LiveTarget | { gone: ExecuteActionResult }> {
  const api = kindApi(kube, input.target.kind);
  const ref = refString(input.target);
  const gone = (why: string): { gone: ExecuteActionResult } => ({
    gone: { outcome: 'target-gone', message: `${ref} ${why}; nothing was done`, changes: [] },
  });
  let before: AnyObject;
  try {
    before = await api.read(input.target.name, input.target.namespace);
  } catch (err) {
    if (isNotFound(err)) return gone('no longer exists');
    throw toFailure(err, `read ${ref}`);
  }
  if (input.target.uid && before.metadata?.uid !== input.target.uid) return gone('was replaced');
  return { before, api, ref };
}
