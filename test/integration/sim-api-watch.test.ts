// Watch semantics of the sim's API server through the real client-node Watch and informer: the
// conformance suite (also run on the real control plane by test/real/api-conformance-watch.test.ts),
// plus what only the sim has: its bookmark interval, and fault injection.
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { MemoryStore } from '../../sim/api/store.js';
import { simApiTarget } from '../support/api-target.js';
import { until, watchSuite } from '../support/conformance/watch.js';

watchSuite((opts = {}) =>
  simApiTarget(opts.historySize ? { store: new MemoryStore({ historySize: opts.historySize }) } : {}),
);

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

const cm = (name: string): k8s.V1ConfigMap => ({ metadata: { name } });

describe('sim only: the bookmark interval', () => {
  it('sends BOOKMARKs every bookmarkIntervalMs and ends the stream after timeoutSeconds', async () => {
    const { kc } = await cluster({ bookmarkIntervalMs: 50 });
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      void new k8s.Watch(kc).watch(
        `/api/v1/namespaces/${ns}/configmaps`,
        { allowWatchBookmarks: 'true', timeoutSeconds: '1' },
        (type) => events.push(type),
        () => resolve(),
      );
    });
    expect(events.filter((e) => e === 'BOOKMARK').length).toBeGreaterThan(2);
  });
});

describe('sim only: informer across injected watch drops', () => {
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

describe('sim only: fault injection', () => {
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
