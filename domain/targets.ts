// Which pods a policy evaluates, and which object an action acts on.
//
//   trigger fires on a pod ──▶ action resolves its target:
//     restart evict|delete, delete, patch target=self  → the pod itself
//     restart rollout, scale, patch target=owner       → the pod's owning workload
//
// The "subject" is the application a target belongs to: the owning workload when the pod has one,
// else the object itself. Escalation ladders, failure streaks and holds are kept per subject, because
// a restarted pod is replaced by a new pod with a new name, and "restarting pods of this Deployment
// does not heal it" is a fact about the Deployment.

import type { LabelSelector } from '../crds/common.js';
import { actsOnOwner, ownerKindsOf } from './action-types.js';
import { CONTAINER_STATES } from './conditions.js';
import { targetKey } from './ids.js';
import type { PlannedAction } from './plan-types.js';
import type { NormalizedAction, NormalizedPolicy, NormalizedTrigger } from './policy-types.js';
import { BUILTIN_QUERIES } from '../crds/builtin-metrics.js';
import { matchesLabelSelector, matchesResourceFilter } from './selector.js';
import type { ClusterSnapshot, ObjectRef, PodSnapshot, WorkloadSnapshot } from './snapshot.js';
import { wakeOnOf, type WakeOn } from './wake.js';

export { BUILTIN_QUERIES } from '../crds/builtin-metrics.js';

export function isBuiltinQuery(query: string): boolean {
  return (BUILTIN_QUERIES as readonly string[]).includes(query);
}

export function refKey(ref: ObjectRef): string {
  return targetKey(ref);
}

/** What the collectSnapshot activity needs to gather for one policy. */
export interface SnapshotRequest {
  namespaces: string[];
  labelSelector?: LabelSelector;
  /** Kinds the policy selects; workload kinds select pods through their owners. */
  kinds: string[];
  /** Read metrics.k8s.io (some trigger uses a usage built-in). */
  needUsage: boolean;
  /** PromQL queries to run, joined to pods by namespace/pod labels. */
  promQueries: string[];
  /** Events newer than observedAt minus this are enough (the longest event window). */
  eventLookbackMs: number;
  /**
   * Pod conditions the triggers name (Ready, ContainersReady, ...); only these are collected, as
   * the snapshot crosses into history every tick. Absent (requests recorded before): all of them.
   */
  conditionTypes?: string[];
  /**
   * Policy requests only: which changes should wake the policy early (domain/wake.ts). The worker
   * learns its policies from these requests; absent when only metric triggers (they keep the tick).
   */
  wakeOn?: WakeOn;
  /**
   * With needUsage: how old a metrics.k8s.io answer shared between policies may be (half the
   * policy's interval, at most 5 s; 1 s for an action's own reads). Absent: the cache's window.
   */
  usageMaxAgeMs?: number;
  /**
   * An action's safety check: also read the namespace's Services, EndpointSlices and HPA bounds,
   * for the blast radius (domain/blast-radius.ts). Never on a policy tick: 1,000 policies would
   * read them every interval for nothing.
   */
  blastRadius?: boolean;
}

/** What these triggers need read: usage, PromQL values, events far enough back. */
function needsOf(
  triggers: NormalizedTrigger[],
): Pick<SnapshotRequest, 'needUsage' | 'promQueries' | 'eventLookbackMs' | 'conditionTypes'> {
  const metrics = triggers.flatMap((t) => (t.type === 'metric' ? [t.query] : []));
  const eventWindows = triggers.flatMap((t) => (t.type === 'event' ? [t.windowMs] : []));
  return {
    needUsage: metrics.some((q) => q !== 'restart_count' && isBuiltinQuery(q)),
    promQueries: [...new Set(metrics.filter((q) => !isBuiltinQuery(q)))],
    eventLookbackMs: Math.max(0, ...eventWindows),
    conditionTypes: [
      ...new Set(
        triggers.flatMap((t) =>
          t.type === 'condition' && !CONTAINER_STATES.includes(t.conditionType) ? [t.conditionType] : [],
        ),
      ),
    ],
  };
}

const wakeOnIf = (wakeOn: WakeOn | undefined): { wakeOn?: WakeOn } => (wakeOn ? { wakeOn } : {});

/** What a policy's evaluation reads: its selector's scope, with what its triggers need. */
export function snapshotRequest(policy: NormalizedPolicy): SnapshotRequest {
  return {
    namespaces: [...policy.selector.namespaces],
    ...(policy.selector.labelSelector ? { labelSelector: policy.selector.labelSelector } : {}),
    kinds: [...new Set(policy.selector.resources.map((r) => r.kind))],
    ...withUsageAge(needsOf(policy.triggers), Math.min(5000, policy.evaluationIntervalMs / 2)),
    ...wakeOnIf(wakeOnOf(policy.triggers, policy.evaluationIntervalMs)),
  };
}

function withUsageAge<T extends { needUsage: boolean }>(
  needs: T,
  maxAgeMs: number,
): T & { usageMaxAgeMs?: number } {
  return needs.needUsage ? { ...needs, usageMaxAgeMs: maxAgeMs } : needs;
}

