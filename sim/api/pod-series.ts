// Per-container series in the names users know from cAdvisor (the kubelet's /metrics/cadvisor) and
// kube-state-metrics, so a real Prometheus can scrape the sim and PromQL triggers meet real data:
//   container_memory_working_set_bytes       gauge, what metrics-server reports as memory
//   container_cpu_usage_seconds_total        counter, the CPU usage integrated over time
//   kube_pod_container_status_restarts_total counter, the container status's restartCount
// Each with `namespace`, `pod` and `container` labels. The values come from the same
// MetricsSource as metrics.k8s.io, so both APIs agree at any instant.
import type { KObject, MetricsSource, Store } from '../contract.js';
import type { MetricFamily, Series } from './exposition.js';

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { running?: { startedAt?: string } };
}

interface Counter {
  atMs: number;
  seconds: number;
}

/**
 * CPU seconds per container instance. The sim knows only the usage rate at an instant, so each
 * read adds rate × time since the previous read (from the container's start on the first read).
 * A restarted container is a new instance whose counter starts again at zero, as in cAdvisor;
 * rate() in PromQL handles that reset.
 */
export class CpuCounters {
  private readonly counters = new Map<string, Counter>();

  /** Advances every counter read in this pass; forgets the instances not read (gone). */
  pass(
    read: (advance: (key: string, startMs: number, millicores: number) => number) => void,
    nowMs: number,
  ): void {
    const seen = new Set<string>();
    read((key, startMs, millicores) => {
      seen.add(key);
      const prev = this.counters.get(key);
      const fromMs = prev ? prev.atMs : Math.min(startMs, nowMs);
      const seconds = (prev?.seconds ?? 0) + (millicores / 1000) * (Math.max(0, nowMs - fromMs) / 1000);
      this.counters.set(key, { atMs: Math.max(fromMs, nowMs), seconds });
      return seconds;
    });
    for (const key of this.counters.keys()) if (!seen.has(key)) this.counters.delete(key);
  }
}

const family = (name: string, type: MetricFamily['type'], help: string): MetricFamily => ({
  name,
  type,
  help,
  series: [],
});

export interface PodSeriesDeps {
  store: Store;
  metrics: MetricsSource | undefined;
  cpu: CpuCounters;
}

/** The three families for every pod in the store, in a stable order (namespace, pod, container). */
export function podSeries(deps: PodSeriesDeps): MetricFamily[] {
  const memory = family(
    'container_memory_working_set_bytes',
    'gauge',
    'Current working set of the container in bytes.',
  );
  const cpu = family(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative CPU time consumed by the container in seconds.',
  );
  const restarts = family(
    'kube_pod_container_status_restarts_total',
    'counter',
    'The number of container restarts per container.',
  );
  const nowMs = deps.store.now();
  const pods = [...deps.store.view('core/v1/pods')].sort(byNamespaceAndName);
  deps.cpu.pass((advance) => {
    for (const pod of pods) {
      const namespace = pod.metadata.namespace!;
      const name = pod.metadata.name!;
      const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
      for (const s of statuses) restarts.series.push(sample(namespace, name, s.name, s.restartCount ?? 0));
      for (const u of deps.metrics?.podUsage(namespace, name) ?? []) {
        const status = statuses.find((s) => s.name === u.name);
        const key = `${pod.metadata.uid}/${u.name}/${status?.restartCount ?? 0}`;
        const startMs = Date.parse(status?.state?.running?.startedAt ?? '') || nowMs;
        memory.series.push(sample(namespace, name, u.name, u.memoryBytes));
        cpu.series.push(sample(namespace, name, u.name, advance(key, startMs, u.cpuMillicores)));
      }
    }
  }, nowMs);
  return [memory, cpu, restarts];
}

const sample = (namespace: string, pod: string, container: string, value: number): Series => ({
  labels: { namespace, pod, container },
  value,
});

const byNamespaceAndName = (a: KObject, b: KObject): number =>
  (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
  (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
