// collectSnapshot's PromQL values from a real Prometheus (the Debian package's binary) scraping the
// sim's /metrics/pods, served under a route prefix as behind a proxy. Samples map to pods by their
// namespace/pod labels, one query per snapshot serves every namespace, what cannot map to a pod is
// reported rather than dropped, and a deleted pod's series go stale.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../activities/snapshot/collect.js';
import type { ClusterSnapshot } from '../../domain/snapshot.js';
import type { SnapshotRequest } from '../../domain/targets.js';
import type { KObject } from '../../sim/contract.js';
import { startActivitySim, type ActivitySim } from '../support/activities-sim.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { crashLoopingDeployment, deployment, waitFor } from '../support/sim-fixtures.js';

const MiB = 2 ** 20;
const WORKING_SET = 'container_memory_working_set_bytes / 1048576';
let env: ActivitySim;
let prom: RunningPrometheus;
let nsA: string;
let nsB: string;
let nsC: string;

/** A pod of two containers whose working sets differ: the sidecar is the larger. */
function twoContainers(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'pair',
      labels: { app: 'pair' },
      annotations: {
        'sim.kubeskippy.io/app.memory-start': '100Mi',
        'sim.kubeskippy.io/sidecar.memory-start': '300Mi',
      },
    },
    spec: {
      containers: [
        { name: 'app', image: 'busybox:1.36' },
        { name: 'sidecar', image: 'busybox:1.36' },
      ],
    },
  };
}

beforeAll(async () => {
  env = await startActivitySim();
  nsA = env.namespace();
  nsB = env.namespace();
  nsC = env.namespace();
  const web = deployment('web', { behaviour: { 'memory-start': '64Mi' } });
  env.apply(nsA, [web, twoContainers()]);
  env.apply(nsB, [web]);
  env.apply(nsC, [
    deployment('busy', { behaviour: { 'cpu-base': '200m', jitter: '0' } }),
    crashLoopingDeployment('crashy', '500ms'),
  ]);
  await Promise.all([
    env.readyPods(nsA, 'web', 1),
    env.readyPods(nsA, 'pair', 1),
    env.readyPods(nsB, 'web', 1),
  ]);
  prom = await startPrometheus({ simUrl: env.sim.url, routePrefix: '/prom' });
  await waitFor(
    async () =>
      (await prom.instant(`container_memory_working_set_bytes{namespace=~"${nsA}|${nsB}"}`)).length === 4,
    'the four containers of nsA and nsB scraped',
    15_000,
    200,
  );
});
afterAll(async () => {
  await prom?.stop();
  await env?.stop();
});

const request = (namespaces: string[], promQueries: string[]): SnapshotRequest => ({
  namespaces,
  kinds: ['Pod'],
  needUsage: false,
  promQueries,
  eventLookbackMs: 0,
});

