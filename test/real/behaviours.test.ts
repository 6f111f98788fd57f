// The simulator's workload behaviours on the real control plane, as a user sees them through the
// API (kubectl get pods / top pods / get events): kwok plays them from cluster/kwok/*.yaml, driven
// by the same `sim.kubeskippy.io/*` pod-template annotations as demo/apps/*.yaml. Each behaviour
// runs in its own Deployment of one namespace, all at once, so the file stays within ~2 minutes.
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  Metrics,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/sim-fixtures.js';
import { realKubeconfig } from './kubeconfig.js';

const KUBECONFIG = realKubeconfig();
const NS = `behaviours-${Date.now().toString(36)}`;
const Mi = 2 ** 20;
/** Each behaviour's own budget; they run side by side, so the file takes about the longest one. */
const TIMEOUT_MS = 150_000;
let core: CoreV1Api;
let apps: AppsV1Api;
let metrics: Metrics;

/** "512Mi", "104857600", "102400Ki" → bytes; "450m", "450123456n", "1" → millicores. */
const bytes = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(q);
  return m ? Number(m[1]) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] ?? ''] ?? 1) : NaN;
};
const millicores = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q);
  return m ? Number(m[1]) * ({ n: 1e-6, u: 1e-3, m: 1 }[m[2] ?? ''] ?? 1000) : NaN;
};

function deployment(
  name: string,
  replicas: number,
  annotations: Record<string, string>,
  limits: Record<string, string>,
): V1Deployment {
  const prefixed = Object.fromEntries(
    Object.entries(annotations).map(([k, v]) => [`sim.kubeskippy.io/${k}`, v]),
  );
  return {
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: prefixed },
        spec: {
          containers: [{ name: 'app', image: 'busybox:1.36', resources: { requests: limits, limits } }],
        },
      },
    },
  };
}

