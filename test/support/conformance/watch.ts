// Watch semantics through the real client-node Watch: one suite, run against the sim's API server
// (test/integration/sim-api-watch.test.ts) and the real control plane
// (test/real/api-conformance-watch.test.ts). Each test gets a target of its own (a fresh sim API
// server, or a fresh namespace on the real cluster). The watched ConfigMaps carry a label and the
// watches select it: a real namespace also holds the kube-root-ca.crt ConfigMap (docs/sim.md).
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiTarget } from '../api-target.js';

export interface WatchTargetOptions {
  /** Sim only: how many events the store keeps (the real server compacts by time). */
  historySize?: number;
}

const SELECT = 'conformance=watch';
export const cm = (name: string, labels: Record<string, string> = {}): k8s.V1ConfigMap => ({
  metadata: { name, labels: { conformance: 'watch', ...labels } },
});

export interface Seen {
  type: string;
  name?: string;
  code?: number;
}

/** Opens a watch and collects what it receives until `closed` reports the stream closed. */
export async function watchConfigMaps(
  t: ApiTarget,
  query: Record<string, string>,
): Promise<{ events: Seen[]; closed: Promise<unknown>; stop(): void }> {
  const events: Seen[] = [];
  let resolveClosed: (v: unknown) => void = () => {};
  const closed = new Promise((r) => (resolveClosed = r));
  const selector = query.labelSelector ? `${SELECT},${query.labelSelector}` : SELECT;
  const ctl = await new k8s.Watch(t.kc).watch(
    `/api/v1/namespaces/${t.namespace}/configmaps`,
    { ...query, labelSelector: selector },
    (type, obj: { metadata?: { name?: string }; code?: number }) =>
      events.push({ type, name: obj.metadata?.name, code: obj.code }),
    (err) => resolveClosed(err),
  );
  return { events, closed, stop: () => ctl.abort() };
}

export const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

export function watchSuite(start: (opts?: WatchTargetOptions) => Promise<ApiTarget>): void {
  const opened: ApiTarget[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.stop()));
  });
  const target = async (
    opts?: WatchTargetOptions,
  ): Promise<{ t: ApiTarget; core: k8s.CoreV1Api; ns: string }> => {
    const t = await start(opts);
    opened.push(t);
    return { t, core: t.kc.makeApiClient(k8s.CoreV1Api), ns: t.namespace };
  };

  describe('watch', () => {
    it('resumes from a resourceVersion with exactly the later events, then streams new ones', async () => {
      const { t, core, ns } = await target();
      const a = await core.createNamespacedConfigMap({ namespace: ns, body: cm('a') });
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('b') });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
      const w = await watchConfigMaps(t, { resourceVersion: a.metadata!.resourceVersion! });
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
      const { t, core, ns } = await target();
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('x') });
      const w = await watchConfigMaps(t, {});
      await until(() => w.events.length === 1);
      expect(w.events[0]).toEqual({ type: 'ADDED', name: 'x' });
      w.stop();
    });

    it('answers a resume from a compacted resourceVersion with a 410 ERROR event and closes', async () => {
      const { t, core, ns } = await target({ historySize: 3 });
      const first = await core.createNamespacedConfigMap({ namespace: ns, body: cm('old') });
      for (const n of ['n1', 'n2', 'n3', 'n4'])
        await core.createNamespacedConfigMap({ namespace: ns, body: cm(n) });
      // The sim forgets by count (historySize 3 here), so `old` is already compacted; the real
      // server compacts by time (every 5 minutes), so only a resourceVersion older than its watch
      // cache, such as 1, is (docs/sim.md).
      if (t.sim) {
        const w = await watchConfigMaps(t, { resourceVersion: first.metadata!.resourceVersion! });
        await w.closed;
        expect(w.events).toEqual([{ type: 'ERROR', code: 410 }]);
      }
      const w = await watchConfigMaps(t, { resourceVersion: '1' });
      if (t.sim) {
        await w.closed;
        expect(w.events).toEqual([{ type: 'ERROR', code: 410 }]);
      } else {
        // The real server says 410 once it has compacted past 1; before its first compaction (it
        // compacts by time, every 5 minutes) it replays every later event from etcd instead.
        await until(() => w.events.some((e) => e.type === 'ERROR') || w.events.length >= 5, 10_000);
        w.stop();
        if (w.events[0]?.type === 'ERROR') expect(w.events).toEqual([{ type: 'ERROR', code: 410 }]);
        else
          expect(w.events).toEqual(
            ['old', 'n1', 'n2', 'n3', 'n4'].map((name) => ({ type: 'ADDED', name, code: undefined })),
          );
      }
    });

    it('reports objects entering and leaving a label selector as ADDED and DELETED', async () => {
      const { t, core, ns } = await target();
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('sel') });
      const w = await watchConfigMaps(t, { labelSelector: 'role=watched' });
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

    it('sends a BOOKMARK before timeoutSeconds when asked, and ends the stream then', async () => {
      const { t } = await target();
      const started = Date.now();
      const w = await watchConfigMaps(t, { allowWatchBookmarks: 'true', timeoutSeconds: '4' });
      await w.closed;
      expect(w.events.filter((e) => e.type === 'BOOKMARK').length).toBeGreaterThanOrEqual(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  });
}
