// The engine on the real control plane: the tier's cluster (test/support/real-cluster-setup.ts),
// the shared Temporal dev server, and the operator (controller + worker) as `kubeskippy operator`
// composes it, talking to the API server as its own ServiceAccount. Each engine gets its own
// namespace and task queue. The operator's controller watches HealingPolicies cluster-wide, so the
// real tier runs its files one at a time and each engine deletes its policies before it ends.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FIELD_MANAGER, createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import type { HealingAction } from '../../crds/healing-action.js';
import type { KObject } from '../../sim/contract.js';
import { loadConfig, type OperatorConfig } from '../../operator/config.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import { realKubeconfig } from './kubeconfig.js';
import { capturingLogger, intoNamespace, workflowBundle, type LogLine } from '../support/engine-harness.js';
import { connectClient, installQuietRuntime, testTemporal, uniqueTaskQueue } from '../support/temporal.js';

const root = join(import.meta.dirname, '..', '..');

export { realKubeconfig } from './kubeconfig.js';

export interface RealEngine {
  namespace: string;
  /** The admin's client (system:masters): what the test itself uses to set up and look. */
  kube: Kube;
  client: Client;
  config: OperatorConfig;
  operator?: RunningOperator;
  logs: LogLine[];
  apply(objects: KObject[]): Promise<void>;
  manifests(file: string): Promise<KObject[]>;
  actions(): Promise<HealingAction[]>;
  pods(app: string): Promise<KObject[]>;
  stop(): Promise<void>;
}

export interface RealEngineOptions {
  operator?: boolean;
  /** The operator's kubeconfig; default the tier's ServiceAccount one (e.g. a fault proxy's instead). */
  operatorKubeconfig?: string;
  /** A Prometheus for the operator's PromQL triggers (KUBESKIPPY_PROMETHEUS_URL). */
  prometheusUrl?: string;
  /** Another control plane than the tier's (a fleet's second cluster): its admin kubeconfig. */
  adminKubeconfig?: string;
  /** The namespace to create and use; default a fresh `r-<random>`. */
  namespace?: string;
  /**
   * The operator's --cluster-name. Set, the task queue is left to its default
   * (`kubeskippy-<cluster>`), as in a fleet; unset, a unique queue per engine.
   */
  clusterName?: string;
  /** Another Temporal server than the tier's (e.g. one with the Web UI). */
  temporal?: { address: string; namespace: string };
}

export async function startRealEngine(opts: RealEngineOptions = {}): Promise<RealEngine> {
  installQuietRuntime();
  const kube = createKube(loadKubeConfig(opts.adminKubeconfig ?? realKubeconfig()));
  const namespace = opts.namespace ?? `r-${randomUUID().slice(0, 8)}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const temporal = opts.temporal ?? testTemporal();
  const config = loadConfig(
    {
      kubeconfig: opts.operatorKubeconfig ?? inject('realOperatorKubeconfig'),
      temporalAddress: temporal.address,
      temporalNamespace: temporal.namespace,
      ...(opts.clusterName ? { clusterName: opts.clusterName } : { taskQueue: uniqueTaskQueue('real') }),
      metricsPort: 0,
      logLevel: 'info',
      ...(opts.prometheusUrl ? { prometheusUrl: opts.prometheusUrl } : {}),
    },
    {},
  );
  const client = await connectClient(temporal);
  const engine: RealEngine = {
    namespace,
    kube,
    client,
    config,
    logs: [],
    apply: async (objects) => {
      for (const obj of intoNamespace(objects, namespace)) {
        await kube.objects.patch(
          obj as KubernetesObject,
          undefined,
          undefined,
          `${FIELD_MANAGER}-test`,
          true,
          PatchStrategy.ServerSideApply,
        );
      }
    },
    manifests: async (file) =>
      parseAllDocuments(await readFile(join(root, file), 'utf8'))
        .map((d) => d.toJS() as KObject)
        .filter((o) => o?.kind),
    actions: async () =>
      (
        (await kube.custom.listNamespacedCustomObject({
          group: 'kubeskippy.io',
          version: 'v1alpha1',
          namespace,
          plural: 'healingactions',
        })) as { items: HealingAction[] }
      ).items,
    pods: async (app) =>
      (await kube.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` }))
        .items as unknown as KObject[],
    stop: async () => {
      await engine.operator?.stop();
      // Only this engine's cluster: a fleet's other engine may use the same namespace name.
      for await (const wf of client.workflow.list({
        query: `KubeSkippyCluster="${config.clusterName}" AND KubeSkippyNamespace="${namespace}" AND ExecutionStatus="Running"`,
      })) {
        await client.workflow
          .getHandle(wf.workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      // Policies first, so the next file's operator never sees one of ours.
      await kube.custom
        .deleteCollectionNamespacedCustomObject({
          group: 'kubeskippy.io',
          version: 'v1alpha1',
          namespace,
          plural: 'healingpolicies',
        })
        .catch(() => undefined);
      await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await client.connection.close();
    },
  };
  if (opts.operator !== false) {
    engine.operator = await startOperator({
      config,
      role: 'all',
      logger: capturingLogger(engine.logs, { test: namespace }),
      workflowBundle: await workflowBundle(),
    });
  }
  return engine;
}

/** Log lines that say the API server refused the operator (RBAC): there must be none. */
export function forbiddenLines(logs: readonly LogLine[]): LogLine[] {
  return logs.filter((l) => /\b403\b|forbidden/i.test(JSON.stringify(l)));
}
