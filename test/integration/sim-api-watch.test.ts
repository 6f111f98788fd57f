// Watch semantics through the real client-node Watch and informer, and fault injection.
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { MemoryStore } from '../../sim/api/store.js';

const ns = 'default';
const started: ApiServerHandle[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function cluster(
  opts: Parameters<typeof startApiServer>[0] = {},
): Promise<{ api: ApiServerHandle; kc: k8s.KubeConfig; core: k8s.CoreV1Api }> {
  const api = await startApiServer(opts);
  started.push(api);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfigYaml());
  return { api, kc, core: kc.makeApiClient(k8s.CoreV1Api) };
}

const cm = (name: string, labels: Record<string, string> = {}): k8s.V1ConfigMap => ({
  metadata: { name, labels },
});

interface Seen {
  type: string;
  name?: string;
  code?: number;
}
/** Opens a watch and collects what it receives until `done` reports the stream closed. */
async function watch(
  kc: k8s.KubeConfig,
  query: Record<string, string>,
): Promise<{ events: Seen[]; closed: Promise<unknown>; stop(): void }> {
  const events: Seen[] = [];
  let resolveClosed: (v: unknown) => void = () => {};
  const closed = new Promise((r) => (resolveClosed = r));
  const ctl = await new k8s.Watch(kc).watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    query,
    (type, obj: { metadata?: { name?: string }; code?: number }) =>
      events.push({ type, name: obj.metadata?.name, code: obj.code }),
    (err) => resolveClosed(err),
  );
  return { events, closed, stop: () => ctl.abort() };
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('watch', () => {
  it('resumes from a resourceVersion with exactly the later events, then streams new ones', async () => {
    const { kc, core } = await cluster();
    const a = await core.createNamespacedConfigMap({ namespace: ns, body: cm('a') });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('b') });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
    const w = await watch(kc, { resourceVersion: a.metadata!.resourceVersion! });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('c') });
    await until(() => w.events.length === 3);
    expect(w.events).toEqual([
      { type: 'ADDED', name: 'b' },
      { type: 'DELETED', name: 'a' },
      { type: 'ADDED', name: 'c' },
    ]);
    w.stop();
  });

  it('starts with the current objects when no resourceVersion is given', async () => {
    const { kc, core } = await cluster();
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('x') });
    const w = await watch(kc, {});
    await until(() => w.events.length === 1);
    expect(w.events[0]).toEqual({ type: 'ADDED', name: 'x' });
    w.stop();
  });

  it('answers a resume from a compacted resourceVersion with a 410 ERROR event and closes', async () => {
    const { kc, core } = await cluster({ store: new MemoryStore({ historySize: 3 }) });
    const first = await core.createNamespacedConfigMap({ namespace: ns, body: cm('old') });
    for (const n of ['n1', 'n2', 'n3', 'n4'])
      await core.createNamespacedConfigMap({ namespace: ns, body: cm(n) });
    const w = await watch(kc, { resourceVersion: first.metadata!.resourceVersion! });
    await w.closed;
    expect(w.events).toEqual([{ type: 'ERROR', code: 410 }]);
  });

  it('reports objects entering and leaving a label selector as ADDED and DELETED', async () => {
    const { kc, core } = await cluster();
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('sel') });
    const w = await watch(kc, { labelSelector: 'role=watched' });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'sel', body: { metadata: { labels: { role: 'watched' } } } },
      merge,
    );
    await core.patchNamespacedConfigMap({ namespace: ns, name: 'sel', body: { data: { k: 'v' } } }, merge);
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'sel', body: { metadata: { labels: { role: 'other' } } } },
      merge,
    );
    await until(() => w.events.length === 3);
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    w.stop();
  });

  it('sends BOOKMARKs when asked and ends the stream after timeoutSeconds', async () => {
    const { kc } = await cluster({ bookmarkIntervalMs: 50 });
    const w = await watch(kc, { allowWatchBookmarks: 'true', timeoutSeconds: '1' });
    await w.closed;
    expect(w.events.filter((e) => e.type === 'BOOKMARK').length).toBeGreaterThan(2);
  });
});

describe('informer', () => {
  it('keeps its cache complete across forced watch drops by resuming from its resourceVersion', async () => {
    const { api, kc, core } = await cluster();
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: ns }));
    let connects = 0;
    const added: string[] = [];
    informer.on('connect', () => connects++);
    informer.on('add', (o) => added.push(o.metadata!.name!));
    api.setFaults({ watchDropAfterMs: 150 });
    await informer.start();
    for (let i = 0; i < 6; i++) {
      await core.createNamespacedConfigMap({ namespace: ns, body: cm(`i${i}`) });
      await new Promise((r) => setTimeout(r, 100));
    }
    await until(() => added.length === 6);
    await informer.stop();
    expect(added).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5']);
    expect(connects).toBeGreaterThan(1);
    expect(
      informer
        .list(ns)
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(added);
  });
});

describe('fault injection', () => {
  it('fails requests with the configured codes, Retry-After on 429, and can be switched over HTTP', async () => {
    const { api, core } = await cluster({
      faults: { errorRate: { get: 1 }, errorCodes: [429], retryAfterSeconds: 3 },
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('f') });
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps/f`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(((await res.json()) as { reason: string }).reason).toBe('TooManyRequests');
    await expect(core.readNamespacedConfigMap({ namespace: ns, name: 'f' })).rejects.toMatchObject({
      code: 429,
    });

    const put = await fetch(`${api.url}/sim/faults`, {
      method: 'PUT',
      body: JSON.stringify({ errorRate: 1, errorCodes: [503], pathPattern: '/pods' }),
    });
    expect(await put.json()).toMatchObject({ errorCodes: [503] });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'f' })).metadata?.name).toBe('f');
    await expect(core.listNamespacedPod({ namespace: ns })).rejects.toMatchObject({ code: 503 });
    expect((await fetch(`${api.url}/api/v1`)).status).toBe(200);
  });

  it('delays requests by the configured latency', async () => {
    const { api, core } = await cluster();
    api.setFaults({ latencyMs: { list: 300 } });
    const t0 = Date.now();
    await core.listNamespacedConfigMap({ namespace: ns });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });
});
