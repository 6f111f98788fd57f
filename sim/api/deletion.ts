// Deletion as kube-apiserver and the garbage collector perform it, collapsed into synchronous
// steps: preconditions, graceful pod termination, finalizers, propagation policies, namespace
// cleanup. Real GC is asynchronous; doing it at once keeps the simulation deterministic while
// preserving the order clients observe (owner DELETED before its dependents).
import type { DeleteOptions, KObject, OwnerReference, ResourceId } from '../contract.js';
import { preconditionFailed } from './errors.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import type { MemoryStore } from './store.js';
import { isoSeconds } from './util.js';

export interface DeleteContext {
  now(): number;
  put(info: ResourceInfo, obj: KObject): KObject;
  remove(info: ResourceInfo, obj: KObject): KObject;
  store: MemoryStore;
}

const FOREGROUND = 'foregroundDeletion';
const PODS = 'core/v1/pods';

function checkPreconditions(info: ResourceInfo, obj: KObject, pre: DeleteOptions['preconditions']): void {
  const md = obj.metadata;
  if (pre?.uid && pre.uid !== md.uid) {
    throw preconditionFailed(
      info,
      md.name!,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${md.uid}). The object might have been deleted and then recreated`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== md.resourceVersion) {
    throw preconditionFailed(
      info,
      md.name!,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${md.resourceVersion}). The object might have been modified`,
    );
  }
}

/** Pods bound to a node terminate gracefully: the kubelet finishes the deletion with grace 0. */
function podGrace(info: ResourceInfo, obj: KObject, opts: DeleteOptions): number {
  if (info.id !== PODS || !obj.spec?.nodeName) return 0;
  if (obj.status?.phase === 'Succeeded' || obj.status?.phase === 'Failed') return 0;
  return opts.gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
}

export function deleteObject(
  ctx: DeleteContext,
  info: ResourceInfo,
  obj: KObject,
  opts: DeleteOptions & { dryRun?: boolean },
): KObject {
  checkPreconditions(info, obj, opts.preconditions);
  const md = obj.metadata;
  const grace = podGrace(info, obj, opts);
  if (grace > 0) {
    // A second delete may shorten the grace period but never lengthen it.
    if (md.deletionTimestamp && (md.deletionGracePeriodSeconds ?? 0) <= grace) return obj;
    md.deletionTimestamp = isoSeconds(ctx.now() + grace * 1000);
    md.deletionGracePeriodSeconds = grace;
    return opts.dryRun ? obj : ctx.put(info, obj);
  }
  const policy = opts.propagationPolicy ?? 'Background';
  const dependents = dependentsOf(ctx.store, md.uid!);
  if (opts.dryRun) {
    if (md.finalizers?.length || (policy === 'Foreground' && dependents.length))
      md.deletionTimestamp ??= isoSeconds(ctx.now());
    return obj;
  }
  if (policy === 'Orphan') {
    for (const d of dependents) stripOwner(ctx, d.resource, d.obj, md.uid!);
  }
  if (policy === 'Foreground' && dependents.length) {
    md.finalizers = [...new Set([...(md.finalizers ?? []), FOREGROUND])];
    md.deletionTimestamp ??= isoSeconds(ctx.now());
    md.deletionGracePeriodSeconds = 0;
    const result = ctx.put(info, obj);
    for (const d of dependents)
      deleteQuietly(ctx.store, d.resource, d.obj, { propagationPolicy: 'Foreground' });
    return finishForeground(ctx, info, md.uid!) ?? result;
  }
  if (md.finalizers?.length) {
    if (md.deletionTimestamp && md.deletionGracePeriodSeconds === 0) return obj;
    md.deletionTimestamp ??= isoSeconds(ctx.now());
    md.deletionGracePeriodSeconds = 0;
    return ctx.put(info, obj);
  }
  return ctx.remove(info, obj);
}

/** Runs after an object left the store: background GC, namespace contents, foreground owners. */
export function afterRemoval(ctx: DeleteContext, info: ResourceInfo, removed: KObject): void {
  const uid = removed.metadata.uid!;
  for (const d of dependentsOf(ctx.store, uid)) {
    const others = (d.obj.metadata.ownerReferences ?? []).filter(
      (r) => r.uid !== uid && ownerExists(ctx.store, d.obj, r),
    );
    if (others.length) stripOwner(ctx, d.resource, d.obj, uid);
    else deleteQuietly(ctx.store, d.resource, d.obj, { propagationPolicy: 'Background' });
  }
  if (info.id === 'core/v1/namespaces') {
    const ns = removed.metadata.name;
    for (const { resource, obj } of [...ctx.store.everything()]) {
      if (obj.metadata.namespace === ns)
        deleteQuietly(ctx.store, resource, obj, { gracePeriodSeconds: 0 }, true);
    }
  }
  for (const ref of removed.metadata.ownerReferences ?? []) {
    const ownerInfo = infoFor(ctx.store, ref);
    if (ownerInfo) finishForeground(ctx, ownerInfo, ref.uid);
  }
}

/** Removes the foregroundDeletion finalizer once no dependents remain. */
function finishForeground(ctx: DeleteContext, info: ResourceInfo, uid: string): KObject | undefined {
  const owner = [...ctx.store.everything()].find((e) => e.obj.metadata.uid === uid && e.resource === info.id);
  if (!owner?.obj.metadata.finalizers?.includes(FOREGROUND)) return undefined;
  if (dependentsOf(ctx.store, uid).length) return undefined;
  const md = owner.obj.metadata;
  return ctx.store.mutate(info.id, md.namespace, md.name!, (o) => {
    o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND);
  });
}

function dependentsOf(store: MemoryStore, uid: string): { resource: ResourceId; obj: KObject }[] {
  return [...store.everything()].filter((e) => e.obj.metadata.ownerReferences?.some((r) => r.uid === uid));
}

function infoFor(store: MemoryStore, ref: OwnerReference): ResourceInfo | undefined {
  return store.registry.all().find((r) => apiVersionOf(r) === ref.apiVersion && r.kind === ref.kind);
}

function ownerExists(store: MemoryStore, dependent: KObject, ref: OwnerReference): boolean {
  const info = infoFor(store, ref);
  if (!info) return false;
  const owner = store.get(info.id, info.namespaced ? dependent.metadata.namespace : undefined, ref.name);
  return owner?.metadata.uid === ref.uid;
}

function stripOwner(ctx: DeleteContext, resource: ResourceId, obj: KObject, uid: string): void {
  ctx.store.mutate(resource, obj.metadata.namespace, obj.metadata.name!, (o) => {
    o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
  });
}

/** GC deletes may race with other deletes; an object already gone is not an error. */
function deleteQuietly(
  store: MemoryStore,
  resource: ResourceId,
  obj: KObject,
  opts: DeleteOptions,
  force = false,
): void {
  try {
    if (force) {
      store.mutate(
        resource,
        obj.metadata.namespace,
        obj.metadata.name!,
        (o) => void delete o.metadata.finalizers,
      );
    }
    store.delete(resource, obj.metadata.namespace, obj.metadata.name!, opts);
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
