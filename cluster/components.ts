// The command lines of the six control-plane processes, in start order. Every listener is on
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
  const { pki, ports } = l;
  const dir = (name: string): string => path.join(l.dataDir, name);
  // The controller-manager and the scheduler authenticate callers of their own endpoints through
  // the API server (delegated authn/authz), with the same credentials they use for it.
  const delegated = (kubeconfig: string): string[] => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
  ];
  return [
    {
      name: 'etcd',
      bin: tools.etcd,
      args: [
        '--name=kubeskippy',
        `--data-dir=${dir('etcd')}`,
        `--listen-client-urls=${loopback(ports.etcdClient, 'http')}`,
        `--advertise-client-urls=${loopback(ports.etcdClient, 'http')}`,
        `--listen-peer-urls=${loopback(ports.etcdPeer, 'http')}`,
        `--initial-advertise-peer-urls=${loopback(ports.etcdPeer, 'http')}`,
        `--initial-cluster=kubeskippy=${loopback(ports.etcdPeer, 'http')}`,
        // A throwaway one-member cluster: durability per write is not worth its latency here.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      probe: { url: `${loopback(ports.etcdClient, 'http')}/health`, verifyWithCa: false },
    },
    {
      name: 'kube-apiserver',
      bin: tools['kube-apiserver'],
      args: [
        `--etcd-servers=${loopback(ports.etcdClient, 'http')}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${ports.apiserver}`,
        // The default reconciler refuses a loopback address for the `kubernetes` Endpoints and
        // logs that forever; nothing in this cluster reaches the API through that Service.
        '--endpoint-reconciler-type=none',
        '--authorization-mode=Node,RBAC',
        `--client-ca-file=${pki.ca.cert}`,
        `--tls-cert-file=${pki.apiserver.cert}`,
        `--tls-private-key-file=${pki.apiserver.key}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        // The aggregation layer (metrics.k8s.io is an aggregated API) proxies with this identity.
        `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
        `--proxy-client-key-file=${pki.frontProxyClient.key}`,
        '--allow-privileged=true',
        '--profiling=false',
      ],
      probe: { url: `${loopback(ports.apiserver)}/readyz`, verifyWithCa: true },
    },
    {
      name: 'kube-controller-manager',
      bin: tools['kube-controller-manager'],
      args: [
        ...delegated(l.kubeconfigs.controllerManager),
        `--secure-port=${ports.controllerManager}`,
        `--cert-dir=${dir('controller-manager')}`,
        // Each controller acts as its own ServiceAccount, so RBAC is exercised as in a real cluster.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.ca.cert}`,
        `--cluster-signing-cert-file=${pki.ca.cert}`,
        `--cluster-signing-key-file=${pki.ca.key}`,
      ],
      probe: { url: `${loopback(ports.controllerManager)}/healthz`, verifyWithCa: false },
    },
    {
      name: 'kube-scheduler',
      bin: tools['kube-scheduler'],
      args: [
        ...delegated(l.kubeconfigs.scheduler),
        `--secure-port=${ports.scheduler}`,
        `--cert-dir=${dir('scheduler')}`,
      ],
      probe: { url: `${loopback(ports.scheduler)}/healthz`, verifyWithCa: false },
    },
    {
      name: 'kwok',
      bin: tools.kwok,
      args: [
        `--kubeconfig=${l.kubeconfigs.admin}`,
        ...l.kwokConfigs.map((f) => `--config=${f}`),
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION.key}=${KWOK_NODE_ANNOTATION.value}`,
        '--node-ip=127.0.0.1',
        `--node-port=${ports.kwok}`,
        `--server-address=127.0.0.1:${ports.kwok}`,
        `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
        `--tls-cert-file=${pki.kwok.cert}`,
        `--tls-private-key-file=${pki.kwok.key}`,
      ],
      probe: { url: `${loopback(ports.kwok)}/healthz`, verifyWithCa: false },
    },
    {
      name: 'metrics-server',
      bin: tools['metrics-server'],
      args: [
        // A cluster-admin identity for a local dev cluster; in a real one it has its own RBAC.
        `--kubeconfig=${l.kubeconfigs.admin}`,
        `--authentication-kubeconfig=${l.kubeconfigs.admin}`,
        `--authorization-kubeconfig=${l.kubeconfigs.admin}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.metricsServer}`,
        `--cert-dir=${dir('metrics-server')}`,
        // kwok's fake nodes serve kubelet-style resource metrics on the node port, self-signed.
        '--kubelet-use-node-status-port',
        '--kubelet-insecure-tls',
        '--kubelet-preferred-address-types=InternalIP',
        '--metric-resolution=10s',
        '--kubelet-request-timeout=5s',
      ],
      // /readyz stays 503 until the first scrape of a node; readiness of the metrics API is
      // checked through the API server afterwards.
      probe: { url: `${loopback(ports.metricsServer)}/livez`, verifyWithCa: false },
    },
  ];
}
