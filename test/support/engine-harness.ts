// The whole engine for integration tests: the simulated cluster (over HTTP), the shared Temporal
// dev server, and the operator (controller + worker) exactly as `kubeskippy operator` composes it.
// Nothing of ours is mocked. Each harness gets its own Kubernetes namespace and task queue, so
// test files can run side by side on the one Temporal server without sharing workflow ids.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import { createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import type { HealingAction } from '../../crds/healing-action.js';
import { renderCrdFiles } from '../../crds/render.js';
import type { KObject } from '../../sim/contract.js';
import { startSim, type SimHandle } from '../../sim/index.js';
import { applyObjects } from '../../sim/scenarios.js';
import { loadConfig, type OperatorConfig } from '../../operator/config.js';
import { createLogger } from '../../operator/logger.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import {
  connectClient,
  installQuietRuntime,
  testTemporal,
  uniqueTaskQueue,
  type TestTemporal,
} from './temporal.js';
import { WORKFLOWS_PATH } from '../../operator/worker.js';
import { startPrometheus, type RunningPrometheus } from './prometheus.js';

const root = join(import.meta.dirname, '..', '..');
let bundle: Promise<{ code: string }> | undefined;
let tracedBundle: Promise<{ code: string }> | undefined;

/** One workflow bundle per test process (bundling takes a second or two). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

/** The bundle with Temporal's OpenTelemetry workflow interceptors in it, for a traced operator. */
async function tracedWorkflowBundle(): Promise<{ code: string }> {
  const { TRACING_WORKFLOW_MODULES } = await import('../../operator/tracing.js');
  tracedBundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: TRACING_WORKFLOW_MODULES,
    logger: quietBundlerLogger,
  });
  return tracedBundle;
}
const noop = (): void => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export interface Engine {
  namespace: string;
  sim: SimHandle;
  kube: Kube;
  client: Client;
  kubeconfig: string;
  config: OperatorConfig;
  operator?: RunningOperator;
  /** The real Prometheus scraping the sim, when started with `prometheus` (KUBESKIPPY_PROMETHEUS_URL). */
  prometheus?: RunningPrometheus;
  /** The operator's log lines (parsed JSON, info and up) when started with `captureLogs`. */
  logs: LogLine[];
  /** Creates (or updates) objects in the sim through its store, rewriting namespaces to ours. */
  apply(objects: KObject[]): void;
  /** Reads a YAML file (e.g. demo/apps/memory-leak-app.yaml), moved into our namespace. */
  manifests(file: string): Promise<KObject[]>;
  actions(): HealingAction[];
  startOperator(): Promise<RunningOperator>;
  stopOperator(): Promise<void>;
  stop(): Promise<void>;
}

/** Moves namespaced objects (and policy selectors) into `namespace`. */
export function intoNamespace(objects: KObject[], namespace: string): KObject[] {
  return objects
    .filter((o) => o.kind !== 'Namespace')
    .map((o) => {
      const copy = JSON.parse(JSON.stringify(o)) as KObject;
      copy.metadata.namespace = namespace;
      if (copy.kind === 'HealingPolicy' && copy.spec?.selector?.namespaces)
        copy.spec.selector.namespaces = [namespace];
      return copy;
    });
}

export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

export interface EngineOptions {
  /** Install the CRDs at start (default true); false for a cluster that does not have them yet. */
  crds?: boolean;
  /** Keep the operator's log lines in `engine.logs` (warnings still print). */
  captureLogs?: boolean;
  /** Multiplies every sim behaviour time (0.4 = 2.5× faster). */
  timeScale?: number;
  /** Start the operator at once (default true). */
  operator?: boolean;
  /** Another Temporal server (e.g. one from startDedicatedServer); default the shared one. */
  temporal?: TestTemporal;
  /** The worker's watch cache and wake-ups (KUBESKIPPY_WATCH_CACHE); default on, as in production. */
  watchCache?: boolean;
  /** Model endpoints for AI analysis (flags of loadConfig), e.g. a fake model server's URL. */
  ai?: { ollamaHost?: string; openaiBaseUrl?: string; openaiApiKey?: string };
  /** Start a real Prometheus scraping the sim's /metrics/pods, and point the operator at it. */
  prometheus?: boolean;
  /** URL prefixes webhook actions may POST to (KUBESKIPPY_WEBHOOK_ALLOW, comma-separated). */
  webhookAllow?: string;
  /** Run the Alertmanager receiver on a free port with this bearer token (engine.operator.alertPort). */
  alertToken?: string;
  /** An Alertmanager whose silences gate actions (KUBESKIPPY_ALERTMANAGER_URL), e.g. a real one's URL. */
  alertmanagerUrl?: string;
  /** Traces to this OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. a startOtlpReceiver's. */
  otlpEndpoint?: string;
}

