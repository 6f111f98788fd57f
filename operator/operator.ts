// The composition root: `kubeskippy operator` runs controller and worker together; `worker` and
// `controller` run one half each, so workers can scale out.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { AiDeps } from '../activities/ai/analyze.js';
import { WatchCache } from '../activities/cache/watch-cache.js';
import { createKube, loadKubeConfig, type Kube } from '../activities/kube/clients.js';
import { readFile } from 'node:fs/promises';
import type { Client, ClientPlugin } from '@temporalio/client';
import { alertsSignal } from '../workflows/messages.js';
import { ALERT_PATH, startAlertReceiver, type AlertReceiver } from './alerts/receiver.js';
import { ConfigError, type OperatorConfig } from './config.js';
import { Controller } from './controller/controller.js';
import { startHealthServer, type HealthOptions, type HealthServer } from './health.js';
import { startLeadership, type Leadership } from './leader/leadership.js';
import { requireSearchAttributes } from './search-attributes.js';
import { createMetrics } from './metrics.js';
import type { Logger } from './logger.js';
import { connectClient, connectWorker } from './temporal.js';
import { signalEvaluateNow, Waker } from './wake.js';
import type { WorkerPlugin } from '@temporalio/worker';
import { createWorker } from './worker.js';

export type OperatorRole = 'all' | 'worker' | 'controller';

export interface RunningOperator {
  /** Settles when the worker stops (or at once for a controller-only process). */
  done: Promise<void>;
  metricsPort: number;
  /** The Alertmanager receiver's port, when configured (controller and all-in-one roles). */
  alertPort?: number;
  stop(): Promise<void>;
}

export interface StartOperatorOptions {
  config: OperatorConfig;
  role: OperatorRole;
  logger: Logger;
  workflowBundle?: { code: string };
  /** HOST:PORT where the Temporal runtime serves the SDK's metrics; appended to /metrics. */
  sdkMetricsAddress?: string;
}

export async function startOperator(opts: StartOperatorOptions): Promise<RunningOperator> {
  const { config, logger, role } = opts;
  const kube = createKube(loadKubeConfig(config.kubeconfig));
  const registry = new Registry();
  // Every series says which cluster it is from, so one Prometheus (or a federation) can hold a fleet.
  registry.setDefaultLabels({ cluster: config.clusterName });
  logger.info(
    { cluster: config.clusterName, from: config.clusterNameFrom, taskQueue: config.taskQueue },
    config.clusterNameFrom === 'default'
      ? 'cluster name "default": no kubeconfig context names this cluster; set --cluster-name (KUBESKIPPY_CLUSTER_NAME, chart value clusterName) when several clusters share one Temporal namespace'
      : `cluster name "${config.clusterName}" (from the ${config.clusterNameFrom})`,
  );
  // prom-client's names already say process_/nodejs_: the prefix only names the program.
  collectDefaultMetrics({ register: registry, prefix: 'kubeskippy_' });
  const metrics = createMetrics(registry);

  let workerRunning = false;
  const stops: (() => Promise<void>)[] = [];
  let done: Promise<void> = Promise.resolve();
  const { plugins, stopTracing } = await startTracingIfSet(config);

  if (role !== 'controller') {
    const watch = config.watchCache ? await startWatchCache(opts, kube) : undefined;
    const connection = await connectWorker(config);
    // The activities' own client: they ask the cluster workflow (kill switch, budget) by update and query.
    const temporal = await connectClient(config, plugins);
    const bundle =
      opts.workflowBundle ?? (config.workflowBundle ? { codePath: config.workflowBundle } : undefined);
    const worker = await createWorker({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      ...(bundle ? { workflowBundle: bundle } : {}),
      sinks: metrics.sinks,
      plugins,
      activities: { ...activityDeps(config, kube, watch), temporal },
    });
    workerRunning = true;
    done = worker.run().finally(() => {
      workerRunning = false;
    });
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
      await connection.close();
      await temporal.connection.close();
      await watch?.stop(); // after the worker: in-flight snapshots may still read it
    });
    logger.info({ taskQueue: config.taskQueue, namespace: config.temporalNamespace }, 'worker running');
  }

  let half: ControllerHalf | undefined;
  if (role !== 'worker') {
    half = await startControllerHalf(config, kube, { logger, registry, plugins });
    stops.unshift(half.stop);
  }
  const leadership = half?.leadership;

  // Port 0 picks a free port (tests run several operators side by side).
  const health = await serveHealth(opts, registry, {
    ready: () =>
      (role === 'controller' || workerRunning) &&
      (role === 'worker' || (leadership && !leadership.leading()) || Boolean(half?.controller()?.ready)),
    notReadyReason: () =>
      [
        role !== 'controller' && !workerRunning ? 'the worker is not running' : undefined,
        role !== 'worker' && !(leadership && !leadership.leading())
          ? (half?.controller()?.notReadyReason() ?? (leadership ? 'the controller is starting' : undefined))
          : undefined,
      ]
        .filter(Boolean)
        .join('; ') || undefined,
    ...(leadership ? { statusLine: leadership.statusLine } : {}),
  });
  stops.push(() => health.close(), stopTracing); // tracing last: it flushes the spans of all the above

  let stopping: Promise<void> | undefined;
  return {
    done,
    metricsPort: health.port,
    ...(half?.alertPort !== undefined ? { alertPort: half.alertPort } : {}),
    stop: () =>
      (stopping ??= (async () => {
        for (const stop of stops) await stop();
      })()),
  };
}

