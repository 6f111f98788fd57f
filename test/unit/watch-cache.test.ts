// The watch cache's pure-ish parts, with small fakes of its ports: back-off, in-memory selector
// filtering, and the Waker (who is woken by a change, coalesced to one wake per policy per second).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CachedPod, KindName } from '../../activities/cache/kinds.js';
import { backoffMs } from '../../activities/cache/kind-cache.js';
import { cachedReader } from '../../activities/cache/reader.js';
import { WatchCache, type CacheChange } from '../../activities/cache/watch-cache.js';
import { KubeConfig } from '@kubernetes/client-node';
import type { Kube } from '../../activities/kube/clients.js';
import type { SnapshotRequest } from '../../domain/targets.js';
import { Waker } from '../../operator/wake.js';
import { labels, pod, waiting } from '../fixtures/domain-builders.js';

const cached = (p: ReturnType<typeof pod>): CachedPod => ({ pod: p });

describe('backoffMs', () => {
  it.each([
    [1, 0, 125],
    [1, 1, 250],
    [3, 0, 500],
    [3, 1, 1000],
    [20, 0, 15_000], // capped at 30 s, half of it fixed
    [20, 1, 30_000],
  ])('failure %i with random %d waits %d ms', (failures, random, want) => {
    expect(backoffMs(failures, 250, 30_000, () => random)).toBe(want);
  });
});

describe('cachedReader', () => {
  const pods = [cached(pod('web-1')), cached(pod('db-1', labels({ app: 'db' })))];
  const fakeCache = (
    answer: unknown[] | 'unserved' | undefined,
  ): Pick<WatchCache, 'read' | 'podMetrics'> => ({
    read: (() => answer) as WatchCache['read'],
    podMetrics: () => Promise.reject(new Error('not used')),
  });
  const direct = vi.fn(async () => ({ items: [] }));
  const kube = { core: { listNamespacedPod: direct } } as unknown as Kube;

  it('filters cached pods by the label selector in memory', async () => {
    const got = await cachedReader(fakeCache(pods), kube).list('pods', 'demo', {
      matchLabels: { app: 'web' },
    });
    expect(got.map((p) => p.pod.ref.name)).toEqual(['web-1']);
    expect(direct).not.toHaveBeenCalled();
  });

  it('reads none of a kind the cluster does not serve, without asking', async () => {
    expect(await cachedReader(fakeCache('unserved'), kube).list('daemonsets' as KindName, 'demo')).toEqual(
      [],
    );
  });

  it('lists directly while the kind is not synced', async () => {
    await cachedReader(fakeCache(undefined), kube).list('pods', 'demo', { matchLabels: { app: 'web' } });
    expect(direct).toHaveBeenCalledWith({ namespace: 'demo', labelSelector: 'app=web' });
  });
});

