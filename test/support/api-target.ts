// Where the API conformance suites (test/support/conformance/*) run: the simulated cluster
// (`startSim`: sim/api plus sim/controllers) or the real control plane of the real tier. A suite
// is one body of tests against an ApiTarget; test/integration/sim-api-*.test.ts run it on the sim
// and test/real/api-conformance-*.test.ts on the real cluster, so both answer the same requests.
// Where the sim does not model something the real server does, the suite says so with
// `target.sim` and docs/sim.md lists it; what is asserted against the real server never weakens.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { startSim, type SimHandle } from '../../sim/index.js';
import { waitFor } from './sim-fixtures.js';

export interface ApiTarget {
  name: 'sim' | 'real';
  /** An admin kubeconfig file (kubectl and client-node). */
  kubeconfig: string;
  kc: k8s.KubeConfig;
  /** The API server's URL (for the few raw requests no client makes). */
  url: string;
  /** A namespace created for this file, deleted by stop(). */
  namespace: string;
  /** A Ready node whose pods run (sim-node-1 / kwok-node-0). */
  node: string;
  /** The simulated cluster, for what only it has (its store is never read by the suites). */
  sim?: SimHandle | ApiServerHandle;
  /** A name unique to this run, for cluster-scoped objects (CRD groups, nodes). */
  unique: string;
  /** fetch() with the target's credentials (the real server wants its client certificate). */
  fetch(
    path: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
  }>;
  stop(): Promise<void>;
}

/** A fresh simulated cluster for one test file. */
export async function simTarget(): Promise<ApiTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-conf-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const sim = await startSim({ kubeconfigOut: kubeconfig, timeScale: 0.2 });
  return open({
    name: 'sim',
    kubeconfig,
    node: 'sim-node-1',
    sim,
    cleanup: async () => {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** Only the sim's API server (no controllers): for suites about the API alone, such as watch. */
export async function simApiTarget(opts: Parameters<typeof startApiServer>[0] = {}): Promise<ApiTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-conf-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const api = await startApiServer(opts);
  await api.writeKubeconfig(kubeconfig);
  return open({
    name: 'sim',
    kubeconfig,
    node: 'sim-node-1',
    sim: api,
    cleanup: async () => {
      await api.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** The real tier's cluster (an admin kubeconfig), with a namespace of this file's own. */
export async function realTarget(kubeconfig: string): Promise<ApiTarget> {
  return open({ name: 'real', kubeconfig, node: 'kwok-node-0', cleanup: async () => {} });
}

async function open(o: {
  name: ApiTarget['name'];
  kubeconfig: string;
  node: string;
  sim?: SimHandle | ApiServerHandle;
  cleanup: () => Promise<void>;
}): Promise<ApiTarget> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(o.kubeconfig);
  const unique = randomUUID().slice(0, 8);
  const namespace = `conf-${unique}`;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // A real API server refuses pods until the namespace's default ServiceAccount exists (its
  // controller makes it a moment later); the sim serves no ServiceAccounts (docs/sim.md).
  if (o.name === 'real') await defaultServiceAccount(core, namespace);
  const url = kc.getCurrentCluster()!.server;
  return {
    name: o.name,
    kubeconfig: o.kubeconfig,
    kc,
    url,
    namespace,
    node: o.node,
    unique,
    ...(o.sim ? { sim: o.sim } : {}),
    fetch: (path, init = {}) => rawRequest(kc, `${url}${path}`, init),
    stop: async () => {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await o.cleanup();
    },
  };
}

/** One HTTP request with the kubeconfig's credentials (CA, client certificate or token). */
async function rawRequest(
  kc: k8s.KubeConfig,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const opts: RequestOptions = { method: init.method ?? 'GET', headers: { ...init.headers } };
  await kc.applyToHTTPSOptions(opts);
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Polls until the pod is Running and Ready (the sim's kubelet or kwok runs it). */
export async function podReady(target: ApiTarget, namespace: string, name: string): Promise<k8s.V1Pod> {
  const core = target.kc.makeApiClient(k8s.CoreV1Api);
  return waitFor(
    async () => {
      const p = await core.readNamespacedPod({ namespace, name });
      return (
        p.status?.phase === 'Running' &&
        p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        p
      );
    },
    `pod ${namespace}/${name} to be Running and Ready`,
    30_000,
  );
}

export async function defaultServiceAccount(core: k8s.CoreV1Api, namespace: string): Promise<void> {
  await waitFor(
    () => core.readNamespacedServiceAccount({ namespace, name: 'default' }),
    `the default ServiceAccount of ${namespace}`,
    30_000,
  );
}
