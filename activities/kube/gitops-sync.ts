// Suspending and restoring a GitOps owner's sync for the duration of one action
// (safetyRules.gitops.mode suspendSync), and reading whether it reports in sync.
//
// - Flux Kustomization / HelmRelease: `spec.suspend: true`, then removed again.
// - Argo CD Application: `spec.syncPolicy.automated` removed, kept in an annotation on the
//   Application, and put back from it.
//
// Idempotent: the suspension is marked with the action's id (kubeskippy.io/sync-suspended-by) in
// the same merge patch, with the resourceVersion read as a precondition, so a retried suspend finds
// its mark and a retried resume finds it gone. A sync someone else suspended (or an Application
// without automated sync) is left as found, and nothing is restored for it.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { GitOpsOwner } from '../../domain/gitops.js';
import { FIELD_MANAGER, type Kube } from './clients.js';
import { classify, ErrorType, isNotFound, kubeCall } from './errors.js';

export const SUSPENDED_BY_ANNOTATION = 'kubeskippy.io/sync-suspended-by';
export const SAVED_AUTOMATED_ANNOTATION = 'kubeskippy.io/suspended-automated';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const PLURALS = { Application: 'applications', Kustomization: 'kustomizations', HelmRelease: 'helmreleases' };

export type OwnerRef = Pick<GitOpsOwner, 'apiVersion' | 'kind' | 'namespace' | 'name'>;

