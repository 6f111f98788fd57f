// Safety rules that depend on the objects involved: protection and blast radius.
// The same functions serve the planner (on the snapshot) and the healing-action workflow's live
// safety check (on freshly read objects), so both refuse for the same reasons.

import type { NormalizedAction, NormalizedSafety } from './policy-types.js';
import { matchesLabelSelector, protectionOf, type ProtectableObject } from './selector.js';
import type { ClusterSnapshot, ObjectRef, PodSnapshot, WorkloadSnapshot } from './snapshot.js';
import { findWorkload, refKey } from './targets.js';
import { readyLossOf } from './action-types.js';

export type SafetyVerdict =
  | { ok: true }
  | { ok: false; reason: 'Protected' | 'MinReadyReplicas' | 'DisruptionBudget'; message: string };

const OK: SafetyVerdict = { ok: true };

function protectable(
  ref: ObjectRef,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
): ProtectableObject {
  // Only read by protectionOf, so the fields it reads (no spread of the ref: thousands of fires).
  const { apiVersion, kind, namespace, name } = ref;
  const obj: ProtectableObject = { apiVersion, kind, namespace, name };
  if (meta.labels) obj.labels = meta.labels;
  if (meta.annotations) obj.annotations = meta.annotations;
  return obj;
}

/**
 * Refuses when any object in the chain is protected: the pod that fired, the object acted on, and
 * the pod's owning workload. Protecting a Deployment protects its pods, and a protected pod is never
 * reached "through" its owner either — both are what a person marking something protected means.
 */
export function checkProtection(
  safety: Pick<NormalizedSafety, 'protectedNamespaces' | 'protectedResources'>,
  chain: { pod: PodSnapshot; owner?: WorkloadSnapshot; target?: ProtectableObject },
): SafetyVerdict {
  const objects: ProtectableObject[] = [protectable(chain.pod.ref, chain.pod)];
  if (chain.owner) objects.push(protectable(chain.owner.ref, chain.owner));
  if (chain.target) objects.push(chain.target);
  for (const obj of objects) {
    const verdict = protectionOf(obj, safety);
    if (verdict.protected) return { ok: false, reason: 'Protected', message: verdict.why };
  }
  return OK;
}

/** minReadyReplicas as a count: an integer, or a percentage of desired replicas rounded up. */
export function minReadyCount(minReadyReplicas: number | string, desiredReplicas: number): number {
  if (typeof minReadyReplicas === 'number') return minReadyReplicas;
  const percent = Number.parseInt(minReadyReplicas, 10);
  if (!Number.isFinite(percent)) return desiredReplicas; // unreadable: keep everything (validated earlier)
  return Math.ceil((percent * desiredReplicas) / 100);
}

/** Ready and desired replicas of the pod's application: its workload, or the pod alone. */
export function readiness(
  pod: PodSnapshot,
  snapshot: ClusterSnapshot,
): { ready: number; desired: number; what: string } {
  const workload = findWorkload(snapshot, pod.owner);
  if (workload) {
    return {
      ready: workload.readyReplicas,
      desired: workload.replicas,
      what: `${workload.ref.kind} ${workload.ref.name}`,
    };
  }
  if (pod.owner) {
    // Owner not collected: count its pods in the snapshot.
    const ownerKey = refKey(pod.owner);
    const siblings = snapshot.pods.filter((p) => p.owner && refKey(p.owner) === ownerKey && !p.deleting);
    return {
      ready: siblings.filter((p) => p.ready).length,
      desired: siblings.length,
      what: `${pod.owner.kind} ${pod.owner.name}`,
    };
  }
  return { ready: pod.ready ? 1 : 0, desired: 1, what: `pod ${pod.ref.name}` };
}

/**
 * How many ready replicas the action takes away: a pod restart or delete takes away the pod if it
 * is ready (removing a pod that is not ready costs no capacity — that is how a crash-looping single
 * replica can still be restarted); a scale down takes away the removed replicas. A rollout restart
 * or a template patch is paced by the workload's own rollout strategy (maxUnavailable), so it is not
 * counted here — counting it would forbid the safest restart of a single-replica Deployment.
 */
export function readyLoss(
  action: NormalizedAction,
  pod: PodSnapshot,
  scale?: { from: number; to: number },
): number {
  return readyLossOf(action, pod.ready, scale);
}

export function checkMinReady(
  safety: Pick<NormalizedSafety, 'minReadyReplicas'>,
  input: {
    action: NormalizedAction;
    pod: PodSnapshot;
    snapshot: ClusterSnapshot;
    scale?: { from: number; to: number };
    /** Replicas that open actions on the same workload may be taking down right now. */
    inFlight?: number;
  },
): SafetyVerdict {
  const loss = readyLoss(input.action, input.pod, input.scale);
  if (loss === 0) return OK;
  const { ready, desired, what } = readiness(input.pod, input.snapshot);
  const min = minReadyCount(safety.minReadyReplicas, desired);
  const inFlight = input.inFlight ?? 0;
  const left = ready - inFlight - loss;
  if (left >= min) return OK;
  const busy = inFlight > 0 ? ` (${inFlight} more being restarted)` : '';
  if (left < 0)
    // Nothing ready is left to take down (open actions take the rest, or the workload's status
    // counts fewer ready replicas than its pods say): no count to compare, say that.
    return {
      ok: false,
      reason: 'MinReadyReplicas',
      message: `${what} has ${ready} ready of ${desired} replicas${busy}: none is left for ${input.action.type} to take down`,
    };
  return {
    ok: false,
    reason: 'MinReadyReplicas',
    message:
      `${what} has ${ready} ready of ${desired} replicas${busy}; ${input.action.type} would leave ${left}, ` +
      `below minReadyReplicas ${min}${typeof safety.minReadyReplicas === 'string' ? ` (${safety.minReadyReplicas})` : ''}`,
  };
}

/**
 * A ready pod covered by a PodDisruptionBudget that allows no disruption is not taken down. The
 * Eviction API enforces this for evictions; checking it here also covers deletes and avoids
 * spending budget on an eviction the API server would refuse. Not-ready pods are exempt, as with
 * the API's unhealthy-pod eviction policy.
 */
export function checkDisruptionBudget(input: {
  action: NormalizedAction;
  pod: PodSnapshot;
  snapshot: ClusterSnapshot;
}): SafetyVerdict {
  if (readyLoss(input.action, input.pod) === 0 || input.action.type === 'scale') return OK;
  const blocking = (input.snapshot.pdbs ?? []).find(
    (pdb) =>
      pdb.namespace === input.pod.ref.namespace &&
      pdb.disruptionsAllowed < 1 &&
      // policy/v1: an empty selector selects every pod in the namespace, as matchesLabelSelector does.
      matchesLabelSelector(pdb.selector, input.pod.labels),
  );
  if (!blocking) return OK;
  return {
    ok: false,
    reason: 'DisruptionBudget',
    message: `PodDisruptionBudget ${blocking.name} allows ${blocking.disruptionsAllowed} disruptions; pod ${input.pod.ref.name} is ready`,
  };
}
