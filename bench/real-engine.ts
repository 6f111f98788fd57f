// The engine of bench/engine.ts with the real control plane in place of the sim: a Temporal dev
// server of its own, the operator (controller + worker) in this process as `kubeskippy operator`
// composes it, talking to the API server as its ServiceAccount. Setup and observation go through
// the admin's client (not counted: the request counters match only the operator's identity).
import { Client, Connection } from '@temporalio/client';
import { PatchStrategy, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { createKube, loadKubeConfig, type Kube } from '../activities/kube/clients.js';
import { loadConfig, type OperatorConfig } from '../operator/config.js';
import type { RunningOperator } from '../operator/operator.js';
import type { KObject } from '../sim/contract.js';
import { startDevServer, type DevServer } from '../tools/dev-server.js';
import { benchWorkflowBundle, operatorStarter } from './engine.js';
import { sleep } from './figures.js';
import { deployment } from './sim-pods.js';
import type { RealCluster } from './real-cluster.js';

export interface RealBenchEngine {
  admin: Kube;
  client: Client;
  /** The operator's settings (its cluster name is in the workflow ids). */
  config: OperatorConfig;
  operator?: RunningOperator;
  startOperator(): Promise<RunningOperator>;
  /** Server-side apply with the admin's identity; creates each namespace first. */
  apply(objects: KObject[]): Promise<void>;
  /** Calls `onEvent` for every watch event of `path` (e.g. /api/v1/namespaces/x/pods) until stopped. */
  watch(path: string, onEvent: (type: string, obj: KObject) => void): Promise<() => void>;
  /** Deletes the policies, then the namespaces (without waiting for them to go). */
  cleanUp(namespaces: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startRealBenchEngine(
  cluster: RealCluster,
  opts: { operator?: boolean } = {},
): Promise<RealBenchEngine> {
  const workflowBundle = await benchWorkflowBundle();
  const admin = createKube(loadKubeConfig(cluster.adminKubeconfig));
  const temporal: DevServer = await startDevServer({ port: 0, headless: true });
  const config = loadConfig(
    {
      kubeconfig: cluster.operatorKubeconfig,
      temporalAddress: temporal.address,
      taskQueue: 'bench',
      metricsPort: 0,
      logLevel: 'warn',
    },
    { KUBESKIPPY_WATCH_CACHE: process.env['BENCH_WATCH_CACHE'] ?? 'on' },
  );
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const start = operatorStarter(config, workflowBundle);
  const namespaces = new Set<string>();
  const engine: RealBenchEngine = {
    admin,
    client,
    config,
    startOperator: async () => (engine.operator = await start()),
    apply: async (objects) => {
      for (const obj of objects) {
        const ns = obj.metadata.namespace;
        if (ns && !namespaces.has(ns)) {
          namespaces.add(ns);
          await admin.core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
        }
        await admin.objects.patch(
          obj as KubernetesObject,
          undefined,
          undefined,
          'kubeskippy-bench',
          true,
          PatchStrategy.ServerSideApply,
        );
      }
    },
    watch: async (path, onEvent) => {
      const req = await new Watch(admin.config).watch(
        path,
        {},
        (type: string, obj: KObject) => onEvent(type, obj),
        () => undefined,
      );
      return () => req.abort();
    },
    cleanUp: (ns) => cleanUp(admin, ns),
    stop: async () => {
      await engine.operator?.stop();
      await client.connection.close();
      await temporal.stop();
    },
  };
  if (opts.operator !== false) await engine.startOperator();
  return engine;
}

async function cleanUp(admin: Kube, namespaces: string[]): Promise<void> {
  for (const namespace of namespaces)
    await admin.custom
      .deleteCollectionNamespacedCustomObject({
        group: 'kubeskippy.io',
        version: 'v1alpha1',
        namespace,
        plural: 'healingpolicies',
      })
      .catch(() => undefined);
  for (const name of namespaces) await admin.core.deleteNamespace({ name }).catch(() => undefined);
}

/**
 * bench/sim-pods.ts's Deployment with small requests: the sim does not schedule by resources, the
 * real scheduler does, and at the sim's limits-as-requests (500m) a 16-CPU kwok node fits 32 pods.
 * The limits stay (the metric trigger is a percentage of them).
 */
export function realDeployment(namespace: string, name: string, replicas: number): KObject {
  const d = deployment(namespace, name, replicas);
  const pod = (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
  pod.containers = pod.containers.map((c) => ({
    ...c,
    resources: { ...(c.resources as object), requests: { cpu: '10m', memory: '16Mi' } },
  }));
  return d;
}

const isReady = (p: KObject): boolean =>
  ((p.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

/** Names of the Ready, not terminating pods labelled app=<app> in `namespace`. */
export async function readyPodNames(admin: Kube, namespace: string, app: string): Promise<string[]> {
  const pods = (await admin.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` }))
    .items as unknown as KObject[];
  return pods.filter((p) => !p.metadata.deletionTimestamp && isReady(p)).map((p) => p.metadata.name!);
}

export async function waitReadyReal(
  admin: Kube,
  namespace: string,
  app: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await readyPodNames(admin, namespace, app)).length < count) {
    if (Date.now() > end)
      throw new Error(`${namespace}: ${count} pods of ${app} not Ready in ${timeoutMs} ms`);
    await sleep(1_000);
  }
}