interface OwnerObject {
  metadata?: { resourceVersion?: string; generation?: number; annotations?: Record<string, string> };
  spec?: { suspend?: boolean; syncPolicy?: { automated?: unknown } };
  status?: {
    observedGeneration?: number;
    lastHandledReconcileAt?: string;
    sync?: { status?: string };
    health?: { status?: string };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface SuspendResult {
  /** suspended: by this action (now or by an earlier attempt); not-needed: already suspended or
   * not auto-syncing, nothing to restore; missing: the owner is not in this cluster. */
  outcome: 'suspended' | 'not-needed' | 'missing';
  /** What was (or was not) suspended, in words. */
  message: string;
}

const params = (
  o: OwnerRef,
): { group: string; version: string; plural: string; namespace: string; name: string } => {
  const [group = '', version = ''] = o.apiVersion.split('/');
  return { group, version, plural: PLURALS[o.kind], namespace: o.namespace, name: o.name };
};
const what = (o: OwnerRef): string => `${o.kind} ${o.namespace}/${o.name}`;
export const suspensionOf = (o: OwnerRef): string =>
  o.kind === 'Application'
    ? `spec.syncPolicy.automated of Application ${o.namespace}/${o.name}`
    : `spec.suspend of ${what(o)}`;

async function read(kube: Kube, o: OwnerRef): Promise<OwnerObject | undefined> {
  try {
    return (await kube.custom.getNamespacedCustomObject(params(o))) as OwnerObject;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    return kubeCall(`read ${what(o)}`, () => Promise.reject(err));
  }
}

async function patch(kube: Kube, o: OwnerRef, body: object): Promise<void> {
  await kubeCall(`patch ${what(o)}`, () =>
    kube.custom.patchNamespacedCustomObject({ ...params(o), fieldManager: FIELD_MANAGER, body }, mergePatch),
  );
}

export async function suspendSync(
  kube: Kube,
  input: { owner: OwnerRef; actionId: string },
): Promise<SuspendResult> {
  const { owner, actionId } = input;
  const obj = await read(kube, owner);
  const field = suspensionOf(owner);
  if (!obj) return { outcome: 'missing', message: `${what(owner)} is not in this cluster` };
  const by = obj.metadata?.annotations?.[SUSPENDED_BY_ANNOTATION];
  if (by === actionId) return { outcome: 'suspended', message: `suspended ${field}` };
  if (by) return { outcome: 'not-needed', message: `${field} is already suspended by ${by}` };
  const metadata = (extra: Record<string, string>) => ({
    resourceVersion: obj.metadata?.resourceVersion,
    annotations: { [SUSPENDED_BY_ANNOTATION]: actionId, ...extra },
  });
  if (owner.kind === 'Application') {
    const automated = obj.spec?.syncPolicy?.automated;
    // Argo CD 3.1 can keep the block and turn it off with enabled: false.
    if (!automated || (automated as { enabled?: boolean }).enabled === false)
      return { outcome: 'not-needed', message: `${what(owner)} does not sync automatically` };
    await patch(kube, owner, {
      metadata: metadata({ [SAVED_AUTOMATED_ANNOTATION]: JSON.stringify(automated) }),
      spec: { syncPolicy: { automated: null } },
    });
  } else {
    if (obj.spec?.suspend === true) return { outcome: 'not-needed', message: `${field} is already true` };
    await patch(kube, owner, { metadata: metadata({}), spec: { suspend: true } });
  }
  return { outcome: 'suspended', message: `suspended ${field}` };
}

/** Restores what suspendSync suspended for this action; a no-op when it is already restored. */
export async function resumeSync(
  kube: Kube,
  input: { owner: OwnerRef; actionId: string },
): Promise<{ resumed: boolean; message: string }> {
  const { owner, actionId } = input;
  const obj = await read(kube, owner);
  const field = suspensionOf(owner);
  if (!obj || obj.metadata?.annotations?.[SUSPENDED_BY_ANNOTATION] !== actionId)
    return { resumed: false, message: `${field} was already restored` };
  const metadata = {
    resourceVersion: obj.metadata?.resourceVersion,
    annotations: { [SUSPENDED_BY_ANNOTATION]: null, [SAVED_AUTOMATED_ANNOTATION]: null },
  };
  if (owner.kind === 'Application') {
    const saved = obj.metadata?.annotations?.[SAVED_AUTOMATED_ANNOTATION];
    const automated: unknown = saved ? JSON.parse(saved) : {};
    await patch(kube, owner, { metadata, spec: { syncPolicy: { automated } } });
  } else {
    await patch(kube, owner, { metadata, spec: { suspend: null } });
  }
  return { resumed: true, message: `restored ${field}` };
}

// Asking for a reconcile now, the way `flux reconcile` and Argo CD's refresh button do, so the
// answer read afterwards is about the cluster as the action left it, not a status from before.
export const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const ARGO_REFRESH = 'argocd.argoproj.io/refresh';

/** Asks the owner to reconcile now (idempotent: the same token, the same annotation). */
export async function requestSync(kube: Kube, input: { owner: OwnerRef; token: string }): Promise<void> {
  const { owner, token } = input;
  const annotations =
    owner.kind === 'Application' ? { [ARGO_REFRESH]: 'normal' } : { [FLUX_REQUESTED_AT]: token };
  try {
    await patch(kube, owner, { metadata: { annotations } });
  } catch (err) {
    // Not in this cluster: there is nothing to wait for, and readSync says so.
    if (classify(err).type !== ErrorType.NotFound) throw err;
  }
}

export interface SyncState {
  found: boolean;
  /** The owner handled the reconcile request and reports in sync. */
  synced: boolean;
  message: string;
}

/**
 * Whether the owner reconciled since `requestSync(token)` and reports in sync: Argo CD removed its
 * refresh annotation and says Synced; Flux handled the request (status.lastHandledReconcileAt)
 * and is Ready for its generation.
 */
export async function readSync(kube: Kube, input: { owner: OwnerRef; token: string }): Promise<SyncState> {
  const { owner, token } = input;
  const obj = await read(kube, owner);
  if (!obj) return { found: false, synced: false, message: `${what(owner)} is not in this cluster` };
  if (owner.kind === 'Application') {
    const refreshed = !obj.metadata?.annotations?.[ARGO_REFRESH];
    const sync = obj.status?.sync?.status ?? 'Unknown';
    const health = obj.status?.health?.status ?? 'Unknown';
    const state = refreshed ? `${sync}, health ${health}` : 'not refreshed yet';
    return { found: true, synced: refreshed && sync === 'Synced', message: `${what(owner)} is ${state}` };
  }
  const handled = obj.status?.lastHandledReconcileAt === token;
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  const current = (obj.status?.observedGeneration ?? -1) >= (obj.metadata?.generation ?? 0);
  const synced = handled && current && ready?.status === 'True';
  const state = !handled
    ? 'not reconciled yet'
    : ready
      ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`
      : 'not Ready yet';
  return { found: true, synced, message: `${what(owner)} is ${state}` };
}