/**
 * /healthz, /readyz and /metrics (the SDK's series appended). Logged here rather than by each
 * caller, so the demo's operator (on a free port, logging to a file) says where its /metrics is
 * just as `kubeskippy operator` does.
 */
async function serveHealth(
  opts: StartOperatorOptions,
  registry: Registry,
  readiness: Pick<HealthOptions, 'ready' | 'notReadyReason' | 'statusLine'>,
): Promise<HealthServer> {
  const { config, sdkMetricsAddress } = opts;
  const health = await startHealthServer({
    port: config.metricsPort,
    host: config.metricsAddress,
    ...readiness,
    registry,
    ...(sdkMetricsAddress ? { extraMetrics: () => fetchText(`http://${sdkMetricsAddress}/metrics`) } : {}),
  });
  opts.logger.info(
    { metricsAddress: config.metricsAddress, metricsPort: health.port },
    'health on /healthz and /readyz, metrics on /metrics',
  );
  return health;
}

/** Traces when an OTLP endpoint is set (operator/tracing.ts); off, not even the OTel SDK is loaded. */
async function startTracingIfSet(
  config: OperatorConfig,
): Promise<{ plugins: ClientPlugin[] & WorkerPlugin[]; stopTracing: () => Promise<void> }> {
  if (!config.tracing) return { plugins: [], stopTracing: () => Promise.resolve() };
  const tracing = (await import('./tracing.js')).startTracing(config.tracing);
  return { plugins: [tracing.plugin], stopTracing: () => tracing.shutdown() };
}

interface ControllerHalf {
  /** The running controller: always without leader election, only while leading with it. */
  controller(): Controller | undefined;
  leadership?: Leadership;
  alertPort?: number;
  stop(): Promise<void>;
}

/**
 * The controller and its Alertmanager receiver, started and stopped together: at once, or with
 * --leader-elect each time this replica becomes the leader (operator/leader/leadership.ts).
 */
async function startControllerHalf(
  config: OperatorConfig,
  kube: Kube,
  deps: { logger: Logger; registry: Registry; plugins: ClientPlugin[] },
): Promise<ControllerHalf> {
  let controller: Controller | undefined;
  let alertPort: number | undefined;
  const lead = async (): Promise<() => Promise<void>> => {
    const half = await startController(config, kube, deps.logger, deps.plugins);
    const receiver = config.alertPort !== undefined ? await startAlerts(config, half, deps) : undefined;
    controller = half.controller;
    alertPort = receiver?.port;
    return async () => {
      controller = undefined;
      await receiver?.close(); // stop taking alerts before the controller stops
      await half.stop();
    };
  };
  if (config.leaderElect) {
    const leadership = await startLeadership({ config, kc: kube.config, ...deps, lead });
    return { controller: () => controller, leadership, stop: () => leadership.stop() };
  }
  const stop = await lead();
  return { controller: () => controller, ...(alertPort !== undefined ? { alertPort } : {}), stop };
}