/** Prometheus's own count of instant queries answered. */
async function queriesServed(): Promise<number> {
  const text = await (await fetch(`${prom.url}/metrics`)).text();
  const line = /^prometheus_http_requests_total\{code="200",handler="\/api\/v1\/query"\} (\S+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

/** The sim's working set of a pod's container now, in MiB, as metrics.k8s.io serves it. */
const usageMiB = (ns: string, pod: string, container: string): number =>
  env.sim.metrics.podUsage(ns, pod)!.find((c) => c.name === container)!.memoryBytes / MiB;

const valueOf = (snap: ClusterSnapshot, ns: string, prefix: string, query: string): number | undefined =>
  snap.pods.find((p) => p.ref.namespace === ns && p.ref.name.startsWith(prefix))?.customMetrics?.[query];

describe('collectSnapshot with a real Prometheus', () => {
  it('maps samples to pods by namespace/pod, once per snapshot for every namespace', async () => {
    const before = await queriesServed();
    const snap = await collectSnapshot(env.kube, request([nsA, nsB], [WORKING_SET]), {
      prometheusUrl: prom.url,
    });
    expect(await queriesServed()).toBe(before + 1);
    expect(snap.errors).toBeUndefined();
    const webA = snap.pods.find((p) => p.ref.namespace === nsA && p.ref.name.startsWith('web'))!;
    const webB = snap.pods.find((p) => p.ref.namespace === nsB && p.ref.name.startsWith('web'))!;
    // Same pod name shape in two namespaces: each gets its own series (the wobble is ±2%).
    expect(webA.customMetrics![WORKING_SET]).toBeCloseTo(usageMiB(nsA, webA.ref.name, 'app'), -1);
    expect(webB.customMetrics![WORKING_SET]).toBeCloseTo(usageMiB(nsB, webB.ref.name, 'app'), -1);
    // Two series name the pair: its value is the larger container's, not whichever came last.
    const pair = valueOf(snap, nsA, 'pair', WORKING_SET)!;
    expect(pair).toBeGreaterThan(280);
    expect(pair).toBeCloseTo(usageMiB(nsA, 'pair', 'sidecar'), -1);
  });

  it.each([
    ['sum(container_memory_working_set_bytes)', /1 sample\(s\) without namespace and pod labels ignored/],
    ['container_memory_working_set_bytes[1m]', /failed: the result is a range vector; wrap it/],
    ['scalar(vector(1))', /failed: the result is a scalar/],
    [
      'rate(container_cpu_usage_seconds_total',
      /failed: Prometheus query failed \(400\): bad_data: .*parse error/,
    ],
  ])('reports what cannot map to a pod: %s', async (query, error) => {
    const snap = await collectSnapshot(env.kube, request([nsA, nsB], [query]), { prometheusUrl: prom.url });
    expect(snap.errors).toHaveLength(1); // once, though two namespaces met it
    expect(snap.errors![0]).toMatch(error);
    expect(snap.pods.length).toBe(3);
    expect(snap.pods.every((p) => p.customMetrics === undefined)).toBe(true);
  });

  it('reports a URL that is not the Prometheus API (the route prefix left out)', async () => {
    const snap = await collectSnapshot(env.kube, request([nsA], [WORKING_SET]), {
      prometheusUrl: prom.url.replace(/\/prom$/, ''),
    });
    expect(snap.errors).toEqual([expect.stringMatching(/failed: not a Prometheus API answer \(404\)/)]);
    expect(snap.pods.every((p) => p.customMetrics === undefined)).toBe(true);
  });

  it('drops a deleted pod at the next scrape (a stale series), and its replacement gets its own', async () => {
    const [old] = env.list('core/v1/pods', nsB, 'app=web');
    env.sim.store.delete('core/v1/pods', nsB, old!.metadata.name!, { gracePeriodSeconds: 0 });
    const series = (pod: string): Promise<unknown[]> =>
      prom.instant(`container_memory_working_set_bytes{namespace="${nsB}",pod="${pod}"}`);
    await waitFor(
      async () => (await series(old!.metadata.name!)).length === 0,
      'the old series stale',
      10_000,
      200,
    );
    const [fresh] = await env.readyPods(nsB, 'web', 1);
    await waitFor(
      async () => (await series(fresh!.metadata.name!)).length === 1,
      'the new series',
      10_000,
      200,
    );
    const snap = await collectSnapshot(env.kube, request([nsB], [WORKING_SET]), { prometheusUrl: prom.url });
    expect(snap.pods.map((p) => p.ref.name)).toEqual([fresh!.metadata.name]);
    expect(valueOf(snap, nsB, 'web', WORKING_SET)).toBeCloseTo(
      usageMiB(nsB, fresh!.metadata.name!, 'app'),
      -1,
    );
  });

  it('reads the counters as counters: rate() of CPU seconds is the usage, restarts follow the status', async () => {
    // rate() over a window the series fills (1 s scrapes): it extrapolates a shorter history.
    const CPU = 'rate(container_cpu_usage_seconds_total[3s]) * 1000';
    const RESTARTS = 'kube_pod_container_status_restarts_total';
    const read = (): Promise<ClusterSnapshot> =>
      collectSnapshot(env.kube, request([nsC], [CPU, RESTARTS]), { prometheusUrl: prom.url });
    await waitFor(
      async () =>
        (
          await prom.instant(
            `count_over_time(container_cpu_usage_seconds_total{namespace="${nsC}"}[3s]) >= 3`,
          )
        ).length > 0,
      'three CPU samples',
      20_000,
      200,
    );
    const snap = await waitFor(
      async () => {
        const s = await read();
        return (
          valueOf(s, nsC, 'busy', CPU) !== undefined && (valueOf(s, nsC, 'crashy', RESTARTS) ?? 0) > 0 && s
        );
      },
      'a CPU rate and a restart',
      20_000,
      500,
    );
    // 200m ±10% (the healthy wobble): the counter integrates the usage the sim reports.
    expect(valueOf(snap, nsC, 'busy', CPU)).toBeGreaterThan(170);
    expect(valueOf(snap, nsC, 'busy', CPU)).toBeLessThan(230);
    // The scraped count is the pod status's, or one scrape behind it.
    const crashy = snap.pods.find((p) => p.ref.name.startsWith('crashy'))!;
    const status = crashy.containers[0]!.restartCount;
    expect(valueOf(snap, nsC, 'crashy', RESTARTS)).toBeLessThanOrEqual(status);
    expect(valueOf(snap, nsC, 'crashy', RESTARTS)).toBeGreaterThanOrEqual(status - 1);
  });
});
