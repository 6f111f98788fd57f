// What an action takes out of service, from the snapshot its safety check reads: ready replicas
// of the workload before and after, the PodDisruptionBudgets over the affected pods, each selecting
// Service's ready endpoints before and after, and the workload's HPA bounds. Pure: the workflow
// records it (HealingAction status.blastRadius), shows it in the approval request and the
// notifications, and checkMaxUnavailable refuses an action that would take too much of a Service.
//
//   pod action (restart evict|delete, delete) ─▶ removes the firing pod, if it is ready
//   scale down                                ─▶ removes up to from−to ready pods of the workload
//   anything else (rollout, patch, scale up)  ─▶ removes nothing at once
import type { BlastRadiusRecord } from '../crds/action-blast-radius.js';
import { readyLossOf } from './action-types.js';
import type { PlannedAction } from './plan-types.js';
import { readiness } from './safety.js';
import { matchesLabelSelector } from './selector.js';
import type { ClusterSnapshot, PodSnapshot, WorkloadSnapshot } from './snapshot.js';
import { findWorkload, refKey } from './targets.js';

export type BlastRadius = BlastRadiusRecord;
type Planned = Pick<PlannedAction, 'action' | 'target' | 'onOwner' | 'firingPod' | 'scale'>;

/** The pods the action is about, and how many of their ready ones it takes out at once. */
interface Affected {
  pods: PodSnapshot[];
  loss: number;
  /** The firing pod when the action removes it (a pod action): exactly this one goes. */
  removedPod?: PodSnapshot;
  workload?: WorkloadSnapshot;
}

function affected(planned: Planned, snapshot: ClusterSnapshot): Affected {
  const firingKey = refKey(planned.firingPod);
  const pod = snapshot.pods.find((p) => refKey(p.ref) === firingKey && !p.deleting);
  const workload = planned.onOwner
    ? findWorkload(snapshot, { ...planned.target, uid: '' })
    : findWorkload(snapshot, pod?.owner);
  const loss = readyLossOf(planned.action, pod?.ready ?? false, planned.scale);
  if (!planned.onOwner) {
    const pods = pod ? [pod] : [];
    return { pods, loss, ...(pod && loss > 0 ? { removedPod: pod } : {}), ...(workload ? { workload } : {}) };
  }
  const ownerKey = workload ? refKey(workload.ref) : refKey(planned.target);
  const pods = snapshot.pods.filter((p) => !p.deleting && p.owner && refKey(p.owner) === ownerKey);
  return { pods, loss, ...(workload ? { workload } : {}) };
}

/** Distinct endpoint keys of a Service's slices: ready ones, and all of them. */
function endpointsOf(
  snapshot: ClusterSnapshot,
  namespace: string,
  service: string,
): { ready: Set<string>; all: Set<string> } {
  const ready = new Set<string>();
  const all = new Set<string>();
  for (const s of snapshot.endpointSlices ?? []) {
    if (s.namespace !== namespace || s.service !== service) continue;
    for (const k of s.ready) ready.add(k);
    for (const k of [...s.ready, ...s.notReady]) all.add(k);
  }
  // An endpoint ready in one slice and not in another (a pod mid-transition) counts as ready, once.
  return { ready, all };
}

