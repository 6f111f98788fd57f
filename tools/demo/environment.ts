// Brings up (or reuses) everything the demo runs on: the Temporal dev server with its Web UI
// (persisted under .kubeskippy/), the simulated cluster, the CRDs, apps and policies, and the
// operator in this process. stop() takes it all down again in reverse order.
import { resolve } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import { startSim } from '../../sim/index.js';
import { loadConfig } from '../../operator/config.js';
import { findFreePort, startDevServer } from '../dev-server.js';
import { installTemporalRuntime } from '../../operator/logger.js';
import { startOperator } from '../../operator/operator.js';
import { ensureSearchAttributes } from '../../operator/search-attributes.js';
import { connectClient } from '../../operator/temporal.js';
import { applyAll, installCrds, scenarioManifests } from './cluster.js';
import { prepareOperatorIdentity } from './real-cluster.js';
import { DEMO_NAMESPACE, type Scenario } from './scenarios.js';
import { GROUP_VERSION } from '../../crds/api-group.js';

export interface EnvironmentOptions {
  scenarios: readonly Scenario[];
  /** Reuse this Temporal frontend instead of starting a dev server. */
  temporalAddress?: string;
  /** Reuse this cluster (or a running sim) instead of starting one. */
  kubeconfig?: string;
  /** The cluster to start when no kubeconfig is given (default sim). */
  cluster?: 'sim' | 'real';
  uiPort: number;
  /** The dev server's gRPC port (default 7233; 0 = a free one). */
  temporalPort?: number;
  timeScale: number;
  /** Where the dev server's database, the sim's kubeconfig and the operator log go. */
  stateDir: string;
  progress: (msg: string) => void;
}

export interface Environment {
  kube: Kube;
  client: Client;
  /** The admin's (what the demo and kubectl use). */
  kubeconfig: string;
  /** The operator's: the same, except on the real cluster, where it is its ServiceAccount's. */
  operatorKubeconfig: string;
  /** The operator's cluster name: the admin kubeconfig's context, as `demo monitor` finds it. */
  clusterName: string;
  temporalAddress: string;
  temporalNamespace: string;
  uiUrl?: string;
  operatorLog: string;
  /** The operator's /metrics (a free port: 9464 may be taken on a workstation). */
  metricsUrl: string;
  applied: string[];
  stop(): Promise<void>;
}

/** Its own task queue, so a demo never hands work to (or steals it from) another operator. */
export const DEMO_TASK_QUEUE = 'kubeskippy-demo';

