// What a production informer cache needs from the sim's API server, through client-node's own
// makeInformer/ListWatch over HTTP: cluster-wide watches with label selectors, a re-list after a
// 410 Expired, the streaming list (sendInitialEvents), and the sim-only controls a resilience test
// drives — drop every watch now, forget the watch history, refuse watches, count requests.
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { until } from '../support/conformance/watch.js';

const started: ApiServerHandle[] = [];
type PodInformer = k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>;
const informers: PodInformer[] = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function cluster(): Promise<{ api: ApiServerHandle; kc: k8s.KubeConfig; core: k8s.CoreV1Api }> {
  const api = await startApiServer();
  started.push(api);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfigYaml());
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (const name of ['a', 'b']) await core.createNamespace({ body: { metadata: { name } } });
  return { api, kc, core };
}

const pod = (name: string, app: string): k8s.V1Pod => ({
  metadata: { name, labels: { app } },
  spec: { containers: [{ name: 'c', image: 'x' }] },
});

function podInformer(kc: k8s.KubeConfig, core: k8s.CoreV1Api): PodInformer {
  const informer = k8s.makeInformer(
    kc,
    '/api/v1/pods',
    () => core.listPodForAllNamespaces({ labelSelector: 'app=web' }),
    'app=web',
  );
  informers.push(informer);
  return informer;
}

const cached = (informer: PodInformer): string[] =>
  informer
    .list()
    .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)
    .sort();

describe('sim only: an informer cache over a cluster-wide watch', () => {
  it('selects by label across namespaces, and re-lists after a 410 when its watch resumes too late', async () => {
    const { api, kc, core } = await cluster();
    await core.createNamespacedPod({ namespace: 'a', body: pod('w1', 'web') });
    await core.createNamespacedPod({ namespace: 'b', body: pod('d1', 'db') });
    const informer = podInformer(kc, core);
    await informer.start();
    await core.createNamespacedPod({ namespace: 'b', body: pod('w2', 'web') });
    await until(() => cached(informer).length === 2);
    expect(cached(informer)).toEqual(['a/w1', 'b/w2']);

    // The gap: watches reconnect slowly, every open one is dropped, and the history is compacted,
    // so the informer's resume answers 410 and only a re-list can find what changed meanwhile.
    api.setFaults({ latencyMs: { watch: 300 } });
    api.resetRequestCounts();
    expect(api.dropWatches({ pathPattern: '/pods', graceful: true })).toBe(1);
    // A change the informer never sees (not selected) moves the history past its resourceVersion.
    await core.createNamespacedPod({ namespace: 'b', body: pod('d2', 'db') });
    expect(await (await fetch(`${api.url}/sim/compact`, { method: 'POST' })).json()).toMatchObject({
      compactedTo: expect.any(Number),
    });
    await core.createNamespacedPod({ namespace: 'a', body: pod('w3', 'web') });
    await core.deleteNamespacedPod({ namespace: 'a', name: 'w1', gracePeriodSeconds: 0 });
    await until(() => cached(informer).join() === 'a/w3,b/w2');
    expect(api.requestCounts().byResource).toMatchObject({ 'list core/v1/pods': 1 });
    // The resume that met the 410, then a fresh watch from the re-list's resourceVersion.
    await until(() => api.requestCounts().byResource['watch core/v1/pods'] === 2);
  });

  it('reports a refused watch as an error and stops (client-node does not retry it); start() resumes', async () => {
    const { api, kc, core } = await cluster();
    const informer = podInformer(kc, core);
    const errors: unknown[] = [];
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    api.setFaults({ errorRate: { watch: 1 }, errorCodes: [503] });
    api.dropWatches({ graceful: true }); // the reconnect is what gets refused
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ statusCode: 503 });
    await core.createNamespacedPod({ namespace: 'a', body: pod('during-gap', 'web') });
    await new Promise((r) => setTimeout(r, 200));
    expect(cached(informer)).toEqual([]);
    api.setFaults({});
    await informer.start();
    await until(() => cached(informer).length === 1);
    expect(cached(informer)).toEqual(['a/during-gap']);
  });
});

describe('sim only: the streaming list (sendInitialEvents)', () => {
  const watchRaw = async (
    kc: k8s.KubeConfig,
    query: Record<string, string>,
  ): Promise<{ seen: { type: string; name?: string; end?: string }[]; done: Promise<unknown> }> => {
    const seen: { type: string; name?: string; end?: string }[] = [];
    let finish: (v: unknown) => void = () => {};
    const done = new Promise((r) => (finish = r));
    const ctl = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/a/pods',
      query,
      (type, o: k8s.V1Pod) =>
        seen.push({
          type,
          name: o.metadata?.name,
          end: o.metadata?.annotations?.['k8s.io/initial-events-end'],
        }),
      (err) => finish(err),
    );
    void done.then(() => ctl.abort());
    return { seen, done };
  };

  it('sends the current objects, a BOOKMARK marking their end, then the changes', async () => {
    const { kc, core } = await cluster();
    for (const name of ['p1', 'p2'])
      await core.createNamespacedPod({ namespace: 'a', body: pod(name, 'web') });
    const query = {
      sendInitialEvents: 'true',
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: 'true',
    };
    const { seen } = await watchRaw(kc, query);
    await until(() => seen.length === 3);
    await core.createNamespacedPod({ namespace: 'a', body: pod('p3', 'web') });
    await until(() => seen.length === 4);
    expect(seen).toEqual([
      { type: 'ADDED', name: 'p1', end: undefined },
      { type: 'ADDED', name: 'p2', end: undefined },
      { type: 'BOOKMARK', name: undefined, end: 'true' },
      { type: 'ADDED', name: 'p3', end: undefined },
    ]);
  });

  it('refuses it without resourceVersionMatch=NotOlderThan, as kube-apiserver does (422)', async () => {
    const { kc } = await cluster();
    const { done } = await watchRaw(kc, { sendInitialEvents: 'true', allowWatchBookmarks: 'true' });
    expect(await done).toMatchObject({ statusCode: 422 });
  });
});

describe('sim only: request counts', () => {
  it('counts resource requests by verb and resource, not discovery, and resets', async () => {
    const { api, core } = await cluster();
    api.resetRequestCounts();
    await core.listNamespacedPod({ namespace: 'a' });
    await core.listNamespacedPod({ namespace: 'b' });
    await core.readNamespace({ name: 'a' });
    await fetch(`${api.url}/api/v1`);
    const counts = (await (await fetch(`${api.url}/sim/requests`)).json()) as ReturnType<
      ApiServerHandle['requestCounts']
    >;
    expect(counts).toMatchObject({
      total: 3,
      byVerb: { list: 2, get: 1 },
      byResource: { 'list core/v1/pods': 2, 'get core/v1/namespaces': 1 },
    });
    await fetch(`${api.url}/sim/requests`, { method: 'DELETE' });
    expect(api.requestCounts().total).toBe(0);
  });
});
