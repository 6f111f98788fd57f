// Gather: one ClusterSnapshot per evaluation, with what the policy needs and no more. A part that
// fails (metrics.k8s.io down, Prometheus unreachable) is reported in `errors` and the rest is
// still returned: a missing sample neither starts nor resets a `for` window, so a partial
// snapshot is safe. Failing to list pods, on the other hand, fails the activity (and it retries).
import type { V1LabelSelector, V1OwnerReference } from '@kubernetes/client-node';
import type { LabelSelector } from '../../crds/common.js';
import type {
  ClusterSnapshot,
  ObjectRef,
  PdbSnapshot,
  PodSnapshot,
  WorkloadSnapshot,
} from '../../domain/snapshot.js';
import type { SnapshotRequest } from '../../domain/targets.js';
import type { Kube } from '../kube/clients.js';
import { isNotFound, kubeCall, toFailure } from '../kube/errors.js';
import { bytes, millicores } from '../kube/quantity.js';
import { eventSnapshot, podSnapshot } from './convert.js';
import { queryPrometheus } from './prometheus.js';

export interface CollectOptions {
  prometheusUrl?: string;
  nowMs?: () => number;
}

export function labelSelectorString(sel: LabelSelector | undefined): string | undefined {
  if (!sel) return undefined;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : undefined;
}

async function orEmpty<T>(what: string, list: () => Promise<{ items: T[] }>): Promise<T[]> {
  try {
    return (await list()).items;
  } catch (err) {
    if (isNotFound(err)) return []; // the API group is not served on this cluster
    throw toFailure(err, what);
  }
}

type Meta = {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: V1OwnerReference[];
  };
};

const refOf = (apiVersion: string, kind: string, o: Meta): ObjectRef => ({
  apiVersion,
  kind,
  namespace: o.metadata?.namespace ?? '',
  name: o.metadata?.name ?? '',
  uid: o.metadata?.uid ?? '',
});
const controllerOf = (o: Meta): V1OwnerReference | undefined =>
  o.metadata?.ownerReferences?.find((r) => r.controller);

async function collectNamespace(
  kube: Kube,
  req: SnapshotRequest,
  namespace: string,
  snap: ClusterSnapshot,
  opts: CollectOptions,
): Promise<void> {
  const onlyPods = req.kinds.every((k) => k === 'Pod');
  const labelSelector = onlyPods ? labelSelectorString(req.labelSelector) : undefined;
  const [pods, replicaSets, deployments, statefulSets, daemonSets, hpas] = await Promise.all([
    kubeCall(`list pods in ${namespace}`, () =>
      kube.core.listNamespacedPod({ namespace, labelSelector }),
    ).then((l) => l.items),
    orEmpty(`list replicasets in ${namespace}`, () => kube.apps.listNamespacedReplicaSet({ namespace })),
    orEmpty(`list deployments in ${namespace}`, () => kube.apps.listNamespacedDeployment({ namespace })),
    orEmpty(`list statefulsets in ${namespace}`, () => kube.apps.listNamespacedStatefulSet({ namespace })),
    orEmpty(`list daemonsets in ${namespace}`, () => kube.apps.listNamespacedDaemonSet({ namespace })),
    orEmpty(`list HPAs in ${namespace}`, () =>
      kube.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
    ),
  ]);
  const workloads = new Map<string, WorkloadSnapshot>();
  const hpaTargets = new Set(
    hpas.map((h) => `${h.spec?.scaleTargetRef.kind}/${h.spec?.scaleTargetRef.name}`),
  );
  const addWorkload = (
    apiVersion: string,
    kind: string,
    o: Meta & {
      spec?: { replicas?: number };
      status?: {
        readyReplicas?: number;
        availableReplicas?: number;
        desiredNumberScheduled?: number;
        numberReady?: number;
        numberAvailable?: number;
      };
    },
  ): ObjectRef => {
    const ref = refOf(apiVersion, kind, o);
    workloads.set(`${kind}/${ref.name}`, {
      ref,
      labels: o.metadata?.labels ?? {},
      annotations: o.metadata?.annotations ?? {},
      replicas: o.spec?.replicas ?? o.status?.desiredNumberScheduled ?? 1,
      readyReplicas: o.status?.readyReplicas ?? o.status?.numberReady ?? 0,
      availableReplicas: o.status?.availableReplicas ?? o.status?.numberAvailable ?? 0,
      ...(hpaTargets.has(`${kind}/${ref.name}`) ? { hpaManaged: true } : {}),
    });
    return ref;
  };
  const resolveOwner = (pod: Meta): ObjectRef | undefined => {
    const ctl = controllerOf(pod);
    if (!ctl) return undefined;
    if (ctl.kind === 'ReplicaSet') {
      const rs = replicaSets.find((r) => r.metadata?.uid === ctl.uid);
      const rsOwner = rs && controllerOf(rs);
      const dep =
        rsOwner?.kind === 'Deployment' ? deployments.find((d) => d.metadata?.uid === rsOwner.uid) : undefined;
      if (dep) return addWorkload('apps/v1', 'Deployment', dep);
      return rs ? addWorkload('apps/v1', 'ReplicaSet', rs) : undefined;
    }
    const sts =
      ctl.kind === 'StatefulSet' ? statefulSets.find((s) => s.metadata?.uid === ctl.uid) : undefined;
    if (sts) return addWorkload('apps/v1', 'StatefulSet', sts);
    const ds = ctl.kind === 'DaemonSet' ? daemonSets.find((d) => d.metadata?.uid === ctl.uid) : undefined;
    if (ds) return addWorkload('apps/v1', 'DaemonSet', ds as Parameters<typeof addWorkload>[2]);
    return { apiVersion: ctl.apiVersion, kind: ctl.kind, namespace, name: ctl.name, uid: ctl.uid };
  };
  const podSnaps = pods.map((p) => podSnapshot(p, resolveOwner(p)));
  snap.pods.push(...podSnaps);
  snap.workloads.push(...workloads.values());
  await Promise.all([
    collectEvents(kube, req, namespace, podSnaps, snap),
    collectPdbs(kube, namespace, snap),
    req.needUsage ? collectUsage(kube, namespace, podSnaps, snap) : undefined,
    ...req.promQueries.map((q) => collectPromQL(q, namespace, podSnaps, snap, opts)),
  ]);
}

