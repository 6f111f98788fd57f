// The executor activities against a cluster reached only over HTTP, through the real client-node
// clients the worker uses: the simulated cluster (`startSim`) or the real control plane. No
// Temporal worker: activities are plain functions in a mock activity Context. The activity suites
// (test/support/conformance/activities-*.ts) run on both; nothing here reads the sim's store.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { createActivities } from '../../activities/index.js';
import { FIELD_MANAGER, createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import type { KObject } from '../../sim/contract.js';
import { startSim, type SimHandle } from '../../sim/index.js';
import { installCrds } from '../../tools/demo/cluster.js';
import { inActivityContext } from './activities-sim.js';
import { defaultServiceAccount } from './api-target.js';
import { waitFor } from './sim-fixtures.js';

/** group/version/plural, as the sim's store names resources, to the kind the API serves. */
const KINDS: Record<string, { apiVersion: string; kind: string }> = {
  'core/v1/pods': { apiVersion: 'v1', kind: 'Pod' },
  'apps/v1/deployments': { apiVersion: 'apps/v1', kind: 'Deployment' },
  'apps/v1/replicasets': { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  'apps/v1/statefulsets': { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  'policy/v1/poddisruptionbudgets': { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
};

export interface ActivityTarget {
  name: 'sim' | 'real';
  /** The simulated cluster, when that is the target (never its store: only for what only it has). */
  sim?: SimHandle;
  kube: Kube;
  activities: ReturnType<typeof createActivities>;
  /** A fresh namespace, so tests in one file do not see each other's objects (deleted by stop). */
  namespace(): Promise<string>;
  /** Creates or updates objects by server-side apply (as `kubectl apply --server-side` would). */
  apply(namespace: string, objects: KObject[]): Promise<void>;
  list(resource: string, namespace: string, labelSelector?: string): Promise<KObject[]>;
  get(resource: string, namespace: string, name: string): Promise<KObject | undefined>;
  /** Deletes at once (grace 0), and waits until the name is free. */
  remove(resource: string, namespace: string, name: string): Promise<void>;
  /** Pods of `app` that are Ready and not terminating, by name. */
  readyPods(namespace: string, app: string, count: number): Promise<KObject[]>;
  stop(): Promise<void>;
}

const notFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** A fresh simulated cluster with the KubeSkippy CRDs installed over HTTP. */
export async function simActivityTarget(opts: { timeScale?: number } = {}): Promise<ActivityTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-activities-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const sim = await startSim({ kubeconfigOut: kubeconfig, timeScale: opts.timeScale ?? 0.2 });
  const kube = createKube(loadKubeConfig(kubeconfig));
  await installCrds(kube);
  return activityTarget(
    'sim',
    kube,
    async () => {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
    sim,
  );
}

/** The real tier's cluster (its global setup installed the CRDs). */
export async function realActivityTarget(kubeconfig: string): Promise<ActivityTarget> {
  return activityTarget('real', createKube(loadKubeConfig(kubeconfig)), async () => {});
}

function activityTarget(
  name: ActivityTarget['name'],
  kube: Kube,
  cleanup: () => Promise<void>,
  sim?: SimHandle,
): ActivityTarget {
  const namespaces: string[] = [];
  const ref = (
    resource: string,
    namespace: string,
    objName: string,
  ): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } => {
    const k = KINDS[resource];
    if (!k) throw new Error(`no kind known for ${resource}`);
    return { ...k, metadata: { name: objName, namespace } };
  };
  const get = async (resource: string, namespace: string, objName: string): Promise<KObject | undefined> =>
    (kube.objects.read(ref(resource, namespace, objName)) as Promise<KObject>).catch((err: unknown) => {
      if (notFound(err)) return undefined;
      throw err;
    });
  const list = async (resource: string, namespace: string, labelSelector?: string): Promise<KObject[]> => {
    const k = KINDS[resource]!;
    const res = await kube.objects.list(
      k.apiVersion,
      k.kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );
    return res.items.map((o) => ({ ...o, apiVersion: k.apiVersion, kind: k.kind }) as KObject);
  };
  return {
    name,
    ...(sim ? { sim } : {}),
    kube,
    activities: inActivityContext(
      createActivities({ kube, temporalUiUrl: 'http://ui.test', temporalNamespace: 'default' }),
    ),
    namespace: async () => {
      const ns = `a-${randomUUID().slice(0, 8)}`;
      await kube.core.createNamespace({ body: { metadata: { name: ns } } });
      if (name === 'real') await defaultServiceAccount(kube.core, ns);
      namespaces.push(ns);
      return ns;
    },
    apply: async (namespace, objects) => {
      for (const o of objects)
        await kube.objects.patch(
          { ...o, metadata: { ...o.metadata, namespace } } as KubernetesObject,
          undefined,
          undefined,
          `${FIELD_MANAGER}-test`,
          true,
          PatchStrategy.ServerSideApply,
        );
    },
    list,
    get,
    remove: async (resource, namespace, objName) => {
      const before = await get(resource, namespace, objName);
      await kube.objects
        .delete(ref(resource, namespace, objName), undefined, undefined, 0)
        .catch((err: unknown) => {
          if (!notFound(err)) throw err;
        });
      await waitFor(async () => {
        const now = await get(resource, namespace, objName);
        return !now || now.metadata.uid !== before?.metadata.uid;
      }, `${resource} ${namespace}/${objName} to be deleted`);
    },
    readyPods: (namespace, app, count) =>
      waitFor(
        async () => {
          const ready = (await list('core/v1/pods', namespace, `app=${app}`)).filter(
            (p) =>
              !p.metadata.deletionTimestamp &&
              p.status?.conditions?.some(
                (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
              ),
          );
          return (
            ready.length === count && ready.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))
          );
        },
        `${count} ready pods of ${app} in ${namespace}`,
        30_000,
      ),
    stop: async () => {
      // Tests leave objects held by a test finalizer (example.com/hold); on a real server they
      // would keep their namespace Terminating for ever (the sim deletes a namespace's contents
      // regardless of finalizers, docs/sim.md). Release them first.
      for (const ns of namespaces)
        for (const resource of Object.keys(KINDS))
          for (const o of await list(resource, ns).catch(() => []))
            if (o.metadata.finalizers?.length)
              await kube.objects
                .patch(
                  {
                    ...ref(resource, ns, o.metadata.name!),
                    metadata: { ...ref(resource, ns, o.metadata.name!).metadata, finalizers: null },
                  } as never,
                  undefined,
                  undefined,
                  undefined,
                  undefined,
                  PatchStrategy.MergePatch,
                )
                .catch(() => undefined);
      for (const ns of namespaces) await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
      await cleanup();
    },
  };
}

/**
 * The Deployment as its controller leaves it: a real one stamps the revision annotation and
 * status a moment after creation, and a write read before that (a patch preview, a finalizer
 * strip) would race it — a 409 that Temporal retries in production, but these suites call an
 * activity once.
 */
export function settledDeployment(env: ActivityTarget, ns: string, name: string): Promise<KObject> {
  return waitFor(async () => {
    const d = await env.get('apps/v1/deployments', ns, name);
    return (
      d?.status?.observedGeneration === d?.metadata.generation &&
      d?.metadata.annotations?.['deployment.kubernetes.io/revision'] &&
      d
    );
  }, `the Deployment controller to observe ${name}`);
}
