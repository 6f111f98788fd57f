// The command lines of the seven control-plane processes, in start order. Every listener is on
// 127.0.0.1; each flag that is not a default says why. (Learnt on this kind of machine: see
// docs/real-cluster.md.)
import path from 'node:path';
import type { Pki } from './pki.js';
import type { ClusterTools } from './tools.js';
import type { ToolName } from './versions.js';

export interface Ports {
  apiserver: number;
  etcdClient: number;
  etcdPeer: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
  metricsServer: number;
  kubeStateMetrics: number;
  kubeStateMetricsTelemetry: number;
}

export interface Layout {
  dataDir: string;
  pki: Pki;
  ports: Ports;
  /** Kubeconfig files of the admin, the controller-manager and the scheduler. */
  kubeconfigs: { admin: string; controllerManager: string; scheduler: string };
  kwokConfigs: readonly string[];
}

/** How to tell a component is up: an HTTP(S) GET that must answer 200. */
export interface Probe {
  url: string;
  /** Check the serving certificate against our CA (the API server); others serve self-signed. */
  verifyWithCa: boolean;
}

export interface ComponentSpec {
  name: ToolName;
  bin: string;
  args: string[];
  probe: Probe;
}

/** The service CIDR; its first address is in the API server's certificate. */
export const SERVICE_CIDR = '10.96.0.0/16';
/** kwok renews node Leases only when told their length; without it nodes flap NotReady every ~55 s. */
const NODE_LEASE_SECONDS = 40;
/** Fake nodes kwok manages carry this annotation (nodes of other origin are left alone). */
export const KWOK_NODE_ANNOTATION = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;

const loopback = (port: number, scheme = 'https'): string => `${scheme}://127.0.0.1:${port}`;

export function componentSpecs(tools: ClusterTools, l: Layout): ComponentSpec[] {
  return [
    etcdSpec(tools, l),
    apiserverSpec(tools, l),
    controllerManagerSpec(tools, l),
    schedulerSpec(tools, l),
    kwokSpec(tools, l),
    metricsServerSpec(tools, l),
    kubeStateMetricsSpec(tools, l),
  ];
}

// The controller-manager and the scheduler authenticate callers of their own endpoints through
// the API server (delegated authn/authz), with the same credentials they use for it.
const delegated = (kubeconfig: string): string[] => [
  `--kubeconfig=${kubeconfig}`,
  `--authentication-kubeconfig=${kubeconfig}`,
  `--authorization-kubeconfig=${kubeconfig}`,
  '--bind-address=127.0.0.1',
  '--leader-elect=false',
];

function etcdSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'etcd',
    bin: tools.etcd,
    args: [
      '--name=kubeskippy',
      `--data-dir=${path.join(l.dataDir, 'etcd')}`,
      `--listen-client-urls=${loopback(l.ports.etcdClient, 'http')}`,
      `--advertise-client-urls=${loopback(l.ports.etcdClient, 'http')}`,
      `--listen-peer-urls=${loopback(l.ports.etcdPeer, 'http')}`,
      `--initial-advertise-peer-urls=${loopback(l.ports.etcdPeer, 'http')}`,
      `--initial-cluster=kubeskippy=${loopback(l.ports.etcdPeer, 'http')}`,
      // A throwaway one-member cluster: durability per write is not worth its latency here.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    probe: { url: `${loopback(l.ports.etcdClient, 'http')}/health`, verifyWithCa: false },
  };
}

function apiserverSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'kube-apiserver',
    bin: tools['kube-apiserver'],
    args: [
      `--etcd-servers=${loopback(l.ports.etcdClient, 'http')}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${l.ports.apiserver}`,
      // The default reconciler refuses a loopback address for the `kubernetes` Endpoints and
      // logs that forever; nothing in this cluster reaches the API through that Service.
      '--endpoint-reconciler-type=none',
      '--authorization-mode=Node,RBAC',
      `--client-ca-file=${l.pki.ca.cert}`,
      `--tls-cert-file=${l.pki.apiserver.cert}`,
      `--tls-private-key-file=${l.pki.apiserver.key}`,
      `--service-account-key-file=${l.pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${l.pki.serviceAccountKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // The aggregation layer (metrics.k8s.io is an aggregated API) proxies with this identity.
      `--requestheader-client-ca-file=${l.pki.frontProxyCa.cert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${l.pki.frontProxyClient.cert}`,
      `--proxy-client-key-file=${l.pki.frontProxyClient.key}`,
      '--allow-privileged=true',
      '--profiling=false',
    ],
    probe: { url: `${loopback(l.ports.apiserver)}/readyz`, verifyWithCa: true },
  };
}

function controllerManagerSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'kube-controller-manager',
    bin: tools['kube-controller-manager'],
    args: [
      ...delegated(l.kubeconfigs.controllerManager),
      `--secure-port=${l.ports.controllerManager}`,
      `--cert-dir=${path.join(l.dataDir, 'controller-manager')}`,
      // Each controller acts as its own ServiceAccount, so RBAC is exercised as in a real cluster.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${l.pki.serviceAccountKey}`,
      `--root-ca-file=${l.pki.ca.cert}`,
      `--cluster-signing-cert-file=${l.pki.ca.cert}`,
      `--cluster-signing-key-file=${l.pki.ca.key}`,
    ],
    probe: { url: `${loopback(l.ports.controllerManager)}/healthz`, verifyWithCa: false },
  };
}

function schedulerSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'kube-scheduler',
    bin: tools['kube-scheduler'],
    args: [
      ...delegated(l.kubeconfigs.scheduler),
      `--secure-port=${l.ports.scheduler}`,
      `--cert-dir=${path.join(l.dataDir, 'scheduler')}`,
    ],
    probe: { url: `${loopback(l.ports.scheduler)}/healthz`, verifyWithCa: false },
  };
}

function kwokSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'kwok',
    bin: tools.kwok,
    args: [
      `--kubeconfig=${l.kubeconfigs.admin}`,
      ...l.kwokConfigs.map((f) => `--config=${f}`),
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION.key}=${KWOK_NODE_ANNOTATION.value}`,
      '--node-ip=127.0.0.1',
      `--node-port=${l.ports.kwok}`,
      `--server-address=127.0.0.1:${l.ports.kwok}`,
      `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
      `--tls-cert-file=${l.pki.kwok.cert}`,
      `--tls-private-key-file=${l.pki.kwok.key}`,
    ],
    probe: { url: `${loopback(l.ports.kwok)}/healthz`, verifyWithCa: false },
  };
}

function metricsServerSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'metrics-server',
    bin: tools['metrics-server'],
    args: [
      // A cluster-admin identity for a local dev cluster; in a real one it has its own RBAC.
      `--kubeconfig=${l.kubeconfigs.admin}`,
      `--authentication-kubeconfig=${l.kubeconfigs.admin}`,
      `--authorization-kubeconfig=${l.kubeconfigs.admin}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${l.ports.metricsServer}`,
      `--cert-dir=${path.join(l.dataDir, 'metrics-server')}`,
      // kwok's fake nodes serve kubelet-style resource metrics on the node port, self-signed.
      '--kubelet-use-node-status-port',
      '--kubelet-insecure-tls',
      '--kubelet-preferred-address-types=InternalIP',
      '--metric-resolution=10s',
      '--kubelet-request-timeout=5s',
    ],
    // /readyz stays 503 until the first scrape of a node; readiness of the metrics API is
    // checked through the API server afterwards.
    probe: { url: `${loopback(l.ports.metricsServer)}/livez`, verifyWithCa: false },
  };
}

/**
 * kube-state-metrics: the `kube_pod_*` series (restarts, phase, readiness) Prometheus scrapes at
 * http://127.0.0.1:<port>/metrics. Pods only: the other resources' series cost watches and memory
 * nobody here reads.
 */
function kubeStateMetricsSpec(tools: ClusterTools, l: Layout): ComponentSpec {
  return {
    name: 'kube-state-metrics',
    bin: tools['kube-state-metrics'],
    args: [
      `--kubeconfig=${l.kubeconfigs.admin}`,
      '--host=127.0.0.1',
      `--port=${l.ports.kubeStateMetrics}`,
      // Its self-metrics listener: the default (:::8081) would be open on every address and taken
      // by any second cluster.
      '--telemetry-host=127.0.0.1',
      `--telemetry-port=${l.ports.kubeStateMetricsTelemetry}`,
      '--resources=pods',
    ],
    probe: { url: `${loopback(l.ports.kubeStateMetrics, 'http')}/healthz`, verifyWithCa: false },
  };
}
