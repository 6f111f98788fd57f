// metrics.k8s.io/v1beta1, as metrics-server serves it, from a MetricsSource. Without a source the
// API answers 503 like an aggregated API whose backend is down.
import type { KObject, MetricsSource } from '../contract.js';
import type { ServerContext } from './context.js';
import { ApiError } from './errors.js';
import { matchesLabels, parseLabelSelector } from './selectors.js';
import { isoSeconds } from './util.js';

const API_VERSION = 'metrics.k8s.io/v1beta1';
// Quantities in canonical form, as metrics-server's resource.Quantity prints them: the largest
// suffix that keeps the number whole (250000000n is "250m", 65536Ki is "64Mi").
const cpu = (m: number): string => {
  const n = Math.round(m * 1e6);
  for (const [div, suffix] of [
    [1e9, ''],
    [1e6, 'm'],
    [1e3, 'u'],
  ] as const)
    if (n % div === 0) return `${n / div}${suffix}`;
  return `${n}n`;
};
const memory = (b: number): string => {
  const n = Math.round(b);
  if (n === 0) return '0';
  for (const [exp, suffix] of [
    [5, 'Pi'],
    [4, 'Ti'],
    [3, 'Gi'],
    [2, 'Mi'],
    [1, 'Ki'],
  ] as const)
    if (n % 1024 ** exp === 0) return `${n / 1024 ** exp}${suffix}`;
  return `${n}`;
};

function podMetrics(src: MetricsSource, pod: KObject, now: string): KObject | undefined {
  const usage = src.podUsage(pod.metadata.namespace!, pod.metadata.name!);
  if (!usage) return undefined;
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: now,
      labels: pod.metadata.labels ?? {},
    },
    timestamp: now,
    window: '10.0s',
    containers: usage.map((c) => ({
      name: c.name,
      usage: { cpu: cpu(c.cpuMillicores), memory: memory(c.memoryBytes) },
    })),
  };
}

function nodeMetrics(src: MetricsSource, node: KObject, now: string): KObject | undefined {
  const usage = src.nodeUsage(node.metadata.name!);
  if (!usage) return undefined;
  return {
    kind: 'NodeMetrics',
    apiVersion: API_VERSION,
    metadata: { name: node.metadata.name, creationTimestamp: now, labels: node.metadata.labels ?? {} },
    timestamp: now,
    window: '10.0s',
    usage: { cpu: cpu(usage.cpuMillicores), memory: memory(usage.memoryBytes) },
  };
}

/** Returns a PodMetrics/NodeMetrics object or list, or throws 404/503. */
export function serveMetrics(
  ctx: ServerContext,
  plural: string,
  namespace: string | undefined,
  name: string | undefined,
  query: URLSearchParams,
): unknown {
  const src = ctx.metrics();
  if (!src)
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `the server is currently unable to handle the request (get ${plural}.metrics.k8s.io)`,
    );
  const now = isoSeconds(ctx.store.now());
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined);
  const source = plural === 'pods' ? 'core/v1/pods' : 'core/v1/nodes';
  const build = (o: KObject): KObject | undefined =>
    plural === 'pods' ? podMetrics(src, o, now) : nodeMetrics(src, o, now);
  if (name) {
    const obj = ctx.store.get(source, namespace, name);
    const m = obj && build(obj);
    if (!m)
      throw new ApiError(404, 'NotFound', `${plural}.metrics.k8s.io "${name}" not found`, {
        name,
        group: 'metrics.k8s.io',
        kind: plural,
      });
    return m;
  }
  const objs = ctx.store
    .list(source, namespace ? { namespace } : {})
    .filter((o) => matchesLabels(labels, o.metadata.labels));
  const items = objs.map(build).filter((m): m is KObject => m !== undefined);
  return {
    kind: plural === 'pods' ? 'PodMetricsList' : 'NodeMetricsList',
    apiVersion: API_VERSION,
    metadata: {},
    items,
  };
}
