// The contract between the `collectSnapshot` activity (gather) and the pure evaluation (decide).
// One ClusterSnapshot is what one policy evaluation sees: plain JSON, times as epoch ms, quantities
// already converted to numbers (bytes, millicores) so domain code never parses Kubernetes strings.
//
// What the activity should collect (see `snapshotRequest` in ./targets.ts):
// - pods in the policy's namespaces that match its label selector, or whose owning workload does
//   when the policy selects workload kinds; the domain re-applies the selector, so over-collecting
//   is safe and under-collecting is not;
// - the owning workloads of those pods (for scale, rollout restart and the minimum-ready rule);
// - events whose involvedObject is one of those pods, newer than the longest event window;
// - PodDisruptionBudgets in those namespaces;
// - usage from metrics.k8s.io and PromQL values when the policy's triggers need them;
// - for an action's safety check only (`blastRadius` in the request): the namespace's Services
//   with a selector, their EndpointSlices and the HPAs' bounds (domain/blast-radius.ts).
// A part that could not be gathered goes into `errors` rather than failing the whole snapshot.

import type { LabelSelector } from '../crds/common.js';

/** Identity of one Kubernetes object. */
export interface ObjectRef {
  /** e.g. "v1" for pods, "apps/v1" for Deployments. */
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Distinguishes a replacement with the same name (StatefulSet pods) from the pod it replaced. */
  uid: string;
}

