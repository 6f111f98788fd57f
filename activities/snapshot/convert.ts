// Kubernetes objects → the plain snapshot the domain evaluates. Quantities become numbers here,
// so domain code never parses "128Mi" or "250m".
import type { CoreV1Event, V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type {
  ContainerSnapshot,
  EventSnapshot,
  ObjectRef,
  PodPhase,
  PodSnapshot,
} from '../../domain/snapshot.js';
import { bytes, millicores } from '../kube/quantity.js';

const ms = (t: Date | string | undefined): number | undefined => (t ? new Date(t).getTime() : undefined);

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
  const fields: [keyof ContainerSnapshot, number | undefined][] = [
    ['memoryLimitBytes', bytes(limits.memory)],
    ['memoryRequestBytes', bytes(requests.memory)],
    ['cpuLimitMillicores', millicores(limits.cpu)],
    ['cpuRequestMillicores', millicores(requests.cpu)],
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
    ...(c.lastTransitionTime ? { lastTransitionTimeMs: ms(c.lastTransitionTime)! } : {}),
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
    annotations: md.annotations ?? {},
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
  const created = ms(md.creationTimestamp);
  if (created !== undefined) snap.createdAtMs = created;
  if (pod.spec?.nodeName) snap.nodeName = pod.spec.nodeName;
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
