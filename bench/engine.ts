// The whole engine for the scale benchmarks, composed as `kubeskippy operator` runs it: a
// Temporal dev server of its own (the cached `temporal` CLI, in-memory), the simulated cluster
// over HTTP, the CRDs, and the operator (controller + worker) in this process. Nothing is mocked;
// objects are set up through the sim's store (setup is not what is measured), while the operator
// only ever talks HTTP, so the sim's request counts are the operator's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { parseAllDocuments } from 'yaml';
import { renderCrdFiles } from '../crds/render.js';
import { loadConfig } from '../operator/config.js';
import { createLogger } from '../operator/logger.js';
import { startOperator, type RunningOperator } from '../operator/operator.js';
import { WORKFLOWS_PATH } from '../operator/worker.js';
import type { KObject } from '../sim/contract.js';
import { startSim, type SimHandle } from '../sim/index.js';
import { applyObjects } from '../sim/scenarios.js';
import { startDevServer, type DevServer } from '../tools/dev-server.js';

export const POLICIES = 'kubeskippy.io/v1alpha1/healingpolicies';
export const ACTIONS = 'kubeskippy.io/v1alpha1/healingactions';

export interface BenchEngine {
  sim: SimHandle;
  client: Client;
  temporal: DevServer;
  /** The operator's settings (its cluster name is in the workflow ids). */
  config: ReturnType<typeof loadConfig>;
  /** The sim's kubeconfig file, for operator processes of the bench's own (P6). */
  kubeconfig: string;
  /** Set once startOperator() ran (at start unless `operator: false`). */
  operator?: RunningOperator;
  startOperator(): Promise<RunningOperator>;
  apply(objects: KObject[]): void;
  stop(): Promise<void>;
}

let bundle: Promise<{ code: string }> | undefined;
let runtime = false;
const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** The Temporal runtime (once per process) and the workflow bundle (built once), shared by the real-cluster engine. */
export function benchWorkflowBundle(): Promise<{ code: string }> {
  if (!runtime) Runtime.install({ logger: new DefaultLogger('WARN') });
  runtime = true;
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  return bundle;
}

export async function startBenchEngine(
  opts: { timeScale?: number; operator?: boolean } = {},
): Promise<BenchEngine> {
  const workflowBundlePromise = benchWorkflowBundle();
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const temporal = await startDevServer({ port: 0, headless: true });
  const sim = await startSim({
    kubeconfigOut: kubeconfig,
    ...(opts.timeScale ? { timeScale: opts.timeScale } : {}),
  });
  for (const f of renderCrdFiles())
    for (const d of parseAllDocuments(f.content))
      sim.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', d.toJS() as KObject);
  const config = loadConfig(
    { kubeconfig, temporalAddress: temporal.address, taskQueue: 'bench', metricsPort: 0, logLevel: 'warn' },
    // BENCH_WATCH_CACHE=off measures the operator as it was before the watch cache (the "before").
    { KUBESKIPPY_WATCH_CACHE: process.env['BENCH_WATCH_CACHE'] ?? 'on' },
  );
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const start = operatorStarter(config, await workflowBundlePromise);
  const engine: BenchEngine = {
    sim,
    client,
    temporal,
    config,
    kubeconfig,
    startOperator: async () => (engine.operator = await start()),
    apply: (objects) => void applyObjects(sim.store, objects),
    stop: async () => {
      await engine.operator?.stop();
      await client.connection.close();
      await sim.stop();
      await temporal.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (opts.operator !== false) await engine.startOperator();
  return engine;
}

/** A HealingPolicy selecting pods labelled app=<app> in `namespace`. */
export function healingPolicy(
  namespace: string,
  name: string,
  app: string,
  spec: Record<string, unknown>,
): KObject {
  return {
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingPolicy',
    metadata: { name, namespace },
    spec: {
      mode: 'automatic',
      selector: { namespaces: [namespace], labelSelector: { matchLabels: { app } } },
      ...spec,
    },
  };
}

/** The trigger every P1/P5 policy uses: a container in CrashLoopBackOff, no window. */
export const crashLoopTrigger = {
  name: 'crashloop',
  type: 'condition',
  conditionTrigger: { type: 'CrashLoopBackOff' },
};
export const deletePod = {
  name: 'delete-pod',
  type: 'restart',
  restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
};
export const fastVerification = { delay: '1s', timeout: '60s', interval: '1s' };

/** P1's policy: the CrashLoopBackOff trigger at the default 30 s interval, as a user would write it. */
export function detectPolicy(namespace: string, podCount: number): KObject {
  return healingPolicy(namespace, 'detect', 'web', {
    // evaluationInterval left at its default (30s), as a user would.
    triggers: [crashLoopTrigger],
    actions: [deletePod],
    verification: fastVerification,
    safetyRules: { maxActionsPerHour: 1000, maxConcurrentActions: podCount, minReadyReplicas: 0 },
  });
}

/** Starts the in-process operator once (both halves), quiet; later calls return the same one. */
export function operatorStarter(
  config: ReturnType<typeof loadConfig>,
  workflowBundle: { code: string },
): () => Promise<RunningOperator> {
  let running: Promise<RunningOperator> | undefined;
  return () =>
    (running ??= startOperator({
      config,
      role: 'all',
      logger: createLogger('warn', { bench: true }),
      workflowBundle,
    }));
}

/** Sends a pod into a crash loop from now on (the kubelet reads the behaviour every step). */
export function makeCrashLoop(sim: SimHandle, namespace: string, pod: string): void {
  sim.store.mutate('core/v1/pods', namespace, pod, (p) => {
    p.metadata.annotations = {
      ...p.metadata.annotations,
      'sim.kubeskippy.io/behavior': 'crashloop',
      'sim.kubeskippy.io/crash-after': '1s',
    };
  });
}

const inBackOff = (p: KObject): boolean =>
  ((p.status?.containerStatuses ?? []) as { state?: { waiting?: { reason?: string } } }[]).some(
    (c) => c.state?.waiting?.reason === 'CrashLoopBackOff',
  );

/**
 * Timestamps (Date.now() at the store commit) of the first CrashLoopBackOff of each pod, and of
 * each HealingAction's creation and success by target name. In-process, so exact to the ms.
 */
export function watchTimes(
  sim: SimHandle,
  namespace: string,
): {
  backOff: Map<string, number>;
  created: Map<string, number>;
  succeeded: Map<string, number>;
  stop(): void;
} {
  const backOff = new Map<string, number>();
  const created = new Map<string, number>();
  const succeeded = new Map<string, number>();
  const stop = sim.store.subscribe(({ type, resource, object }) => {
    if (object.metadata.namespace !== namespace) return;
    const name = object.metadata.name ?? '';
    if (resource === 'core/v1/pods' && !backOff.has(name) && inBackOff(object)) backOff.set(name, Date.now());
    if (resource !== ACTIONS) return;
    const target = (object.spec?.targetResource as { name?: string } | undefined)?.name ?? name;
    if (type === 'ADDED' && !created.has(target)) created.set(target, Date.now());
    if (object.status?.phase === 'Succeeded' && !succeeded.has(target)) succeeded.set(target, Date.now());
  });
  return { backOff, created, succeeded, stop };
}
