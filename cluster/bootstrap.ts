// What the control plane needs inside the API before it is usable: kwok's fake nodes and the
// registration of metrics-server as the aggregated metrics.k8s.io API; then the wait until the
// nodes are Ready and the metrics API answers with their usage.
import {
  ApiregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1Node,
} from '@kubernetes/client-node';
import { KWOK_NODE_ANNOTATION, type Ports } from './components.js';

const FIELD_MANAGER = 'kubeskippy-cluster';

export function nodeName(i: number): string {
  return `kwok-node-${i}`;
}

/** A fake node kwok manages: its capacity is what the scheduler fits pods into. */
export function fakeNode(name: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: {
        [KWOK_NODE_ANNOTATION.key]: KWOK_NODE_ANNOTATION.value,
        'node.alpha.kubernetes.io/ttl': '0',
        // Where metrics-server scrapes this node: kwok serves kubelet-style resource metrics there.
        'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${name}/metrics/resource`,
      },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '16', memory: '64Gi', pods: '110' },
      capacity: { cpu: '16', memory: '64Gi', pods: '110' },
    },
  } as KubernetesObject;
}

/** metrics-server runs on the host (hostService) and serves metrics.k8s.io through an APIService. */
export function metricsApiObjects(port: number): KubernetesObject[] {
  return [
    hostService('metrics-server', 'https', port),
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { name: 'metrics-server', namespace: 'kube-system', port },
        // metrics-server serves a self-signed certificate it makes at start.
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    } as KubernetesObject,
  ];
}

/** A component on the host, reached through the cluster: an ExternalName Service for 127.0.0.1. */
function hostService(name: string, portName: string, port: number): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      type: 'ExternalName',
      externalName: '127.0.0.1',
      ports: [{ name: portName, port, protocol: 'TCP' }],
    },
  } as KubernetesObject;
}

/**
 * kube-state-metrics also runs on the host: a Service names its port, so a scrape config finds it
 * in the cluster (as Prometheus' Service discovery would) instead of in our process's memory.
 */
export const kubeStateMetricsService = (port: number): KubernetesObject =>
  hostService('kube-state-metrics', 'http-metrics', port);

async function apply(kc: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    await api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
}

function load(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

async function beforeKwok(kubeconfig: string, opts: { nodes: number; ports: Ports }): Promise<void> {
  const kc = load(kubeconfig);
  const nodes = Array.from({ length: opts.nodes }, (_, i) => fakeNode(nodeName(i)));
  await apply(kc, [
    ...nodes,
    ...metricsApiObjects(opts.ports.metricsServer),
    kubeStateMetricsService(opts.ports.kubeStateMetrics),
  ]);
}

const isReady = (n: V1Node): boolean =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function untilReady(
  kubeconfig: string,
  opts: { nodes: number; log: (msg: string) => void; timeoutMs?: number },
): Promise<void> {
  const kc = load(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let waiting = 'nodes';
  for (;;) {
    try {
      const nodes = (await core.listNode()).items;
      const ready = nodes.filter(isReady).length;
      if (ready < opts.nodes) {
        waiting = `nodes Ready: ${ready} of ${opts.nodes}`;
      } else {
        // Answering is the bar: metrics-server lists a node only once pods run on it (kwok reports
        // a node's usage as the sum of its pods'), so an empty cluster has an empty NodeMetricsList.
        const apis = kc.makeApiClient(ApiregistrationV1Api);
        const svc = await apis.readAPIService({ name: 'v1beta1.metrics.k8s.io' });
        const available = svc.status?.conditions?.find((c) => c.type === 'Available');
        if (available?.status === 'True') {
          await custom.listClusterCustomObject({
            group: 'metrics.k8s.io',
            version: 'v1beta1',
            plural: 'nodes',
          });
          opts.log(`${ready} node(s) Ready, metrics.k8s.io answering`);
          return;
        }
        waiting =
          `the metrics.k8s.io APIService: ${available?.reason ?? 'no status yet'} ${available?.message ?? ''}`.trim();
      }
    } catch (err) {
      waiting = `${waiting} (last error: ${(err as Error).message.split('\n')[0]})`;
    }
    if (Date.now() > deadline)
      throw new Error(`the cluster did not become ready: still waiting for ${waiting}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const bootstrap = { beforeKwok, untilReady };