describe('Waker', () => {
  afterEach(() => vi.useRealTimers());
  const request = (app: string): SnapshotRequest => ({
    namespaces: ['demo'],
    labelSelector: { matchLabels: { app } },
    kinds: ['Pod'],
    needUsage: false,
    promQueries: [],
    eventLookbackMs: 0,
    wakeOn: {
      conditions: [{ conditionType: 'CrashLoopBackOff', status: 'True' }],
      events: [],
      intervalMs: 30_000,
    },
  });

  function setup(): { emit(c: CacheChange): void; signalled: string[]; waker: Waker } {
    let listener: ((c: CacheChange) => void) | undefined;
    const signalled: string[] = [];
    const cache = {
      onChange: (l: (c: CacheChange) => void) => ((listener = l), () => undefined),
      kind: () => ({ get: () => undefined }),
    } as unknown as Pick<WatchCache, 'onChange' | 'kind'>;
    const waker = new Waker({
      cache,
      signal: async (id) => void signalled.push(id),
      nowMs: () => Date.now(),
    });
    return { emit: (c) => listener?.(c), signalled, waker };
  }
  const crash = (name: string, app = 'web'): CacheChange => ({
    kind: 'pods',
    before: cached(pod(name, labels({ app }))),
    after: cached(pod(name, labels({ app }), waiting('CrashLoopBackOff'))),
  });

  it('wakes only the policies whose selector matches the pod', () => {
    const { emit, signalled, waker } = setup();
    waker.register('policy/web', request('web'));
    waker.register('policy/db', request('db'));
    emit(crash('web-1'));
    expect(signalled).toEqual(['policy/web']);
  });

  it('coalesces to one wake per policy per second, with one trailing wake for later changes', async () => {
    vi.useFakeTimers({ now: 10_000 });
    const { emit, signalled, waker } = setup();
    waker.register('policy/web', request('web'));
    emit(crash('web-1'));
    emit(crash('web-2'));
    emit(crash('web-3'));
    expect(signalled).toEqual(['policy/web']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(signalled).toEqual(['policy/web', 'policy/web']); // the trailing wake: web-2/3 are seen
    await vi.advanceTimersByTimeAsync(5000);
    expect(signalled).toHaveLength(2);
  });

  it('forgets a policy that stopped asking for snapshots', () => {
    vi.useFakeTimers({ now: 10_000 });
    const { emit, signalled, waker } = setup();
    waker.register('policy/web', request('web'));
    vi.setSystemTime(10_000 + 3 * 30_000 + 30_001);
    emit(crash('web-1'));
    expect(signalled).toEqual([]);
    expect(waker.registered()).toEqual([]);
  });

  it('forgets a policy whose requests no longer carry wake-up interest (metric triggers only)', () => {
    const { emit, signalled, waker } = setup();
    waker.register('policy/web', request('web'));
    waker.register('policy/web', { ...request('web'), wakeOn: undefined });
    emit(crash('web-1'));
    expect(signalled).toEqual([]);
  });
});

describe('WatchCache.podMetrics', () => {
  // A fake metrics.k8s.io: pods a-1 in ns-a, b-1 in ns-b, c-1 in ns-c; counts calls by scope.
  const items = ['a', 'b', 'c'].map((n) => ({
    metadata: { name: `${n}-1`, namespace: `ns-${n}` },
    containers: [{ name: 'app', usage: { cpu: '10m', memory: '1Mi' } }],
  }));
  function fakeKube(clusterWide: 'ok' | 'forbidden'): { kube: Kube; calls: (string | undefined)[] } {
    const calls: (string | undefined)[] = [];
    const getPodMetrics = async (namespace?: string): Promise<unknown> => {
      calls.push(namespace);
      if (namespace === undefined && clusterWide === 'forbidden')
        throw Object.assign(new Error('forbidden'), { code: 403, body: '{"reason":"Forbidden"}' });
      return { metadata: {}, items: items.filter((i) => !namespace || i.metadata.namespace === namespace) };
    };
    return { kube: { config: new KubeConfig(), metrics: { getPodMetrics } } as unknown as Kube, calls };
  }
  let now = 0;
  const names = async (c: WatchCache, ns: string): Promise<string[]> =>
    (await c.podMetrics(ns)).items.map((i) => i.metadata.name);

  it('lists per namespace for a few namespaces, then once cluster-wide for many', async () => {
    const { kube, calls } = fakeKube('ok');
    const cache = new WatchCache({ kube, nowMs: () => now, metricsFreshMs: 5000 });
    expect(await names(cache, 'ns-a')).toEqual(['a-1']);
    expect(await names(cache, 'ns-a')).toEqual(['a-1']); // shared within the window
    expect(await names(cache, 'ns-b')).toEqual(['b-1']);
    expect(calls).toEqual(['ns-a', 'ns-b']);
    // A third namespace in the window: one cluster-wide list answers all three, split by namespace.
    expect(await names(cache, 'ns-c')).toEqual(['c-1']);
    expect(await names(cache, 'ns-a')).toEqual(['a-1']);
    expect(await names(cache, 'ns-empty')).toEqual([]);
    expect(calls).toEqual(['ns-a', 'ns-b', undefined]);
    now += 6000; // the window is over: one new cluster-wide list
    expect(await names(cache, 'ns-b')).toEqual(['b-1']);
    expect(calls).toEqual(['ns-a', 'ns-b', undefined, undefined]);
    cache.stop();
  });

  it("never answers with a sample older than the caller's maxAgeMs", async () => {
    const { kube, calls } = fakeKube('ok');
    const cache = new WatchCache({ kube, nowMs: () => now, metricsFreshMs: 5000 });
    await cache.podMetrics('ns-a', 500);
    now += 400;
    await cache.podMetrics('ns-a', 500); // 400 ms old: shared
    now += 200;
    await cache.podMetrics('ns-a', 500); // 600 ms old: too old for a 1 s policy, listed again
    await cache.podMetrics('ns-a'); // within the 5 s window for a caller that gives no bound
    expect(calls).toEqual(['ns-a', 'ns-a']);
    cache.stop();
  });

  it('falls back to per-namespace lists when a cluster-wide list is forbidden', async () => {
    const { kube, calls } = fakeKube('forbidden');
    const cache = new WatchCache({ kube, nowMs: () => now, metricsFreshMs: 5000 });
    for (const ns of ['ns-a', 'ns-b', 'ns-c']) expect(await names(cache, ns)).toEqual([`${ns.slice(3)}-1`]);
    expect(await names(cache, 'ns-a')).toEqual(['a-1']);
    expect(calls).toEqual(['ns-a', 'ns-b', undefined, 'ns-c']); // refused once, never asked again
    cache.stop();
  });
});