function servicesOf(a: Affected, snapshot: ClusterSnapshot, namespace: string): BlastRadius['services'] {
  if (!snapshot.services) return undefined;
  const uids = new Set(a.pods.map((p) => p.ref.uid));
  return snapshot.services
    .filter(
      (s) =>
        s.namespace === namespace &&
        a.pods.some((p) => matchesLabelSelector({ matchLabels: s.selector }, p.labels)),
    )
    .map((s) => {
      const { ready, all } = endpointsOf(snapshot, namespace, s.name);
      // A pod action removes exactly the firing pod; a scale-down removes up to `loss` of the
      // workload's ready pods, which the ReplicaSet picks (so, at worst, ones this Service uses).
      const mine = [...ready].filter((k) => uids.has(k)).length;
      const removed = a.removedPod ? (ready.has(a.removedPod.ref.uid) ? 1 : 0) : Math.min(a.loss, mine);
      return { name: s.name, endpoints: all.size, readyBefore: ready.size, readyAfter: ready.size - removed };
    })
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

function workloadOf(a: Affected, snapshot: ClusterSnapshot): BlastRadius['workload'] {
  if (a.workload) {
    const w = a.workload;
    const { kind, name } = w.ref;
    const after = Math.max(0, w.readyReplicas - a.loss);
    return { kind, name, desiredReplicas: w.replicas, readyBefore: w.readyReplicas, readyAfter: after };
  }
  const pod = a.pods[0];
  if (!pod?.owner) return undefined;
  // Owner not collected: count its pods in the snapshot, as the minimum-ready rule does.
  const r = readiness(pod, snapshot);
  const { kind, name } = pod.owner;
  return {
    kind,
    name,
    desiredReplicas: r.desired,
    readyBefore: r.ready,
    readyAfter: Math.max(0, r.ready - a.loss),
  };
}

function summaryOf(b: Omit<BlastRadius, 'summary' | 'observedAt'>, what: string): string {
  const parts: string[] = [];
  const w = b.workload;
  parts.push(
    w
      ? `${what} takes ${b.podsRemoved} ready pod${b.podsRemoved === 1 ? '' : 's'} out of service: ${w.kind} ${w.name} ${w.readyBefore} → ${w.readyAfter} ready of ${w.desiredReplicas}`
      : `${what} takes ${b.podsRemoved} ready pod${b.podsRemoved === 1 ? '' : 's'} out of service`,
  );
  for (const s of b.services ?? [])
    parts.push(`Service ${s.name} ${s.readyBefore} → ${s.readyAfter} ready endpoints of ${s.endpoints}`);
  for (const p of b.pdbs ?? []) parts.push(`PDB ${p.name} allows ${p.disruptionsAllowed} disruptions`);
  if (b.hpa)
    parts.push(
      `HPA ${b.hpa.name} ${b.hpa.minReplicas}..${b.hpa.maxReplicas} replicas${b.hpa.revertsScale ? ' (would undo the scale)' : ''}`,
    );
  return parts.join('; ');
}

/** The blast radius of `planned` on this snapshot; `observedAt` is the snapshot's read time. */
export function blastRadiusOf(planned: Planned, snapshot: ClusterSnapshot): BlastRadius {
  const a = affected(planned, snapshot);
  const namespace = planned.target.namespace;
  const workload = workloadOf(a, snapshot);
  const pdbs = (snapshot.pdbs ?? [])
    .filter(
      (p) => p.namespace === namespace && a.pods.some((pod) => matchesLabelSelector(p.selector, pod.labels)),
    )
    .map((p) => ({ name: p.name, disruptionsAllowed: p.disruptionsAllowed }));
  const services = servicesOf(a, snapshot, namespace);
  const hpa = a.workload
    ? (snapshot.hpas ?? []).find(
        (h) => h.namespace === namespace && h.target === `${a.workload!.ref.kind}/${a.workload!.ref.name}`,
      )
    : undefined;
  const body: Omit<BlastRadius, 'summary' | 'observedAt'> = {
    podsRemoved: a.loss,
    ...(workload ? { workload } : {}),
    ...(pdbs.length ? { pdbs } : {}),
    ...(services ? { services } : {}),
    ...(hpa
      ? {
          hpa: {
            name: hpa.name,
            minReplicas: hpa.minReplicas,
            maxReplicas: hpa.maxReplicas,
            revertsScale: planned.action.type === 'scale',
          },
        }
      : {}),
  };
  return {
    observedAt: new Date(snapshot.observedAtMs).toISOString(),
    summary: summaryOf(body, planned.action.type),
    ...body,
  };
}

/**
 * An int-or-percent against a total, as Kubernetes' GetScaledValueFromIntOrPercent does for a
 * PodDisruptionBudget's maxUnavailable: a count as is, a percentage of `total` rounded up.
 */
export function scaledIntOrPercent(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const percent = Number.parseInt(value, 10);
  // Unreadable (the schema refuses it): allow nothing rather than guess.
  if (!Number.isFinite(percent)) return 0;
  return Math.ceil((percent * total) / 100);
}

export type MaxUnavailableVerdict = { ok: true } | { ok: false; reason: 'MaxUnavailable'; message: string };

/** Refuses when the action takes more than maxUnavailable endpoints out of any selecting Service. */
export function checkMaxUnavailable(
  maxUnavailable: number | string | undefined,
  blast: Pick<BlastRadius, 'services'>,
  what: string,
): MaxUnavailableVerdict {
  if (maxUnavailable === undefined) return { ok: true };
  for (const s of blast.services ?? []) {
    const removed = s.readyBefore - s.readyAfter;
    const allowed = scaledIntOrPercent(maxUnavailable, s.readyBefore);
    if (removed <= allowed) continue;
    const of =
      typeof maxUnavailable === 'string' ? ` (${maxUnavailable} of ${s.readyBefore}, rounded up)` : '';
    return {
      ok: false,
      reason: 'MaxUnavailable',
      message:
        `${what} would take ${removed} of the ${s.readyBefore} ready endpoints of Service ${s.name} out of service ` +
        `(${s.readyBefore} → ${s.readyAfter}); safetyRules.maxUnavailable ${maxUnavailable} allows ${allowed}${of}`,
    };
  }
  return { ok: true };
}
