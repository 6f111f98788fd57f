// The contract between the simulated cluster's two halves:
//   sim/api/          — the Kubernetes REST API: storage, watch, discovery, patch, CRDs, eviction, GC.
//   sim/controllers/  — what a real cluster runs beside the API server: scheduler, kubelet (pod
//                       lifecycle, restarts, back-off, events), workload controllers, PDB status,
//                       workload behaviours (memory leak, crash loop, CPU spike) and metrics.
// Controllers talk to the store in-process (like controllers inside kube-controller-manager would
// talk to a local cache), never over HTTP; the operator only ever sees the HTTP API.

/** A Kubernetes object as plain JSON. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: KMetadata;
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KMetadata {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/**
 * A resource is named by "<group>/<version>/<plural>", with the empty core group written as
 * "core": "core/v1/pods", "apps/v1/deployments", "policy/v1/poddisruptionbudgets",
 * "kubeskippy.io/v1alpha1/healingactions".
 */
export type ResourceId = string;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceId;
  object: KObject;
}

export interface ListOptions {
  namespace?: string;
  /** Kubernetes label selector syntax, e.g. "app=web,tier!=db,env in (a,b)". */
  labelSelector?: string;
  /** Kubernetes field selector syntax, e.g. "spec.nodeName=node-1,status.phase!=Failed". */
  fieldSelector?: string;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  /** 0 deletes at once; pods with a nodeName and a grace period > 0 get a deletionTimestamp instead. */
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

/** Thrown by every store operation that fails; the HTTP layer renders it as a Kubernetes Status. */
export interface ApiErrorShape extends Error {
  code: number; // 400, 404, 409, 410, 422, 429, 500, 503
  reason: string; // NotFound, AlreadyExists, Conflict, Invalid, Gone, TooManyRequests, BadRequest, ...
}

export interface Store {
  /** Wall-clock milliseconds as the cluster sees them. */
  now(): number;
  get(resource: ResourceId, namespace: string | undefined, name: string): KObject | undefined;
  list(resource: ResourceId, opts?: ListOptions): KObject[];
  /**
   * What `list` returns, without copying: the stored objects themselves, for in-process readers
   * (controllers scanning every pod on each reconcile) that must never mutate them. A write
   * replaces the stored object rather than editing it, so each object in a view stays as it was.
   */
  view(resource: ResourceId, opts?: ListOptions): readonly KObject[];
  /** Assigns uid, resourceVersion, creationTimestamp, generation=1, and a name from generateName. */
  create(resource: ResourceId, obj: KObject): KObject;
  /**
   * Replaces an object (or only its status with subresource 'status'). Fails with 409 when
   * obj.metadata.resourceVersion is set and stale. Bumps generation when spec changes.
   */
  update(resource: ResourceId, obj: KObject, opts?: { subresource?: 'status' }): KObject;
  /** Read-modify-write with conflict retries; the mutator edits a copy. Returns undefined if absent. */
  mutate(
    resource: ResourceId,
    namespace: string | undefined,
    name: string,
    mutator: (obj: KObject) => void,
    opts?: { subresource?: 'status' },
  ): KObject | undefined;
  /** Returns the deleted (or now-terminating) object, or throws 404. Cascades to dependents. */
  delete(resource: ResourceId, namespace: string | undefined, name: string, opts?: DeleteOptions): KObject;
  /** Every change, in resourceVersion order, after it is committed. Returns an unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/** Usage figures the API serves under metrics.k8s.io/v1beta1 (computed by sim/controllers). */
export interface ContainerUsage {
  name: string;
  cpuMillicores: number;
  memoryBytes: number;
}
export interface MetricsSource {
  podUsage(namespace: string, name: string): ContainerUsage[] | undefined;
  nodeUsage(name: string): { cpuMillicores: number; memoryBytes: number } | undefined;
}

/** What sim/controllers exports as `startControllers` (in sim/controllers/index.ts). */
export interface ControllerOptions {
  store: Store;
  /** Number of simulated nodes to register (default 2). */
  nodes?: number;
  /** Multiplies every behaviour's timings; tests use small values to go fast. Default 1. */
  timeScale?: number;
}
export interface RunningControllers {
  metrics: MetricsSource;
  stop(): Promise<void>;
}
export type StartControllers = (opts: ControllerOptions) => RunningControllers;
