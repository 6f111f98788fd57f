// What metrics-server would report: per-container usage of running containers, computed from each
// container's behaviour and exact start time, and node usage as the sum of its pods plus a base for
// the system daemons. Nothing is sampled or stored, so any two reads at the same instant agree.
// A `cpu-load` spike is shared by the workload's serving replicas, so it reads the other pods too.
import { isServing, workloadKey } from '../../cluster/workload.js';
import type { ContainerUsage, KObject, MetricsSource, Store } from '../contract.js';
import { cpuMillicoresAt, memoryBytesAt, parseBehaviour } from './behaviours.js';
import { NODES, PODS } from './kube.js';

/** Usage of the node itself (kubelet, runtime, system pods) before any workload. */
export const NODE_BASE_CPU_MILLICORES = 150;
export const NODE_BASE_MEMORY_BYTES = 900 * 2 ** 20;

export interface MetricsDeps {
  store: Store;
  timeScale: number;
  /** Exact container start from the kubelet; the status timestamp (whole seconds) is the fallback. */
  containerStartMs(pod: KObject, container: string): number | undefined;
}

export function podUsageOf(deps: MetricsDeps, pod: KObject): ContainerUsage[] | undefined {
  const now = deps.store.now();
  const statuses = (pod.status?.containerStatuses ?? []) as {
    name: string;
    state?: { running?: { startedAt?: string } };
  }[];
  const containers = (pod.spec?.containers ?? []) as { name: string; resources?: object }[];
  const usage: ContainerUsage[] = [];
  let serving: number | undefined;
  const servingReplicas = (): number => {
    if (serving === undefined) {
      const key = workloadKey(pod);
      serving = deps.store
        .view(PODS, { namespace: pod.metadata.namespace })
        .filter((p) => isServing(p) && workloadKey(p) === key).length;
    }
    return serving;
  };
  for (const c of containers) {
    const running = statuses.find((s) => s.name === c.name)?.state?.running;
    if (!running) continue;
    const startMs = deps.containerStartMs(pod, c.name) ?? Date.parse(running.startedAt ?? '');
    if (!Number.isFinite(startMs)) continue;
    const behaviour = parseBehaviour(pod.metadata.annotations, c, `${pod.metadata.name}/${c.name}`);
    const elapsedSec = (now - startMs) / 1000 / deps.timeScale;
    usage.push({
      name: c.name,
      cpuMillicores: cpuMillicoresAt(
        behaviour,
        elapsedSec,
        behaviour.cpuLoadMillicores === undefined ? 1 : servingReplicas(),
      ),
      memoryBytes: memoryBytesAt(behaviour, elapsedSec),
    });
  }
  // metrics-server has no sample for a pod with nothing running yet: the API answers 404.
  return usage.length > 0 ? usage : undefined;
}

export function createMetricsSource(deps: MetricsDeps): MetricsSource {
  const { store } = deps;
  return {
    podUsage(namespace, name) {
      const pod = store.get(PODS, namespace, name);
      return pod ? podUsageOf(deps, pod) : undefined;
    },
    nodeUsage(name) {
      if (!store.get(NODES, undefined, name)) return undefined;
      let cpuMillicores = NODE_BASE_CPU_MILLICORES;
      let memoryBytes = NODE_BASE_MEMORY_BYTES;
      for (const pod of store.view(PODS)) {
        if (pod.spec?.nodeName !== name) continue;
        for (const c of podUsageOf(deps, pod) ?? []) {
          cpuMillicores += c.cpuMillicores;
          memoryBytes += c.memoryBytes;
        }
      }
      return { cpuMillicores, memoryBytes };
    },
  };
}
