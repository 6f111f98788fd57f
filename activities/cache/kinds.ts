// The resource kinds a snapshot reads, once each: how to list them (cluster-wide for the watch
// cache, per namespace for direct reads), where to watch them, and the conversion to the compact
// form that is stored and handed to collect.ts. The same converters serve both paths, so a snapshot
// read from the cache and one listed directly are the same JSON.
import type { V1EndpointSlice, V1HorizontalPodAutoscaler, V1Pod, V1Service } from '@kubernetes/client-node';
import type {
  EndpointSliceSnapshot,
  EventSnapshot,
  HpaSnapshot,
  ObjectRef,
  PdbSnapshot,
  PodSnapshot,
  ServiceSnapshot,
  WorkloadSnapshot,
} from '../../domain/snapshot.js';
import type { Kube } from '../kube/clients.js';
import {
  controllerRef,
  eventSnapshot,
  pdbSnapshot,
  podSnapshot,
  workloadSnapshot,
  type WorkloadObject,
} from '../snapshot/convert.js';
import { endpointSliceSnapshot, hpaSnapshot, serviceSnapshot } from '../snapshot/convert-network.js';

/** A pod without its resolved owner: the controller reference is kept and resolved per snapshot. */
export interface CachedPod {
  pod: PodSnapshot;
  controller?: ObjectRef;
}
export interface CachedWorkload {
  workload: WorkloadSnapshot;
  /** A ReplicaSet's Deployment. */
  controller?: ObjectRef;
}
/** An HPA: its target ("<kind>/<name>") marks HPA-managed workloads; its bounds feed the blast radius. */
export type CachedHpa = HpaSnapshot;

export interface KindValues {
  pods: CachedPod;
  replicasets: CachedWorkload;
  deployments: CachedWorkload;
  statefulsets: CachedWorkload;
  daemonsets: CachedWorkload;
  hpas: CachedHpa;
  events: EventSnapshot;
  pdbs: PdbSnapshot;
  services: ServiceSnapshot;
  endpointslices: EndpointSliceSnapshot;
}
export type KindName = keyof KindValues;

export interface ListResult {
  items: unknown[];
  metadata?: { resourceVersion?: string };
}

export interface KindSpec<K extends KindName = KindName> {
  kind: K;
  /** The cluster-wide collection path, for the watch. */
  path: string;
  fieldSelector?: string;
  /** A pod or event list that fails fails the snapshot; the others may be absent (404 → none). */
  required: boolean;
  listAll(kube: Kube): Promise<ListResult>;
  listIn(kube: Kube, namespace: string, labelSelector?: string): Promise<ListResult>;
  convert(o: unknown): KindValues[K] | undefined;
}

export const POD_EVENTS = 'involvedObject.kind=Pod';

const workload =
  (apiVersion: string, kind: string) =>
  (o: unknown): CachedWorkload => {
    const w = o as WorkloadObject;
    const controller = controllerRef(w);
    return { workload: workloadSnapshot(apiVersion, kind, w), ...(controller ? { controller } : {}) };
  };