export async function startEnvironment(opts: EnvironmentOptions): Promise<Environment> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    // Workaround: the controller's status mirror can still have a query in flight when the
    // operator closes its client, and the SDK's retry timer then throws "Channel has been shut
    // down" from a timer, which would crash the demo while it tidies up. Nothing is lost.
    const ignoreClosedChannel = (err: Error): void => {
      if (!/Channel has been shut down/.test(err.message)) throw err;
    };
    process.on('uncaughtException', ignoreClosedChannel);
    for (const s of stops.reverse()) await s().catch(() => undefined);
    setTimeout(() => process.removeListener('uncaughtException', ignoreClosedChannel), 5000).unref();
  };
  try {
    return { ...(await bringUp(opts, stops)), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function bringUp(
  opts: EnvironmentOptions,
  stops: (() => Promise<void>)[],
): Promise<Omit<Environment, 'stop'>> {
  const { progress } = opts;
  let temporalAddress = opts.temporalAddress;
  let uiUrl: string | undefined;
  if (!temporalAddress) {
    progress('starting the Temporal dev server');
    const server = await startDevServer({
      port: opts.temporalPort ?? 7233,
      uiPort: opts.uiPort,
      dbFile: resolve(opts.stateDir, 'temporal.db'),
      onProgress: progress,
      // Ctrl-C goes to the demo alone: it ends its workflows first, then stops the server.
      ownProcessGroup: true,
    });
    stops.push(() => server.stop());
    temporalAddress = server.address;
    uiUrl = server.uiUrl;
  }
  const operatorLog = resolve(opts.stateDir, 'demo-operator.log');
  const config = loadConfig({
    temporalAddress,
    taskQueue: DEMO_TASK_QUEUE,
    metricsPort: 0,
    ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
  });
  const client = await connectClient(config);
  stops.push(() => client.connection.close());
  await ensureSearchAttributes(client.connection as Connection, config.temporalNamespace);
  await clearPreviousRun(client, progress);

  const { kubeconfig, operatorKubeconfig } = await startCluster(opts, stops);
  const kube = createKube(loadKubeConfig(kubeconfig));
  progress('installing the CRDs');
  await installCrds(kube);
  await removeDemoObjects(kube);

  // The operator first, then the apps: the story starts when the pods do (memory ~20%), not
  // after the seconds it takes to bundle the workflows.
  progress('starting the operator (bundling the workflows takes a few seconds)');
  // The operator logs JSON to a file: the terminal belongs to the live view.
  const logger = pino(
    { level: 'info', base: { app: 'kubeskippy', role: 'demo' } },
    pino.destination({ dest: operatorLog, mkdir: true }),
  );
  // The operator's own Runtime set-up: Temporal's and the SDK core's logs into the log file (not
  // over the live view), and the SDK's worker metrics (temporal_*) re-exported on /metrics.
  const sdkMetricsAddress = `127.0.0.1:${await findFreePort()}`;
  installTemporalRuntime(logger, { sdkMetricsAddress });
  // Stops run in reverse: the operator first (its controller would restart a terminated policy
  // workflow whose CR still exists), then the demo's workflows are ended while the server is up,
  // so nothing is left retrying against a cluster that is about to disappear.
  stops.push(() => terminateDemoWorkflows(client, 'the demo stopped'));
  // As an operator run with the demo's kubeconfig would name it, so `demo monitor` finds its policies.
  const { clusterName, clusterNameFrom } = loadConfig({ kubeconfig });
  const operator = await startOperator({
    config: { ...config, kubeconfig: operatorKubeconfig, clusterName, clusterNameFrom },
    role: 'all',
    logger,
    sdkMetricsAddress,
  });
  stops.push(() => operator.stop());

  progress('deploying the demo apps and the policies');
  const { apps, policies } = await scenarioManifests(opts.scenarios, opts.timeScale);
  const applied = [...(await applyAll(kube, apps)), ...(await applyAll(kube, policies))];
  return {
    kube,
    client,
    kubeconfig,
    operatorKubeconfig,
    clusterName,
    temporalAddress,
    temporalNamespace: config.temporalNamespace,
    ...(uiUrl ? { uiUrl } : {}),
    operatorLog,
    metricsUrl: `http://127.0.0.1:${operator.metricsPort}/metrics`,
    applied,
  };
}

/**
 * Policy workflows outlive their operator (that is the point of Temporal), so a previous demo's
 * would resume here with that run's cooldowns and counters; and action workflow ids are business
 * keys (policy, trigger, target, sequence), so this run's first actions would find the previous
 * run's ids taken and never start. Each run starts clean: the previous run's workflows are
 * terminated and deleted (the server keeps everything else).
 */
async function clearPreviousRun(client: Client, progress: (msg: string) => void): Promise<void> {
  const query = `KubeSkippyNamespace="${DEMO_NAMESPACE}"`;
  let count = 0;
  for await (const wf of client.workflow.list({ query })) {
    if (count++ === 0) progress("removing the previous demo run's workflows (this run reuses their ids)");
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    if (wf.status.name === 'RUNNING') await handle.terminate('a new demo run started').catch(() => undefined);
    await client.workflowService
      .deleteWorkflowExecution({
        namespace: client.options.namespace,
        workflowExecution: { workflowId: wf.workflowId, runId: wf.runId },
      })
      .catch(() => undefined);
  }
  // Deletion is asynchronous: wait until the ids are free (visibility follows the deletion).
  const deadline = Date.now() + 30_000;
  while (count > 0 && Date.now() < deadline) {
    const left = await client.workflow.count(query).then((c) => c.count);
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Ends this run's workflows while the server is still up, so the persisted database holds no
 * Running demo workflow (the next run would otherwise find them; it also clears them itself). All
 * at once and within a deadline: a stop must not wait on a server that does not answer.
 */
async function terminateDemoWorkflows(client: Client, reason: string, timeoutMs = 5000): Promise<void> {
  const query = `KubeSkippyNamespace="${DEMO_NAMESPACE}" AND ExecutionStatus="Running"`;
  await client.connection.withDeadline(Date.now() + timeoutMs, async () => {
    const ends: Promise<unknown>[] = [];
    for await (const wf of client.workflow.list({ query }))
      ends.push(
        client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .terminate(reason)
          .catch(() => undefined),
      );
    await Promise.all(ends);
  });
}

/** A reused cluster may hold a previous run's policies and actions: start from none. */
async function removeDemoObjects(kube: Kube): Promise<void> {
  for (const plural of ['healingpolicies', 'healingactions']) {
    await kube.custom
      .deleteCollectionNamespacedCustomObject({
        ...GROUP_VERSION,
        namespace: DEMO_NAMESPACE,
        plural,
      })
      .catch(() => undefined);
  }
}

/** The cluster to run on: the given one, the simulated one (default) or a real control plane. */
async function startCluster(
  opts: EnvironmentOptions,
  stops: (() => Promise<void>)[],
): Promise<{ kubeconfig: string; operatorKubeconfig: string }> {
  if (opts.kubeconfig) return { kubeconfig: opts.kubeconfig, operatorKubeconfig: opts.kubeconfig };
  if (opts.cluster !== 'real') {
    opts.progress('starting the simulated cluster');
    const kubeconfig = resolve(opts.stateDir, 'sim.kubeconfig');
    const sim = await startSim({ port: 0, nodes: 3, timeScale: opts.timeScale, kubeconfigOut: kubeconfig });
    stops.push(() => sim.stop());
    return { kubeconfig, operatorKubeconfig: kubeconfig };
  }
  opts.progress('starting the real cluster (etcd, kube-apiserver, controllers, kwok, metrics-server)');
  const { startCluster: startReal } = await import('../../cluster/index.js');
  const kubeconfig = resolve(opts.stateDir, 'cluster.kubeconfig');
  const cluster = await startReal({
    port: 0,
    nodes: 3,
    dataDir: resolve(opts.stateDir, 'demo-cluster'),
    kubeconfigOut: kubeconfig,
    allowBuild: true,
    freshData: true,
    log: (msg) => opts.progress(`cluster: ${msg}`),
  });
  stops.push(() => cluster.stop());
  const identity = await prepareOperatorIdentity(kubeconfig, opts.stateDir);
  opts.progress(
    `the operator runs as system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`,
  );
  return { kubeconfig, operatorKubeconfig: identity.kubeconfig };
}
