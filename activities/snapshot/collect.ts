// Gather: one ClusterSnapshot per evaluation, with what the policy needs and no more. A part that
// fails (metrics.k8s.io down, Prometheus unreachable) is reported in `errors` and the rest is
// still returned: a missing sample neither starts nor resets a `for` window, so a partial
// snapshot is safe. Failing to list pods, on the other hand, fails the activity (and it retries).
//
// The objects come from a ClusterReader: the worker's watch cache, or direct lists (../cache/).
import type { ClusterSnapshot, ObjectRef, PodSnapshot, WorkloadSnapshot } from '../../domain/snapshot.js';
import type { SnapshotRequest } from '../../domain/targets.js';
import { cachedReader, directReader, type ClusterReader } from '../cache/reader.js';
import type { CachedPod, CachedWorkload } from '../cache/kinds.js';
import type { WatchCache } from '../cache/watch-cache.js';
import type { Kube } from '../kube/clients.js';
import { bytes, millicores } from '../kube/quantity.js';
import { queryPrometheus, type PromResult } from './prometheus.js';

export { labelSelectorString } from '../cache/reader.js';

export interface CollectOptions {
  prometheusUrl?: string;
  nowMs?: () => number;
  /** The worker's shared watch cache; absent = list everything directly. */
  cache?: WatchCache;
}

/** Owner resolution over the namespace's workloads: ReplicaSet → Deployment, StatefulSet, DaemonSet. */
function ownerResolver(
  lists: Record<'replicasets' | 'deployments' | 'statefulsets' | 'daemonsets', CachedWorkload[]>,
  hpaTargets: Set<string>,
): { resolve(pod: CachedPod): ObjectRef | undefined; workloads: Map<string, WorkloadSnapshot> } {
  const workloads = new Map<string, WorkloadSnapshot>();
  const byUid = (l: CachedWorkload[], uid: string): CachedWorkload | undefined =>
    l.find((w) => w.workload.ref.uid === uid);
  const add = (w: CachedWorkload): ObjectRef => {
    const { ref } = w.workload;
    const key = `${ref.kind}/${ref.name}`;
    workloads.set(key, { ...w.workload, ...(hpaTargets.has(key) ? { hpaManaged: true } : {}) });
    return ref;
  };
  const resolve = (pod: CachedPod): ObjectRef | undefined => {
    const ctl = pod.controller;
    if (!ctl) return undefined;
    if (ctl.kind === 'ReplicaSet') {
      const rs = byUid(lists.replicasets, ctl.uid);
      const rsOwner = rs?.controller;
      const dep = rsOwner?.kind === 'Deployment' ? byUid(lists.deployments, rsOwner.uid) : undefined;
      if (dep) return add(dep);
      return rs ? add(rs) : undefined;
    }
    const sts = ctl.kind === 'StatefulSet' ? byUid(lists.statefulsets, ctl.uid) : undefined;
    if (sts) return add(sts);
    const ds = ctl.kind === 'DaemonSet' ? byUid(lists.daemonsets, ctl.uid) : undefined;
    if (ds) return add(ds);
    return ctl;
  };
  return { resolve, workloads };
}

/** A query's answer, asked once per snapshot and shared by its namespaces; undefined = none configured. */
type PromQuery = ((query: string) => Promise<PromResult>) | undefined;

function promQueries(prometheusUrl: string | undefined): PromQuery {
  if (!prometheusUrl) return undefined;
  const asked = new Map<string, Promise<PromResult>>();
  return (query) => {
    let answer = asked.get(query);
    if (!answer) asked.set(query, (answer = queryPrometheus(prometheusUrl, query)));
    return answer;
  };
}

/** Each problem once per snapshot, however many namespaces meet it. */
function addError(snap: ClusterSnapshot, message: string): void {
  if (!snap.errors?.includes(message)) snap.errors?.push(message);
}

