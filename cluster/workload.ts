// Which workload a pod serves, and how many of a workload's pods are serving: the two facts the
// CPU-load model needs (docs/sim-behaviours.md, `sim.kubeskippy.io/cpu-load`: a workload's demand
// is spread across its ready replicas). Pure and dependency-free, so the simulator's metrics
// (sim/controllers/metrics.ts) and the real cluster's load spreader (cluster/load-spreader.ts)
// group and count pods the same way.

export interface PodLike {
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string | Date;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * "<namespace>/<Kind>/<name>" of the workload a pod belongs to: for a ReplicaSet's pod its
 * Deployment (the ReplicaSet's name without the `-<pod-template-hash>` suffix, so both sides of a
 * rollout share the load), else its controller, else the pod itself.
 */
export function workloadKey(pod: PodLike): string {
  const ns = pod.metadata.namespace ?? 'default';
  const owners = pod.metadata.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller) ?? owners[0];
  if (!owner) return `${ns}/Pod/${pod.metadata.name ?? ''}`;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return `${ns}/Deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  return `${ns}/${owner.kind}/${owner.name}`;
}

/** Ready and not terminating: a pod a Service would send requests to. */
export function isServing(pod: PodLike): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Serving pods per workload key. */
export function servingReplicas(pods: Iterable<PodLike>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pod of pods) {
    if (!isServing(pod)) continue;
    const key = workloadKey(pod);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