/** The controller half: CRs to workflows, workflow state to CR status, approvals relayed. */
async function startController(
  config: OperatorConfig,
  kube: Kube,
  logger: Logger,
  plugins: ClientPlugin[],
): Promise<{ controller: Controller; client: Client; stop: () => Promise<void> }> {
  const client = await connectClient(config, plugins);
  // Before the first workflow start: every workflow upserts these, and a missing one fails there.
  const added = await requireSearchAttributes(client.connection, config.temporalNamespace, (m) =>
    logger.warn(m),
  );
  if (added.length)
    logger.info({ added, namespace: config.temporalNamespace }, 'registered search attributes');
  const controller = new Controller({
    kube,
    client,
    cluster: config.clusterName,
    taskQueue: config.taskQueue,
    logger,
    mirrorTimings: { lastEvaluatedResolutionMs: config.statusHeartbeatMs },
  });
  await controller.start();
  logger.info('controller watching HealingPolicies and HealingActions');
  return {
    controller,
    client,
    stop: async () => {
      await controller.stop();
      await client.connection.close();
    },
  };
}

/** The Alertmanager receiver: alerts go by signal to the policy workflows the controller runs. */
async function startAlerts(
  config: OperatorConfig,
  half: { controller: Controller; client: Client },
  deps: { logger: Logger; registry: Registry },
): Promise<AlertReceiver> {
  const token = (await readFile(config.alertTokenFile!, 'utf8')).trim();
  if (!token) throw new ConfigError(`the alert token file ${config.alertTokenFile} is empty`);
  const receiver = await startAlertReceiver({
    port: config.alertPort ?? 0,
    host: config.metricsAddress,
    token,
    policies: () => half.controller.runningPolicies(),
    deliver: (workflowId, notices) =>
      half.client.workflow.getHandle(workflowId).signal(alertsSignal, notices),
    logger: deps.logger.child({ component: 'alert-receiver' }),
    registry: deps.registry,
  });
  deps.logger.info({ port: receiver.port, path: ALERT_PATH }, 'Alertmanager receiver listening');
  return receiver;
}

/**
 * The worker's shared watch cache and the wake-ups it drives (KUBESKIPPY_WATCH_CACHE, default on).
 * Its own Temporal client sends the evaluateNow signals, so a worker-only process needs no controller.
 */
async function startWatchCache(
  opts: StartOperatorOptions,
  kube: ReturnType<typeof createKube>,
): Promise<{ cache: WatchCache; register: Waker['register']; stop(): Promise<void> }> {
  const log = opts.logger.child({ component: 'watch-cache' });
  const cache = new WatchCache({ kube, log: (level, msg, fields) => log[level](fields, msg) });
  const client = await connectClient(opts.config);
  const waker = new Waker({ cache, signal: signalEvaluateNow(client), logger: log });
  return {
    cache,
    register: (id, req) => waker.register(id, req),
    stop: async () => {
      waker.stop();
      cache.stop();
      await client.connection.close();
    },
  };
}

/** What the activities get: the cluster, the configuration they need, the shared watch cache. */
function activityDeps(
  config: OperatorConfig,
  kube: Kube,
  watch: { cache: WatchCache; register: Waker['register'] } | undefined,
): Parameters<typeof createWorker>[0]['activities'] {
  return {
    kube,
    temporalUiUrl: config.temporalUiUrl,
    temporalNamespace: config.temporalNamespace,
    ...(config.prometheusUrl ? { prometheusUrl: config.prometheusUrl } : {}),
    ...(config.alertmanagerUrl ? { alertmanagerUrl: config.alertmanagerUrl } : {}),
    webhookAllow: config.webhookAllow,
    ...(config.notificationsSecret ? { notificationsSecret: config.notificationsSecret } : {}),
    ai: aiDeps(config),
    ...(watch ? { cache: watch.cache, onPolicyRequest: watch.register } : {}),
  };
}

/** Model endpoints and credentials for the analyzeIncident activity, from configuration only. */
function aiDeps(config: OperatorConfig): AiDeps {
  return {
    ...(config.ollamaHost ? { ollamaHost: config.ollamaHost } : {}),
    ...(config.openaiApiKey ? { openaiApiKey: config.openaiApiKey } : {}),
    ...(config.openaiBaseUrl ? { openaiBaseUrl: config.openaiBaseUrl } : {}),
    ...(config.aiModel ? { defaultModel: config.aiModel } : {}),
  };
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok ? res.text() : '';
}