async function collectEvents(
  kube: Kube,
  req: SnapshotRequest,
  namespace: string,
  pods: PodSnapshot[],
  snap: ClusterSnapshot,
): Promise<void> {
  if (req.eventLookbackMs <= 0) return;
  const since = snap.observedAtMs - req.eventLookbackMs;
  const names = new Set(pods.map((p) => p.ref.name));
  const events = await kubeCall(`list events in ${namespace}`, () =>
    kube.core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Pod' }),
  );
  for (const e of events.items) {
    const ev = eventSnapshot(e);
    if (ev && ev.lastTimestampMs >= since && names.has(ev.involvedObject.name)) snap.events.push(ev);
  }
}

async function collectPdbs(kube: Kube, namespace: string, snap: ClusterSnapshot): Promise<void> {
  const pdbs = await orEmpty(`list PDBs in ${namespace}`, () =>
    kube.policy.listNamespacedPodDisruptionBudget({ namespace }),
  );
  snap.pdbs ??= [];
  for (const p of pdbs) {
    const pdb: PdbSnapshot = {
      namespace,
      name: p.metadata?.name ?? '',
      selector: (p.spec?.selector ?? {}) as V1LabelSelector as LabelSelector,
      disruptionsAllowed: p.status?.disruptionsAllowed ?? 0,
    };
    snap.pdbs.push(pdb);
  }
}

async function collectUsage(
  kube: Kube,
  namespace: string,
  pods: PodSnapshot[],
  snap: ClusterSnapshot,
): Promise<void> {
  try {
    const metrics = await kube.metrics.getPodMetrics(namespace);
    for (const m of metrics.items) {
      const pod = pods.find((p) => p.ref.name === m.metadata.name);
      for (const c of m.containers) {
        const container = pod?.containers.find((x) => x.name === c.name);
        if (container)
          container.usage = {
            cpuMillicores: millicores(c.usage.cpu) ?? 0,
            memoryBytes: bytes(c.usage.memory) ?? 0,
          };
      }
    }
  } catch (err) {
    snap.errors?.push(`metrics.k8s.io unavailable in ${namespace}: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function collectPromQL(
  query: string,
  namespace: string,
  pods: PodSnapshot[],
  snap: ClusterSnapshot,
  opts: CollectOptions,
): Promise<void> {
  if (!opts.prometheusUrl) {
    snap.errors?.push(
      `PromQL query "${query}" skipped: no Prometheus configured (KUBESKIPPY_PROMETHEUS_URL)`,
    );
    return;
  }
  try {
    for (const s of await queryPrometheus(opts.prometheusUrl, query)) {
      const pod = s.namespace === namespace ? pods.find((p) => p.ref.name === s.pod) : undefined;
      if (pod) pod.customMetrics = { ...pod.customMetrics, [query]: s.value };
    }
  } catch (err) {
    snap.errors?.push(`PromQL query "${query}" failed: ${(err as Error).message}`);
  }
}

export async function collectSnapshot(
  kube: Kube,
  req: SnapshotRequest,
  opts: CollectOptions = {},
): Promise<ClusterSnapshot> {
  const snap: ClusterSnapshot = {
    observedAtMs: (opts.nowMs ?? Date.now)(),
    pods: [],
    workloads: [],
    events: [],
    errors: [],
  };
  for (const namespace of req.namespaces) await collectNamespace(kube, req, namespace, snap, opts);
  if (!snap.errors?.length) delete snap.errors;
  return snap;
}
