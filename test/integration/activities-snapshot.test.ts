// collectSnapshot against the simulated cluster through the real client: pods with their owning
// workloads, usage from metrics.k8s.io, recent events only, PDBs, Services with their EndpointSlices
// for an action's blast radius — and a partial snapshot, not a
// failed activity, when metrics are unavailable. Twice: listing directly, and from the worker's
// watch cache (synced first), which must answer the same.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../domain/snapshot.js';
import type { SnapshotRequest } from '../../domain/targets.js';
import type { KObject } from '../../sim/contract.js';
import { EVENTS, REPLICASETS, startActivitySim, type ActivitySim } from '../support/activities-sim.js';
import { deployment, pdb, service, statefulSet, waitFor } from '../support/sim-fixtures.js';

let env: ActivitySim;
let ns: string;
const MiB = 2 ** 20;
const steady = { behavior: 'healthy', 'memory-start': '100Mi', 'cpu-base': '50m', jitter: '0' };

describe.each([
  { mode: 'direct lists', watchCache: false },
  // No metrics sharing window here: the fault test below wants each call to ask metrics.k8s.io.
  { mode: 'the watch cache', watchCache: { metricsFreshMs: 0 } },
])('collectSnapshot from $mode', ({ watchCache }) => {
  beforeAll(async () => {
    env = await startActivitySim({ watchCache });
    ns = env.namespace();
    env.apply(ns, [
      deployment('web', { replicas: 2, behaviour: steady, labels: { tier: 'fe' } }),
      statefulSet('db', { replicas: 1, behaviour: steady }),
      pdb('web', { app: 'web' }, { minAvailable: 1 }),
      service('web', { app: 'web' }),
      service('manual'),
      // A bare pod (no owner) and a ReplicaSet without a Deployment.
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'lonely', labels: { app: 'lonely' } },
        spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'raw' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'raw' } },
          template: {
            metadata: { labels: { app: 'raw' } },
            spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
          },
        },
      },
    ]);
    await Promise.all([
      env.readyPods(ns, 'web', 2),
      env.readyPods(ns, 'db', 1),
      env.readyPods(ns, 'lonely', 1),
      env.readyPods(ns, 'raw', 1),
    ]);
    await waitFor(
      () => env.get('policy/v1/poddisruptionbudgets', ns, 'web')?.status?.disruptionsAllowed === 1,
      'PDB',
    );
    if (env.cache) {
      // Starts every kind (Services and EndpointSlices only start for an action's safety check).
      await env.activities.collectSnapshot(
        request({ eventLookbackMs: 1, needUsage: true, blastRadius: true }),
      );
      await waitFor(() => synced(env), 'every kind synced or known unserved');
      expect(env.cache.stats().daemonsets.state).toMatch(/watching|unserved/);
    }
  });
  afterAll(() => env?.stop());
  afterEach(() => setFaults({}));

  function request(over: Partial<SnapshotRequest> = {}): SnapshotRequest {
    return {
      namespaces: [ns],
      kinds: ['Pod'],
      needUsage: false,
      promQueries: [],
      eventLookbackMs: 0,
      ...over,
    };
  }

  async function setFaults(config: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${env.sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify(config) });
    expect(res.status).toBe(200);
  }

  /** Every kind the snapshot read is watched (or known not served), so snapshots read the cache. */
  function synced(e: ActivitySim): boolean {
    return Object.values(e.cache!.stats()).every((k) => k.state === 'watching' || k.state === 'unserved');
  }

  const podNamed = (snap: ClusterSnapshot, prefix: string) =>
    snap.pods.filter((p) => p.ref.name.startsWith(prefix));

  it('resolves owners: Pod → ReplicaSet → Deployment, StatefulSet, a bare ReplicaSet, none', async () => {
    const snap = await env.activities.collectSnapshot(request());

    const dep = env.get('apps/v1/deployments', ns, 'web')!;
    const sts = env.get('apps/v1/statefulsets', ns, 'db')!;
    const raw = env.get(REPLICASETS, ns, 'raw')!;
    expect(podNamed(snap, 'web-')).toHaveLength(2);
    for (const pod of podNamed(snap, 'web-'))
      expect(pod.owner).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: ns,
        name: 'web',
        uid: dep.metadata.uid,
      });
    expect(podNamed(snap, 'db-0')[0]?.owner).toMatchObject({
      kind: 'StatefulSet',
      name: 'db',
      uid: sts.metadata.uid,
    });
    expect(podNamed(snap, 'raw-')[0]?.owner).toMatchObject({
      kind: 'ReplicaSet',
      name: 'raw',
      uid: raw.metadata.uid,
    });
    expect(podNamed(snap, 'lonely')[0]).not.toHaveProperty('owner');

    const byKind = Object.fromEntries(snap.workloads.map((w) => [`${w.ref.kind}/${w.ref.name}`, w]));
    expect(Object.keys(byKind).sort()).toEqual(['Deployment/web', 'ReplicaSet/raw', 'StatefulSet/db']);
    expect(byKind['Deployment/web']).toMatchObject({ replicas: 2, readyReplicas: 2, labels: {} });
    expect(byKind['StatefulSet/db']).toMatchObject({ replicas: 1, readyReplicas: 1 });
    expect(snap.pods.every((p) => p.ready && p.phase === 'Running')).toBe(true);
    expect(snap).not.toHaveProperty('errors');
  });

  it('lists only the selected pods when the policy selects pods by label', async () => {
    const snap = await env.activities.collectSnapshot(
      request({ labelSelector: { matchLabels: { app: 'web', tier: 'fe' } } }),
    );
    expect(snap.pods.map((p) => p.ref.name).every((n) => n.startsWith('web-'))).toBe(true);
    expect(snap.pods).toHaveLength(2);
  });

  it('reads usage from metrics.k8s.io', async () => {
    const snap = await env.activities.collectSnapshot(request({ needUsage: true }));

    for (const pod of snap.pods.filter(
      (p) => !p.ref.name.startsWith('lonely') && !p.ref.name.startsWith('raw'),
    )) {
      const usage = pod.containers[0]?.usage;
      expect(usage, pod.ref.name).toBeDefined();
      // healthy: memory within ±2% of memory-start, CPU within ±10% of cpu-base (jitter 0)
      expect(usage!.memoryBytes / MiB).toBeGreaterThan(97);
      expect(usage!.memoryBytes / MiB).toBeLessThan(103);
      expect(usage!.cpuMillicores).toBeGreaterThan(44);
      expect(usage!.cpuMillicores).toBeLessThan(56);
    }
    expect(snap).not.toHaveProperty('errors');
  });

  it('keeps events inside the lookback only, for the pods it lists', async () => {
    const [web] = await env.readyPods(ns, 'web', 2);
    const now = Date.now();
    const ev = (
      name: string,
      podName: string,
      times: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ): KObject => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name.toLowerCase()}.${randomUUID().slice(0, 6)}`, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: podName },
      reason: name,
      type: 'Warning',
      message: `${name} happened`,
      ...times,
      ...extra,
    });
    const iso = (ms: number): string => new Date(ms).toISOString();
    for (const e of [
      ev('RecentBackOff', web!.metadata.name!, {
        firstTimestamp: iso(now - 50_000),
        lastTimestamp: iso(now - 5_000),
        count: 6,
      }),
      ev('OldBackOff', web!.metadata.name!, {
        firstTimestamp: iso(now - 600_000),
        lastTimestamp: iso(now - 300_000),
        count: 2,
      }),
      ev('SeriesUnhealthy', web!.metadata.name!, {
        eventTime: iso(now - 100_000),
        series: { count: 4, lastObservedTime: iso(now - 2_000) },
      }),
      ev('NewStyleOnly', web!.metadata.name!, { eventTime: iso(now - 3_000) }),
      ev('OtherPod', 'not-listed', { lastTimestamp: iso(now - 1_000) }),
    ])
      env.sim.store.create(EVENTS, e);

    if (env.cache)
      await waitFor(
        () => env.cache!.kind('events').get(ns, (e) => e.reason === 'OtherPod'),
        'the events in the cache',
      );
    const snap = await env.activities.collectSnapshot(request({ eventLookbackMs: 60_000 }));

    const mine = snap.events.filter((e) => e.involvedObject.name === web!.metadata.name);
    const reasons = mine.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['RecentBackOff', 'SeriesUnhealthy', 'NewStyleOnly']));
    expect(reasons).not.toContain('OldBackOff');
    expect(snap.events.map((e) => e.reason)).not.toContain('OtherPod');
    expect(mine.find((e) => e.reason === 'RecentBackOff')).toMatchObject({ count: 6, type: 'Warning' });
    expect(mine.find((e) => e.reason === 'SeriesUnhealthy')?.count).toBe(4);
    expect(snap.events.every((e) => e.lastTimestampMs >= snap.observedAtMs - 60_000)).toBe(true);
  });

  it('asks for a kind the cluster does not serve (DaemonSets, HPAs on the sim) once, not every snapshot', async () => {
    env.sim.resetRequests();
    for (let i = 0; i < 3; i++) await env.activities.collectSnapshot(request());
    const unserved = Object.entries(env.sim.requests())
      .filter(([k]) => /daemonsets|horizontalpodautoscalers/.test(k))
      .reduce((n, [, v]) => n + v, 0);
    expect(unserved).toBe(watchCache ? 0 : 6); // cached: a 404 is remembered for 5 minutes
    if (env.cache) expect(env.cache.stats().daemonsets.state).toBe('unserved');
  });

  it('reads no events when no trigger looks at them', async () => {
    const snap = await env.activities.collectSnapshot(request());
    expect(snap.events).toEqual([]);
  });

  it('reports PodDisruptionBudgets with their disruptions allowed', async () => {
    const snap = await env.activities.collectSnapshot(request());
    expect(snap.pdbs).toEqual([
      { namespace: ns, name: 'web', selector: { matchLabels: { app: 'web' } }, disruptionsAllowed: 1 },
    ]);
  });

  it("reads Services and their EndpointSlices only for an action's safety check (blastRadius)", async () => {
    const tick = await env.activities.collectSnapshot(request());
    expect(tick.services).toBeUndefined();
    expect(tick.endpointSlices).toBeUndefined();
    const web = podNamed(tick, 'web-')
      .map((p) => p.ref.uid)
      .sort();
    await waitFor(async () => {
      const s = await env.activities.collectSnapshot(request({ blastRadius: true }));
      return s.endpointSlices?.[0]?.ready.length === 2;
    }, 'two ready endpoints');
    const snap = await env.activities.collectSnapshot(request({ blastRadius: true }));
    // The Service without a selector has hand-made endpoints: it selects no pods and is not kept.
    expect(snap.services).toEqual([{ namespace: ns, name: 'web', selector: { app: 'web' } }]);
    expect(snap.endpointSlices).toEqual([
      {
        namespace: ns,
        name: expect.stringMatching(/^web-/),
        service: 'web',
        ready: expect.any(Array),
        notReady: [],
      },
    ]);
    expect(snap.endpointSlices![0]!.ready.sort()).toEqual(web);
    expect(snap.hpas).toEqual([]); // the sim serves no HPAs
  });

  it('returns the rest of the snapshot with an error when metrics.k8s.io fails', async () => {
    await setFaults({ errorRate: 1, errorCodes: [503], pathPattern: '^/apis/metrics\\.k8s\\.io/' });

    const snap = await env.activities.collectSnapshot(request({ needUsage: true }));

    expect(snap.pods.length).toBeGreaterThanOrEqual(5);
    expect(snap.pods.every((p) => p.containers.every((c) => c.usage === undefined))).toBe(true);
    expect(snap.errors).toEqual([expect.stringContaining(`metrics.k8s.io unavailable in ${ns}`)]);
  });

  it.skipIf(watchCache)('fails (to be retried) when pods cannot be listed', async () => {
    await setFaults({ errorRate: 1, errorCodes: [503], pathPattern: `^/api/v1/namespaces/${ns}/pods$` });
    await expect(env.activities.collectSnapshot(request())).rejects.toMatchObject({
      type: 'KubeServerError',
      nonRetryable: false,
    });
  });
});