export async function startEngine(opts: EngineOptions = {}): Promise<Engine> {
  installQuietRuntime();
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-engine-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const namespace = `t-${randomUUID().slice(0, 8)}`;
  const sim = await startSim({
    kubeconfigOut: kubeconfig,
    ...(opts.timeScale ? { timeScale: opts.timeScale } : {}),
  });
  const installCrds = (): void => {
    const crds = renderCrdFiles().flatMap((f) =>
      parseAllDocuments(f.content).map((d) => d.toJS() as KObject),
    );
    for (const crd of crds) sim.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  };
  if (opts.crds !== false) installCrds();
  sim.store.create('core/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  const prometheus = opts.prometheus ? await startPrometheus({ simUrl: sim.url }) : undefined;
  const alertTokenFile = join(dir, 'alert-token');
  if (opts.alertToken) await writeFile(alertTokenFile, `${opts.alertToken}\n`);
  const target = opts.temporal ?? testTemporal();
  const { address, namespace: temporalNamespace } = target;
  const config = loadConfig(
    {
      kubeconfig,
      temporalAddress: address,
      temporalNamespace,
      taskQueue: uniqueTaskQueue('engine'),
      metricsPort: 0,
      logLevel: 'warn',
      watchCache: opts.watchCache === false ? 'off' : 'on',
      ...opts.ai,
      ...(prometheus ? { prometheusUrl: prometheus.url } : {}),
      ...(opts.webhookAllow ? { webhookAllow: opts.webhookAllow } : {}),
      ...(opts.alertmanagerUrl ? { alertmanagerUrl: opts.alertmanagerUrl } : {}),
      ...(opts.alertToken ? { alertPort: 0, alertTokenFile } : {}),
    },
    opts.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: opts.otlpEndpoint } : {},
  );
  const client = await connectClient(target);
  const kube = createKube(loadKubeConfig(kubeconfig));
  const engine: Engine = {
    namespace,
    sim,
    kube,
    client,
    kubeconfig,
    config,
    ...(prometheus ? { prometheus } : {}),
    logs: [],
    apply: (objects) => void applyObjects(sim.store, intoNamespace(objects, namespace)),
    manifests: async (file) =>
      parseAllDocuments(await readFile(join(root, file), 'utf8')).map((d) => d.toJS() as KObject),
    actions: () =>
      sim.store.list('kubeskippy.io/v1alpha1/healingactions', { namespace }) as unknown as HealingAction[],
    startOperator: async () => {
      engine.operator = await startOperator({
        config,
        role: 'all',
        logger: opts.captureLogs
          ? capturingLogger(engine.logs, { test: namespace })
          : createLogger('warn', { test: namespace }),
        workflowBundle: await (config.tracing ? tracedWorkflowBundle() : workflowBundle()),
      });
      return engine.operator;
    },
    stopOperator: async () => {
      await engine.operator?.stop();
      delete engine.operator;
    },
    stop: async () => {
      await engine.stopOperator();
      // Policy workflows outlive the operator on the shared server: cancel ours.
      for await (const wf of client.workflow.list({
        query: `KubeSkippyNamespace="${namespace}" AND ExecutionStatus="Running"`,
      })) {
        await client.workflow
          .getHandle(wf.workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      await client.connection.close();
      await prometheus?.stop();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (opts.operator !== false) await engine.startOperator();
  return engine;
}

/** A logger like createLogger's that keeps every line (info and up) and prints warnings and errors. */
export function capturingLogger(
  into: LogLine[],
  bindings: Record<string, unknown>,
): ReturnType<typeof createLogger> {
  return pino(
    { level: 'info', base: { app: 'kubeskippy', ...bindings } },
    {
      write: (line: string): void => {
        const parsed = JSON.parse(line) as LogLine;
        into.push(parsed);
        if (parsed.level >= 40) process.stdout.write(line);
      },
    },
  );
}

/**
 * Polls `fn` until it returns a truthy value; fails with `what` (a function is called at the
 * timeout, to describe the state then) and the last value seen.
 */
export async function eventually<T>(
  what: string | (() => string | Promise<string>),
  fn: () => T | Promise<T>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? await what() : what}; ` +
          `last: ${JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