export const KINDS: { [K in KindName]: KindSpec<K> } = {
  pods: {
    kind: 'pods',
    path: '/api/v1/pods',
    required: true,
    listAll: (kube) => kube.core.listPodForAllNamespaces({}),
    listIn: (kube, namespace, labelSelector) =>
      kube.core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
    convert: (o) => {
      const controller = controllerRef(o as V1Pod);
      return { pod: podSnapshot(o as V1Pod, undefined), ...(controller ? { controller } : {}) };
    },
  },
  replicasets: {
    kind: 'replicasets',
    path: '/apis/apps/v1/replicasets',
    required: false,
    listAll: (kube) => kube.apps.listReplicaSetForAllNamespaces({}),
    listIn: (kube, namespace) => kube.apps.listNamespacedReplicaSet({ namespace }),
    convert: workload('apps/v1', 'ReplicaSet'),
  },
  deployments: {
    kind: 'deployments',
    path: '/apis/apps/v1/deployments',
    required: false,
    listAll: (kube) => kube.apps.listDeploymentForAllNamespaces({}),
    listIn: (kube, namespace) => kube.apps.listNamespacedDeployment({ namespace }),
    convert: workload('apps/v1', 'Deployment'),
  },
  statefulsets: {
    kind: 'statefulsets',
    path: '/apis/apps/v1/statefulsets',
    required: false,
    listAll: (kube) => kube.apps.listStatefulSetForAllNamespaces({}),
    listIn: (kube, namespace) => kube.apps.listNamespacedStatefulSet({ namespace }),
    convert: workload('apps/v1', 'StatefulSet'),
  },
  daemonsets: {
    kind: 'daemonsets',
    path: '/apis/apps/v1/daemonsets',
    required: false,
    listAll: (kube) => kube.apps.listDaemonSetForAllNamespaces({}),
    listIn: (kube, namespace) => kube.apps.listNamespacedDaemonSet({ namespace }),
    convert: workload('apps/v1', 'DaemonSet'),
  },
  hpas: {
    kind: 'hpas',
    path: '/apis/autoscaling/v2/horizontalpodautoscalers',
    required: false,
    listAll: (kube) => kube.autoscaling.listHorizontalPodAutoscalerForAllNamespaces({}),
    listIn: (kube, namespace) => kube.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
    convert: (o) => hpaSnapshot(o as V1HorizontalPodAutoscaler),
  },
  events: {
    kind: 'events',
    path: '/api/v1/events',
    fieldSelector: POD_EVENTS,
    required: true,
    listAll: (kube) => kube.core.listEventForAllNamespaces({ fieldSelector: POD_EVENTS }),
    listIn: (kube, namespace) => kube.core.listNamespacedEvent({ namespace, fieldSelector: POD_EVENTS }),
    convert: (o) => eventSnapshot(o as Parameters<typeof eventSnapshot>[0]),
  },
  pdbs: {
    kind: 'pdbs',
    path: '/apis/policy/v1/poddisruptionbudgets',
    required: false,
    listAll: (kube) => kube.policy.listPodDisruptionBudgetForAllNamespaces({}),
    listIn: (kube, namespace) => kube.policy.listNamespacedPodDisruptionBudget({ namespace }),
    convert: (o) => pdbSnapshot(o as Parameters<typeof pdbSnapshot>[0]),
  },
  // Services and EndpointSlices: only an action's safety check reads them (the blast radius), so
  // the watch cache starts them at the first action, never for policy ticks.
  services: {
    kind: 'services',
    path: '/api/v1/services',
    required: false,
    listAll: (kube) => kube.core.listServiceForAllNamespaces({}),
    listIn: (kube, namespace) => kube.core.listNamespacedService({ namespace }),
    convert: (o) => serviceSnapshot(o as V1Service),
  },
  endpointslices: {
    kind: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    required: false,
    listAll: (kube) => kube.discovery.listEndpointSliceForAllNamespaces({}),
    listIn: (kube, namespace) => kube.discovery.listNamespacedEndpointSlice({ namespace }),
    convert: (o) => endpointSliceSnapshot(o as V1EndpointSlice),
  },
};

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** Which namespace a stored value belongs to. */
export function namespaceOf<K extends KindName>(kind: K, v: KindValues[K]): string {
  switch (kind) {
    case 'pods':
      return (v as CachedPod).pod.ref.namespace;
    case 'events':
      return (v as EventSnapshot).involvedObject.namespace;
    case 'hpas':
    case 'pdbs':
    case 'services':
    case 'endpointslices':
      return (v as CachedHpa | PdbSnapshot | ServiceSnapshot | EndpointSliceSnapshot).namespace;
    default:
      return (v as CachedWorkload).workload.ref.namespace;
  }
}
