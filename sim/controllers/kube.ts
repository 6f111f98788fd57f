// Small Kubernetes object helpers shared by the controllers: resource ids, selectors, ownership,
// pod readiness and the pod-template hash.
import type { KObject, OwnerReference, Store } from '../contract.js';
import { fnv1a } from './behaviours.js';

export const PODS = 'core/v1/pods';
export const NODES = 'core/v1/nodes';
export const EVENTS = 'core/v1/events';
export const DEPLOYMENTS = 'apps/v1/deployments';
export const REPLICASETS = 'apps/v1/replicasets';
export const STATEFULSETS = 'apps/v1/statefulsets';
export const PDBS = 'policy/v1/poddisruptionbudgets';
export const JOBS = 'batch/v1/jobs';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** metav1.LabelSelector semantics; an empty selector matches everything, a missing one nothing. */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    const inValues = present && (e.values ?? []).includes(value ?? '');
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !present) return false;
    if (e.operator === 'DoesNotExist' && present) return false;
  }
  return true;
}

export function controllerOf(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

export function ownerRef(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Objects of `resource` in the owner's namespace whose controller is the owner (by uid). */
export function ownedBy(store: Store, resource: string, owner: KObject): KObject[] {
  return store
    .list(resource, { namespace: owner.metadata.namespace })
    .filter((o) => controllerOf(o)?.uid === owner.metadata.uid);
}

/**
 * As ownedBy, but the stored objects themselves (never mutate them): for the pods a ReplicaSet or
 * StatefulSet counts on every reconcile, where copying the whole namespace each time made a
 * 3,000-pod Deployment quadratic.
 */
export function ownedView(store: Store, resource: string, owner: KObject): readonly KObject[] {
  return store
    .view(resource, { namespace: owner.metadata.namespace })
    .filter((o) => controllerOf(o)?.uid === owner.metadata.uid);
}

/** Pods that count towards a controller's replicas: not terminating and not finished. */
export function isActivePod(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export function podCondition(
  pod: KObject,
  type: string,
): { status?: string; lastTransitionTime?: string } | undefined {
  return (
    pod.status?.conditions as { type: string; status?: string; lastTransitionTime?: string }[] | undefined
  )?.find((c) => c.type === type);
}

export function isPodReady(pod: KObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (already scaled to ms) at `nowMs`. */
export function isPodAvailable(pod: KObject, minReadyMs: number, nowMs: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadyMs <= 0) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && nowMs - since >= minReadyMs;
}

export function nsName(obj: KObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  const namespace = key.slice(0, i);
  return { namespace: namespace === '' ? undefined : namespace, name: key.slice(i + 1) };
}

/** Key-order-independent JSON, so equal templates hash equally. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// The alphabet Kubernetes uses for generated suffixes (no vowels, no confusable characters).
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A short hash in Kubernetes' "safe" alphabet, like pod-template-hash values ("5d8f7b9c6"). */
export function safeHash(value: unknown): string {
  let n = fnv1a(stableStringify(value));
  let out = '';
  do {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    n = Math.floor(n / SAFE_ALPHABET.length);
  } while (n > 0);
  return out;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Swallows a 404 (the object went away meanwhile, which is normal for controllers). */
export function ignoreNotFound<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Writes a pod's status subresource, as the kubelet and the scheduler do; a pod gone meanwhile is fine. */
export function mutatePodStatus(
  store: Store,
  namespace: string | undefined,
  name: string,
  fn: (pod: KObject) => void,
): void {
  ignoreNotFound(() => store.mutate(PODS, namespace, name, fn, { subresource: 'status' }));
}

export function sameJson(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}
