// The simulated cluster for activity tests: started in-process, reached over HTTP through the
// real client-node clients the worker uses. No Temporal worker: activities are plain functions.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parseAllDocuments } from 'yaml';
import { WatchCache, type WatchCacheOptions } from '../../activities/cache/watch-cache.js';
import { createActivities } from '../../activities/index.js';
import { createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import type { ExecuteActionInput, NormalizedAction, ObjectRef } from '../../activities/executors/types.js';
import { renderCrdFiles } from '../../crds/render.js';
import type { KObject } from '../../sim/contract.js';
import { startSim, type SimHandle } from '../../sim/index.js';
import { applyObjects } from '../../sim/scenarios.js';
import { waitFor } from './sim-fixtures.js';

export const PODS = 'core/v1/pods';
export const DEPLOYMENTS = 'apps/v1/deployments';
export const REPLICASETS = 'apps/v1/replicasets';
export const STATEFULSETS = 'apps/v1/statefulsets';
export const PDBS = 'policy/v1/poddisruptionbudgets';
export const EVENTS = 'core/v1/events';
export const HEALING_ACTIONS = 'kubeskippy.io/v1alpha1/healingactions';

export interface ActivitySim {
  sim: SimHandle;
  kube: Kube;
  activities: Activities;
  /** The shared watch cache the activities read, when started with `watchCache: true`. */
  cache?: WatchCache;
  /** A fresh namespace, so tests in one file do not see each other's objects. */
  namespace(): string;
  /** Creates or updates objects through the store (as `kubectl apply` would). */
  apply(namespace: string, objects: KObject[]): void;
  list(resource: string, namespace: string, labelSelector?: string): KObject[];
  get(resource: string, namespace: string, name: string): KObject | undefined;
  /** Pods of `app` that are Ready and not terminating, by name. */
  readyPods(namespace: string, app: string, count: number): Promise<KObject[]>;
  stop(): Promise<void>;
}

export async function startActivitySim(
  opts: { timeScale?: number; watchCache?: boolean | Omit<WatchCacheOptions, 'kube'> } = {},
): Promise<ActivitySim> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-activities-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const sim = await startSim({ kubeconfigOut: kubeconfig, timeScale: opts.timeScale ?? 0.2 });
  for (const file of renderCrdFiles())
    for (const doc of parseAllDocuments(file.content))
      sim.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', doc.toJS() as KObject);
  const kube = createKube(loadKubeConfig(kubeconfig));
  const list = (resource: string, namespace: string, labelSelector?: string): KObject[] =>
    sim.store.list(resource, { namespace, ...(labelSelector ? { labelSelector } : {}) });
  const cacheOpts = opts.watchCache === true ? {} : opts.watchCache || undefined;
  const cache = cacheOpts ? new WatchCache({ ...cacheOpts, kube }) : undefined;
  return {
    sim,
    kube,
    ...(cache ? { cache } : {}),
    activities: inActivityContext(
      createActivities({
        kube,
        temporalUiUrl: 'http://ui.test',
        temporalNamespace: 'default',
        ...(cache ? { cache } : {}),
      }),
    ),
    namespace: () => {
      const name = `a-${randomUUID().slice(0, 8)}`;
      sim.store.create('core/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    apply: (namespace, objects) =>
      void applyObjects(
        sim.store,
        objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } })),
      ),
    list,
    get: (resource, namespace, name) => sim.store.get(resource, namespace, name),
    readyPods: (namespace, app, count) =>
      waitFor(() => {
        const ready = list(PODS, namespace, `app=${app}`).filter(
          (p) =>
            !p.metadata.deletionTimestamp &&
            p.status?.conditions?.some(
              (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
            ),
        );
        return (
          ready.length === count && ready.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))
        );
      }, `${count} ready pods of ${app} in ${namespace}`),
    stop: async () => {
      cache?.stop();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type Activities = ReturnType<typeof createActivities>;

/** Each activity runs in a mock activity Context (for its logger and info), as a worker would run it. */
export function inActivityContext(activities: Activities): Activities {
  const quiet = (): void => undefined;
  const context = new MockActivityEnvironment(
    { workflowExecution: { workflowId: 'activities-test', runId: 'run-1' } },
    { logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet } },
  );
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: unknown[]) => context.run(fn as (...a: unknown[]) => Promise<unknown>, ...args),
    ]),
  ) as Activities;
}

export const refOf = (o: KObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  namespace: o.metadata.namespace!,
  name: o.metadata.name!,
  uid: o.metadata.uid!,
});

let seq = 0;
/** An executor input; the action id is unique unless given, as each HealingAction's name is. */
export function input(
  target: ObjectRef,
  action: NormalizedAction,
  over: Partial<Omit<ExecuteActionInput, 'target' | 'action'>> = {},
): ExecuteActionInput {
  return {
    actionId: `act-${++seq}-${randomUUID().slice(0, 6)}`,
    decidedAtMs: Date.parse('2025-03-01T10:00:00Z') + seq * 1000,
    dryRun: false,
    target,
    action,
    ...over,
  };
}

/** The rejection of `p`, which must reject. */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}
