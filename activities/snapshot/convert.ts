// Kubernetes objects → the plain snapshot the domain evaluates. Quantities become numbers here,
// so domain code never parses "128Mi" or "250m".
//
// Only what the domain reads survives the conversion: this shape is what the watch cache keeps
// per object and what crosses into workflow history every tick (~1 KB per pod before, when
// annotations, transition times and node names came along; see docs/architecture.md). Annotations
// are cut to the operator's own `kubeskippy.io/` keys — the protection check reads
// `kubeskippy.io/protected` — and Argo CD's tracking id, which domain/gitops.ts reads.
import type {
  CoreV1Event,
  V1Container,
  V1ContainerStatus,
  V1LabelSelector,
  V1OwnerReference,
  V1Pod,
} from '@kubernetes/client-node';
import type { LabelSelector } from '../../crds/common.js';
import type {
  ContainerSnapshot,
  EventSnapshot,
  ObjectRef,
  PdbSnapshot,
  PodPhase,
  PodSnapshot,
  WorkloadSnapshot,
} from '../../domain/snapshot.js';
import { ARGO_TRACKING_ANNOTATION } from '../../domain/gitops.js';
import { bytes, millicores } from '../kube/quantity.js';

const ms = (t: Date | string | undefined): number | undefined => (t ? new Date(t).getTime() : undefined);

const OWN_ANNOTATION = /^kubeskippy\.io\//;
const KEPT_ANNOTATIONS = new Set([ARGO_TRACKING_ANNOTATION]);

/** The operator's own annotations and Argo CD's tracking id only; undefined when there are none. */
export function ownAnnotations(all: Record<string, string> | undefined): Record<string, string> | undefined {
  const kept = Object.entries(all ?? {}).filter(([k]) => OWN_ANNOTATION.test(k) || KEPT_ANNOTATIONS.has(k));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

function containerSnapshot(spec: V1Container, status: V1ContainerStatus | undefined): ContainerSnapshot {
  const state = status?.state;
  const limits = (spec.resources?.limits ?? {}) as Record<string, string>;
  const requests = (spec.resources?.requests ?? {}) as Record<string, string>;
  const out: ContainerSnapshot = {
    name: spec.name,
    ready: status?.ready ?? false,
    restartCount: status?.restartCount ?? 0,
    state: state?.running ? 'running' : state?.terminated ? 'terminated' : 'waiting',
  };
  const reason = state?.waiting?.reason ?? state?.terminated?.reason;
  if (reason) out.stateReason = reason;
  const last = status?.lastState?.terminated?.reason;
  if (last) out.lastTerminationReason = last;
  // A request is only read when there is no limit (usage percent falls back to it): keep it then only.
  const memoryLimit = bytes(limits.memory);
  const cpuLimit = millicores(limits.cpu);
  const fields: [keyof ContainerSnapshot, number | undefined][] = [
    ['memoryLimitBytes', memoryLimit],
    ['memoryRequestBytes', memoryLimit === undefined ? bytes(requests.memory) : undefined],
    ['cpuLimitMillicores', cpuLimit],
    ['cpuRequestMillicores', cpuLimit === undefined ? millicores(requests.cpu) : undefined],
  ];
  for (const [key, value] of fields)
    if (value !== undefined) (out as unknown as Record<string, number>)[key] = value;
  return out;
}

export function podSnapshot(pod: V1Pod, owner: ObjectRef | undefined): PodSnapshot {
  const md = pod.metadata ?? {};
  const conditions = (pod.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status as 'True' | 'False' | 'Unknown',
  }));
  const statuses = pod.status?.containerStatuses ?? [];
  const snap: PodSnapshot = {
    ref: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: md.namespace ?? '',
      name: md.name ?? '',
      uid: md.uid ?? '',
    },
    labels: md.labels ?? {},
    phase: (pod.status?.phase ?? 'Unknown') as PodPhase,
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    deleting: Boolean(md.deletionTimestamp),
    conditions,
    containers: (pod.spec?.containers ?? []).map((c) =>
      containerSnapshot(
        c,
        statuses.find((s) => s.name === c.name),
      ),
    ),
  };
  const annotations = ownAnnotations(md.annotations);
  if (annotations) snap.annotations = annotations;
  const created = ms(md.creationTimestamp);
  if (created !== undefined) snap.createdAtMs = created;
  if (owner) snap.owner = owner;
  return snap;
}

export function eventSnapshot(e: CoreV1Event): EventSnapshot | undefined {
  const when =
    ms(e.lastTimestamp) ??
    ms(e.series?.lastObservedTime) ??
    ms(e.eventTime) ??
    ms(e.firstTimestamp) ??
    undefined;
  if (when === undefined) return undefined;
  const io = e.involvedObject;
  return {
    involvedObject: {
      kind: io.kind ?? '',
      namespace: io.namespace ?? e.metadata?.namespace ?? '',
      name: io.name ?? '',
      ...(io.uid ? { uid: io.uid } : {}),
    },
    reason: e.reason ?? '',
    type: e.type ?? 'Normal',
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
    lastTimestampMs: when,
  };
}

/** The metadata every converter reads. */
export interface Meta {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: V1OwnerReference[];
  };
}

/** The controlling owner reference, kept as an ObjectRef (owner resolution happens per snapshot). */
export function controllerRef(o: Meta): ObjectRef | undefined {
  const ctl = o.metadata?.ownerReferences?.find((r) => r.controller);
  if (!ctl) return undefined;
  const namespace = o.metadata?.namespace ?? '';
  return { apiVersion: ctl.apiVersion, kind: ctl.kind, namespace, name: ctl.name, uid: ctl.uid };
}

export interface WorkloadObject extends Meta {
  spec?: { replicas?: number };
  status?: {
    readyReplicas?: number;
    availableReplicas?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
  };
}

/** A Deployment, ReplicaSet, StatefulSet or DaemonSet as the domain sees it (hpaManaged is added per snapshot). */
export function workloadSnapshot(apiVersion: string, kind: string, o: WorkloadObject): WorkloadSnapshot {
  const md = o.metadata ?? {};
  const annotations = ownAnnotations(md.annotations);
  return {
    ref: { apiVersion, kind, namespace: md.namespace ?? '', name: md.name ?? '', uid: md.uid ?? '' },
    labels: md.labels ?? {},
    ...(annotations ? { annotations } : {}),
    replicas: o.spec?.replicas ?? o.status?.desiredNumberScheduled ?? 1,
    readyReplicas: o.status?.readyReplicas ?? o.status?.numberReady ?? 0,
    availableReplicas: o.status?.availableReplicas ?? o.status?.numberAvailable ?? 0,
  };
}

export function pdbSnapshot(p: {
  metadata?: { name?: string; namespace?: string };
  spec?: { selector?: V1LabelSelector };
  status?: { disruptionsAllowed?: number };
}): PdbSnapshot {
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    selector: (p.spec?.selector ?? {}) as LabelSelector,
    disruptionsAllowed: p.status?.disruptionsAllowed ?? 0,
  };
}