const podsOf = async (app: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items.filter(
    (p) => !p.metadata?.deletionTimestamp,
  );
/** waitFor takes [] as done: an empty list must read as not yet. */
const nonEmpty = <T>(list: T[]): T[] | false => list.length > 0 && list;
const isReady = (p: V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const eventsOf = async (pod: string, reason: string) =>
  (
    await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${pod}` })
  ).items.filter((e) => e.reason === reason);

/** The pod's metrics.k8s.io sample (what `kubectl top pod` shows) with its timestamp. */
async function usageOf(pod: string): Promise<{ at: number; memory: number; cpu: number } | undefined> {
  const item = (await metrics.getPodMetrics(NS)).items.find((m) => m.metadata.name === pod);
  const c = item?.containers[0];
  return item && c
    ? { at: Date.parse(item.timestamp), memory: bytes(c.usage.memory), cpu: millicores(c.usage.cpu) }
    : undefined;
}

const startedAtOf = (p: V1Pod): number => {
  const s = p.status?.containerStatuses?.[0]?.state?.running?.startedAt;
  return s ? new Date(s).getTime() : NaN;
};

describe('demo behaviours on the real cluster (kwok stages)', () => {
  beforeAll(async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(KUBECONFIG);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    metrics = new Metrics(kc);
    // The load spreader is the cluster's own (startCluster runs it), as users get it.
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });
  afterAll(async () => {
    await core?.deleteNamespace({ name: NS }).catch(() => undefined);
  });

  it.concurrent(
    'healthy: Ready, no restarts, memory and CPU at their declared figures',
    async () => {
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: deployment(
          'healthy',
          1,
          { behavior: 'healthy', 'memory-start': '64Mi', 'cpu-base': '40m' },
          {
            cpu: '200m',
            memory: '256Mi',
          },
        ),
      });
      const [pod] = await waitFor(
        async () => nonEmpty((await podsOf('healthy')).filter(isReady)),
        'healthy pod Ready',
        30_000,
        500,
      );
      const name = pod!.metadata!.name!;
      const usage = await waitFor(() => usageOf(name), 'metrics for the healthy pod', 60_000, 1000);
      expect(usage.memory).toBe(64 * Mi);
      expect(Math.abs(usage.cpu - 40)).toBeLessThan(4);
      const again = await core.readNamespacedPod({ name, namespace: NS });
      expect(again.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(isReady(again)).toBe(true);
    },
    TIMEOUT_MS,
  );

  it.concurrent(
    'memory leak: metrics.k8s.io rises at the leak rate, OOMKilled (137) at the limit, low again after the restart',
    async () => {
      // 100Mi + 4Mi/s under a 256Mi limit: OOM-killed 39 s after each start.
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: deployment(
          'leak',
          1,
          { behavior: 'memory-leak', 'memory-start': '100Mi', 'memory-leak-rate': '4Mi/s' },
          { cpu: '200m', memory: '256Mi' },
        ),
      });
      const [pod] = await waitFor(
        async () =>
          nonEmpty((await podsOf('leak')).filter((p) => p.status?.containerStatuses?.[0]?.state?.running)),
        'leak pod running',
        30_000,
        500,
      );
      const name = pod!.metadata!.name!;
      const started = startedAtOf(pod!);
      const expected = (at: number): number => 100 * Mi + 4 * Mi * ((at - started) / 1000);
      const first = await waitFor(() => usageOf(name), 'first sample', 45_000, 1000);
      const second = await waitFor(
        async () => {
          const u = await usageOf(name);
          return u && u.at > first.at && u;
        },
        'a later sample',
        30_000,
        1000,
      );
      for (const u of [first, second]) {
        if (u.at - started < 38_000) expect(Math.abs(u.memory - expected(u.at))).toBeLessThan(8 * Mi);
      }
      if (second.at - started < 38_000) {
        expect(second.memory - first.memory).toBeGreaterThan(
          4 * Mi * ((second.at - first.at) / 1000) - 6 * Mi,
        );
      }

      const killed = await waitFor(
        async () => {
          const p = await core.readNamespacedPod({ name, namespace: NS });
          const c = p.status?.containerStatuses?.[0];
          return c?.lastState?.terminated?.reason === 'OOMKilled' && c;
        },
        'OOMKilled',
        50_000,
        1000,
      );
      expect(killed.lastState?.terminated?.exitCode).toBe(137);
      expect(killed.restartCount).toBeGreaterThanOrEqual(1);
      expect((await eventsOf(name, 'OOMKilling')).map((e) => e.type)).toContain('Warning');
      const restarted = await waitFor(
        async () => {
          const p = await core.readNamespacedPod({ name, namespace: NS });
          return p.status?.containerStatuses?.[0]?.state?.running && p;
        },
        'running again after the back-off',
        20_000,
        500,
      );
      const low = await waitFor(
        async () => {
          const u = await usageOf(name);
          return u && u.at > startedAtOf(restarted) + 1000 && u;
        },
        'a sample after the restart',
        30_000,
        1000,
      );
      expect(low.memory).toBeLessThan(0.7 * 256 * Mi);
    },
    TIMEOUT_MS,
  );

  it.concurrent(
    'crash loop: restartCount climbs with CrashLoopBackOff and BackOff warnings; the healing patch stops it',
    async () => {
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: deployment(
          'crashloop',
          2,
          { behavior: 'crashloop', 'crash-after': '1s', 'exit-code': '1' },
          { cpu: '100m', memory: '64Mi' },
        ),
      });
      // exits 1 s after each start; back-off 10 s, then 20 s: the second restart is due ~14 s in.
      const looping = await waitFor(
        async () =>
          (await podsOf('crashloop')).find((p) => {
            const c = p.status?.containerStatuses?.[0];
            return (c?.restartCount ?? 0) >= 2 && c?.state?.waiting?.reason === 'CrashLoopBackOff';
          }),
        'restartCount >= 2 in CrashLoopBackOff',
        45_000,
        500,
      );
      const c = looping.status!.containerStatuses![0]!;
      expect(c.lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
      expect(c.ready).toBe(false);
      const backOffs = await eventsOf(looping.metadata!.name!, 'BackOff');
      expect(backOffs.every((e) => e.type === 'Warning')).toBe(true);
      expect(backOffs.reduce((n, e) => n + (e.count ?? 1), 0)).toBeGreaterThanOrEqual(2);

      // demo/policies/crashloop-healing.yaml's patch: a healthy behaviour and DEBUG=true.
      await apps.patchNamespacedDeployment(
        {
          name: 'crashloop',
          namespace: NS,
          body: {
            spec: {
              template: {
                metadata: { annotations: { 'sim.kubeskippy.io/behavior': 'healthy' } },
                spec: { containers: [{ name: 'app', env: [{ name: 'DEBUG', value: 'true' }] }] },
              },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      const healed = await waitFor(
        async () => {
          const all = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=crashloop' })).items;
          const fine = all.filter(
            (p) =>
              p.metadata?.annotations?.['sim.kubeskippy.io/behavior'] === 'healthy' &&
              isReady(p) &&
              p.status?.containerStatuses?.[0]?.restartCount === 0,
          );
          return all.length === 2 && fine.length === 2 && fine;
        },
        'two patched pods Ready, old pods gone',
        45_000,
        500,
      );
      await sleep(8000);
      for (const p of healed) {
        const now = await core.readNamespacedPod({ name: p.metadata!.name!, namespace: NS });
        expect(now.status?.containerStatuses?.[0]?.restartCount).toBe(0);
        expect(now.status?.containerStatuses?.[0]?.state?.running).toBeTruthy();
        expect(isReady(now)).toBe(true);
      }
    },
    TIMEOUT_MS,
  );

  it.concurrent(
    'flaky readiness: Ready flips to False with Warning Unhealthy events, and back',
    async () => {
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: deployment(
          'flaky',
          3,
          { behavior: 'flaky-readiness', 'ready-failure-rate': '50%', 'ready-period': '2s' },
          { cpu: '100m', memory: '64Mi' },
        ),
      });
      const seen = { unready: new Set<string>(), readyAgain: new Set<string>() };
      await waitFor(
        async () => {
          for (const p of await podsOf('flaky')) {
            if (!p.status?.containerStatuses?.[0]?.state?.running) continue;
            const name = p.metadata!.name!;
            if (!isReady(p)) seen.unready.add(name);
            else if (seen.unready.has(name)) seen.readyAgain.add(name);
          }
          return seen.readyAgain.size > 0;
        },
        'a pod unready and Ready again',
        45_000,
        300,
      );
      const [name] = [...seen.readyAgain];
      const unhealthy = await eventsOf(name!, 'Unhealthy');
      expect(unhealthy[0]).toMatchObject({
        type: 'Warning',
        message: expect.stringContaining('Readiness probe failed'),
      });
      const p = await core.readNamespacedPod({ name: name!, namespace: NS });
      expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    },
    TIMEOUT_MS,
  );

  it.concurrent(
    'cpu spike with cpu-load 900m: per-pod CPU falls from ~450m to ~300m to ~225m as it scales 2 → 3 → 4',
    async () => {
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: deployment(
          'cpu',
          2,
          { behavior: 'cpu-spike', 'cpu-base': '50m', 'cpu-load': '900m', 'cpu-pattern': 'spike-after=0s' },
          { cpu: '500m', memory: '128Mi' },
        ),
      });
      const expected = { 2: 450, 3: 300, 4: 225 } as const;
      for (const replicas of [2, 3, 4] as const) {
        if (replicas > 2) {
          await apps.patchNamespacedDeploymentScale(
            { name: 'cpu', namespace: NS, body: { spec: { replicas } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
        }
        // Every serving pod carries the count, then a sample taken after that shows its share.
        const counted = await waitFor(
          async () => {
            const pods = (await podsOf('cpu')).filter(isReady);
            const all = pods.every(
              (p) => p.metadata?.annotations?.['kwok.kubeskippy.io/ready-replicas'] === String(replicas),
            );
            return pods.length === replicas && all && pods;
          },
          `${replicas} ready pods counted`,
          30_000,
          300,
        );
        const since = Date.now();
        const usage = await waitFor(
          async () => {
            const all = await Promise.all(counted.map((p) => usageOf(p.metadata!.name!)));
            const fresh = all.filter(
              (u): u is NonNullable<typeof u> => u !== undefined && u.at > since + 1000,
            );
            return fresh.length > 0 && fresh;
          },
          `a sample at ${replicas} replicas`,
          45_000,
          1000,
        );
        for (const u of usage)
          expect(Math.abs(u.cpu - expected[replicas])).toBeLessThan(expected[replicas] * 0.1);
      }
    },
    TIMEOUT_MS,
  );
});