async function collectNamespace(
  reader: ClusterReader,
  req: SnapshotRequest,
  namespace: string,
  snap: ClusterSnapshot,
  prom: PromQuery,
): Promise<void> {
  const onlyPods = req.kinds.every((k) => k === 'Pod');
  const [pods, replicasets, deployments, statefulsets, daemonsets, hpas] = await Promise.all([
    reader.list('pods', namespace, onlyPods ? req.labelSelector : undefined),
    reader.list('replicasets', namespace),
    reader.list('deployments', namespace),
    reader.list('statefulsets', namespace),
    reader.list('daemonsets', namespace),
    reader.list('hpas', namespace),
  ]);
  const owners = ownerResolver(
    { replicasets, deployments, statefulsets, daemonsets },
    new Set(hpas.map((h) => h.target)),
  );
  // Copies: cached values are shared by every policy, and usage / PromQL values are added below.
  const conditions = req.conditionTypes && new Set(req.conditionTypes);
  const podSnaps = pods.map((p) => {
    const owner = owners.resolve(p);
    const pod = structuredClone(p.pod);
    if (owner) pod.owner = owner;
    if (conditions) pod.conditions = pod.conditions.filter((c) => conditions.has(c.type));
    return pod;
  });
  snap.pods.push(...podSnaps);
  snap.workloads.push(...owners.workloads.values());
  if (req.blastRadius) (snap.hpas ??= []).push(...hpas);
  await Promise.all([
    req.blastRadius ? collectServices(reader, namespace, snap) : undefined,
    collectEvents(reader, req, namespace, podSnaps, snap),
    reader.list('pdbs', namespace).then((pdbs) => (snap.pdbs ??= []).push(...pdbs)),
    req.needUsage ? collectUsage(reader, namespace, podSnaps, snap, req.usageMaxAgeMs) : undefined,
    ...req.promQueries.map((q) => collectPromQL(q, namespace, podSnaps, snap, prom)),
  ]);
}

/** The namespace's Services and their EndpointSlices, for an action's blast radius. */
async function collectServices(
  reader: ClusterReader,
  namespace: string,
  snap: ClusterSnapshot,
): Promise<void> {
  const [services, slices] = await Promise.all([
    reader.list('services', namespace),
    reader.list('endpointslices', namespace),
  ]);
  (snap.services ??= []).push(...services);
  (snap.endpointSlices ??= []).push(...slices);
}

async function collectEvents(
  reader: ClusterReader,
  req: SnapshotRequest,
  namespace: string,
  pods: PodSnapshot[],
  snap: ClusterSnapshot,
): Promise<void> {
  if (req.eventLookbackMs <= 0) return;
  const since = snap.observedAtMs - req.eventLookbackMs;
  const names = new Set(pods.map((p) => p.ref.name));
  for (const ev of await reader.list('events', namespace))
    if (ev.lastTimestampMs >= since && names.has(ev.involvedObject.name)) snap.events.push(ev);
}

async function collectUsage(
  reader: ClusterReader,
  namespace: string,
  pods: PodSnapshot[],
  snap: ClusterSnapshot,
  maxAgeMs: number | undefined,
): Promise<void> {
  try {
    const metrics = await reader.podMetrics(namespace, maxAgeMs);
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
  prom: PromQuery,
): Promise<void> {
  if (!prom) {
    addError(snap, `PromQL query "${query}" skipped: no Prometheus configured (KUBESKIPPY_PROMETHEUS_URL)`);
    return;
  }
  try {
    const { samples, unlabelled } = await prom(query);
    for (const s of samples) {
      const pod = s.namespace === namespace ? pods.find((p) => p.ref.name === s.pod) : undefined;
      if (pod) pod.customMetrics = { ...pod.customMetrics, [query]: s.value };
    }
    if (unlabelled > 0)
      addError(
        snap,
        `PromQL query "${query}": ${unlabelled} sample(s) without namespace and pod labels ignored; ` +
          'keep them, e.g. max by (namespace, pod) (...)',
      );
  } catch (err) {
    addError(snap, `PromQL query "${query}" failed: ${(err as Error).message}`);
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
  const reader = opts.cache ? cachedReader(opts.cache, kube) : directReader(kube);
  const prom = promQueries(opts.prometheusUrl);
  for (const namespace of req.namespaces) await collectNamespace(reader, req, namespace, snap, prom);
  if (!snap.errors?.length) delete snap.errors;
  return snap;
}