/** What a healing action reads to check safety and verify: the target's namespace, with what its trigger needs. */
export function actionSnapshotRequest(
  planned: Pick<PlannedAction, 'target' | 'triggerSpec'>,
): SnapshotRequest {
  // Safety and verification judge the pod as it is now: at most a second-old shared metrics answer.
  return {
    namespaces: [planned.target.namespace],
    kinds: ['Pod'],
    ...withUsageAge(needsOf([planned.triggerSpec]), 1000),
  };
}

/** What an action's safety check reads: the action's reads, with what its blast radius counts. */
export function safetySnapshotRequest(
  planned: Pick<PlannedAction, 'target' | 'triggerSpec'>,
): SnapshotRequest {
  return { ...actionSnapshotRequest(planned), blastRadius: true };
}

export function findWorkload(
  snapshot: ClusterSnapshot,
  ref: ObjectRef | undefined,
): WorkloadSnapshot | undefined {
  if (!ref) return undefined;
  const key = refKey(ref);
  // The uid must agree when both sides know it: a recreated Deployment with the same name is new.
  return snapshot.workloads.find(
    (w) => refKey(w.ref) === key && (!w.ref.uid || !ref.uid || w.ref.uid === ref.uid),
  );
}

/**
 * The pods the policy evaluates: in a selected namespace, not terminating, and selected either as a
 * Pod (pod labels match) or through a selected workload kind (the owner's labels match).
 * Sorted by key so every evaluation walks them in the same order.
 */
export function selectTargets(policy: NormalizedPolicy, snapshot: ClusterSnapshot): PodSnapshot[] {
  return selectKeyedTargets(policy, snapshot).map((t) => t.pod);
}

/** selectTargets with each pod's key (refKey), computed once. */
export function selectKeyedTargets(
  policy: NormalizedPolicy,
  snapshot: ClusterSnapshot,
): { pod: PodSnapshot; key: string }[] {
  const { namespaces, labelSelector, resources } = policy.selector;
  const selected: { pod: PodSnapshot; key: string }[] = [];
  for (const pod of snapshot.pods) {
    if (pod.deleting || !namespaces.includes(pod.ref.namespace)) continue;
    if (
      !(matchesResourceFilter(resources, pod.ref) && matchesLabelSelector(labelSelector, pod.labels)) &&
      !ownerSelected(policy, snapshot, pod)
    )
      continue;
    selected.push({ pod, key: refKey(pod.ref) });
  }
  // Stable, like the comparator on refKey it replaces: equal keys keep snapshot order.
  return selected.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function ownerSelected(policy: NormalizedPolicy, snapshot: ClusterSnapshot, pod: PodSnapshot): boolean {
  const { labelSelector, resources } = policy.selector;
  const owner = findWorkload(snapshot, pod.owner);
  return (
    owner !== undefined &&
    matchesResourceFilter(resources, owner.ref) &&
    matchesLabelSelector(labelSelector, owner.labels)
  );
}

/** The application a pod belongs to: its owner's key, else its own. */
export function subjectKeyOf(pod: PodSnapshot): string {
  return refKey(pod.owner ?? pod.ref);
}

export type ResolvedTarget =
  | { ok: true; ref: ObjectRef; onOwner: boolean; workload?: WorkloadSnapshot }
  | { ok: false; reason: 'NoOwner' | 'UnsupportedTarget'; message: string };

/** The object `action` changes when it answers a trigger that fired on `pod`. */
export function resolveTarget(
  action: NormalizedAction,
  pod: PodSnapshot,
  snapshot: ClusterSnapshot,
): ResolvedTarget {
  const podName = `pod ${pod.ref.namespace}/${pod.ref.name}`;
  if (!actsOnOwner(action)) {
    // Restarting a bare pod deletes it for good: nothing recreates it. An explicit `delete` action
    // is the author's call and is allowed.
    if (action.type === 'restart' && !pod.owner) {
      return {
        ok: false,
        reason: 'NoOwner',
        message: `${podName} has no owner, so a restart would not recreate it`,
      };
    }
    return { ok: true, ref: pod.ref, onOwner: false };
  }
  if (!pod.owner)
    return { ok: false, reason: 'NoOwner', message: `${podName} has no owning workload to ${action.type}` };
  const workload = findWorkload(snapshot, pod.owner);
  if (!workload) {
    return {
      ok: false,
      reason: 'NoOwner',
      message: `owner ${pod.owner.kind} ${pod.owner.name} of ${podName} is not in the snapshot`,
    };
  }
  const kinds = ownerKindsOf(action);
  if (kinds && !kinds.includes(workload.ref.kind)) {
    return {
      ok: false,
      reason: 'UnsupportedTarget',
      message: `${action.type} of a ${workload.ref.kind} is not supported (${kinds.join(', ')} are)`,
    };
  }
  return { ok: true, ref: workload.ref, onOwner: true, workload };
}