export interface ClusterSnapshot {
  /** When the activity read the cluster (epoch ms); the evaluation uses it as "now" for samples. */
  observedAtMs: number;
  /** Pods selected by the policy (not yet filtered by phase; terminating pods included, flagged). */
  pods: PodSnapshot[];
  /** The owning workloads of those pods (Deployment, StatefulSet, DaemonSet, bare ReplicaSet). */
  workloads: WorkloadSnapshot[];
  /** Recent events on those pods. */
  events: EventSnapshot[];
  /** PodDisruptionBudgets in the selected namespaces; omitted when not collected. */
  pdbs?: PdbSnapshot[];
  /** Services with a pod selector in the action's namespace; only an action's safety check reads them. */
  services?: ServiceSnapshot[];
  /** The EndpointSlices (discovery.k8s.io/v1) of those Services; collected with them. */
  endpointSlices?: EndpointSliceSnapshot[];
  /** HorizontalPodAutoscalers with their bounds; collected with the Services. */
  hpas?: HpaSnapshot[];
  /** Parts that could not be collected, in words ("metrics.k8s.io unavailable: 503"). */
  errors?: string[];
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type ContainerStateName = 'running' | 'waiting' | 'terminated';

export interface PodCondition {
  /** Ready, ContainersReady, PodScheduled, Initialized, DisruptionTarget, or a readiness gate. */
  type: string;
  status: ConditionStatus;
  /** Not collected any more (nothing reads it; it cost history bytes every tick); kept for old histories. */
  lastTransitionTimeMs?: number;
}

export interface ContainerUsageSample {
  /** From metrics.k8s.io, converted from "250m" / "1.2" cores. */
  cpuMillicores: number;
  /** From metrics.k8s.io, converted from "128Mi" etc. */
  memoryBytes: number;
}

export interface ContainerSnapshot {
  name: string;
  ready: boolean;
  /** The kubelet's restartCount: a lifetime total for this pod; the domain turns it into deltas. */
  restartCount: number;
  /** Which of status.containerStatuses[].state is set. */
  state: ContainerStateName;
  /** state.waiting.reason or state.terminated.reason: CrashLoopBackOff, ImagePullBackOff, Error, ... */
  stateReason?: string;
  /** lastState.terminated.reason: e.g. OOMKilled, Error, Completed. */
  lastTerminationReason?: string;
  /** Quantities from the container spec's resources, converted to numbers; a request only when there is no limit. */
  memoryLimitBytes?: number;
  memoryRequestBytes?: number;
  cpuLimitMillicores?: number;
  cpuRequestMillicores?: number;
  /** Current usage; absent when metrics.k8s.io had no sample for this container. */
  usage?: ContainerUsageSample;
}

export interface PodSnapshot {
  /** kind "Pod", apiVersion "v1". */
  ref: ObjectRef;
  labels: Record<string, string>;
  /** As for workloads: `kubeskippy.io/` annotations and Argo CD's tracking id; omitted when none. */
  annotations?: Record<string, string>;
  phase: PodPhase;
  /** The Ready condition is True. */
  ready: boolean;
  /** metadata.deletionTimestamp is set: the pod is going away and is never acted on. */
  deleting: boolean;
  /** metadata.creationTimestamp (epoch ms): lets restart counts of a new pod start from zero. */
  createdAtMs?: number;
  /** Not collected any more (nothing reads it); kept for old histories. */
  nodeName?: string;
  conditions: PodCondition[];
  containers: ContainerSnapshot[];
  /**
   * The workload that manages the pod, resolved through owner references: ReplicaSet → its
   * Deployment; StatefulSet, DaemonSet or Job directly; the ReplicaSet itself when no Deployment
   * owns it. Absent for bare pods.
   */
  owner?: ObjectRef;
  /** Values of the policy's PromQL queries for this pod, keyed by the exact query string. */
  customMetrics?: Record<string, number>;
}

export interface WorkloadSnapshot {
  ref: ObjectRef;
  labels: Record<string, string>;
  /**
   * Only the operator's own `kubeskippy.io/` annotations (protection) and Argo CD's
   * `argocd.argoproj.io/tracking-id` (domain/gitops.ts); omitted when none. Labels are all kept.
   */
  annotations?: Record<string, string>;
  /** spec.replicas (desired). DaemonSets report desiredNumberScheduled. */
  replicas: number;
  /** status.readyReplicas (0 when absent). */
  readyReplicas: number;
  /** status.availableReplicas (0 when absent). */
  availableReplicas: number;
  /** A HorizontalPodAutoscaler targets this workload: scaling it by hand would fight the HPA. */
  hpaManaged?: boolean;
}

export interface EventSnapshot {
  involvedObject: { kind: string; namespace: string; name: string; uid?: string };
  reason: string;
  /** "Normal" or "Warning". */
  type: string;
  message: string;
  /** How many times the event occurred (the API's deduplicated count; 1 when absent). */
  count: number;
  /** lastTimestamp, else eventTime / series.lastObservedTime, else firstTimestamp (epoch ms). */
  lastTimestampMs: number;
}

export interface PdbSnapshot {
  namespace: string;
  name: string;
  selector: LabelSelector;
  /** status.disruptionsAllowed. */
  disruptionsAllowed: number;
}

/** A Service that selects pods (one without a selector has hand-made endpoints and is not kept). */
export interface ServiceSnapshot {
  namespace: string;
  name: string;
  /** spec.selector: a plain label map, matched like matchLabels (never empty here). */
  selector: Record<string, string>;
}

/**
 * One EndpointSlice, cut to what the blast radius counts. An endpoint is keyed by the uid of the
 * pod it points at (targetRef), else by its first address, so the same pod in an IPv4 and an IPv6
 * slice counts once.
 */
export interface EndpointSliceSnapshot {
  namespace: string;
  name: string;
  /** The `kubernetes.io/service-name` label: the Service it belongs to. */
  service: string;
  /** Endpoints whose conditions.ready is true or unset (the API says unset means ready). */
  ready: string[];
  /** Endpoints whose conditions.ready is false (starting, failing, or terminating). */
  notReady: string[];
}

export interface HpaSnapshot {
  namespace: string;
  name: string;
  /** "<kind>/<name>" of spec.scaleTargetRef. */
  target: string;
  /** spec.minReplicas (1 when unset, as the API defaults it). */
  minReplicas: number;
  maxReplicas: number;
}

// What the healing action's change gate reads right before acting (domain/change-gate.ts): read
// fresh per check, never per policy tick, so the tick snapshot above stays as small as it was.

/** The rollout fields of one workload: what `kubectl rollout status` reads, as numbers. */
export interface RolloutSnapshot {
  ref: ObjectRef;
  /** metadata.generation and status.observedGeneration (0 when absent). */
  generation: number;
  observedGeneration: number;
  /** spec.replicas; DaemonSets: status.desiredNumberScheduled. */
  desired: number;
  /** status.replicas, old and new pods together; DaemonSets: currentNumberScheduled. */
  replicas: number;
  /** status.updatedReplicas; DaemonSets: updatedNumberScheduled (0 when absent: omitempty). */
  updated: number;
  /** status.availableReplicas; DaemonSets: numberAvailable. */
  available: number;
  /** Deployments: the Progressing condition. */
  progressing?: { status: string; reason: string };
  /** Deployments: the deployment.kubernetes.io/revision annotation (1 = the first rollout). */
  revision?: number;
  /** StatefulSets: status.currentRevision and status.updateRevision. */
  currentRevision?: string;
  updateRevision?: string;
}

/** One matcher of an Alertmanager silence (API v2). */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false: != or !~ (absent in old Alertmanagers: true). */
  isEqual: boolean;
}

/** An active Alertmanager silence. */
export interface SilenceSnapshot {
  id: string;
  matchers: SilenceMatcher[];
  endsAtMs: number;
  createdBy?: string;
  comment?: string;
}

export interface ChangeSnapshot {
  observedAtMs: number;
  /** The workload whose rollout matters, when the target has one and it was asked for. */
  workload?: RolloutSnapshot;
  /** Kubelet version → how many nodes run it (one list of the nodes per check). */
  kubeletVersions?: Record<string, number>;
  /** Active silences; absent when no Alertmanager is configured or none was asked for. */
  silences?: SilenceSnapshot[];
  /** The firing pod's container names, for silences naming a container. */
  containers?: string[];
  /** A part that could not be read, in words; the gate does not act blind on it. */
  errors?: { rollout?: string; nodes?: string; silences?: string };
}
