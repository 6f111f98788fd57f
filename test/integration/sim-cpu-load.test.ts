// Scaling out relieves a CPU-spiking Deployment: cpu-spike-app's 900m load (`sim.kubeskippy.io/cpu-load`)
// is shared by its ready replicas, so metrics.k8s.io shows each pod at ~450m with 2 replicas, ~300m
// with 3 and ~225m with 4 (docs/sim-behaviours.md).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  Metrics,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim/index.js';
import { waitFor } from '../support/sim-fixtures.js';

const NS = 'demo-apps';
let sim: SimHandle;
let dir: string;
let apps: AppsV1Api;
let core: CoreV1Api;
let metrics: Metrics;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sim-cpu-load-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  // 0.05: the spike starts 1.5 s after each pod.
  const scenarios = [path.resolve('demo/apps/cpu-spike-app.yaml')];
  sim = await startSim({ port: 0, timeScale: 0.05, kubeconfigOut: kubeconfig, scenarios });
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
  metrics = new Metrics(kc);
});
afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

const millicores = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q);
  if (!m) return NaN;
  const scale = { n: 1e-6, u: 1e-3, m: 1, '': 1000 }[m[2] ?? ''] ?? NaN;
  return Number(m[1]) * scale;
};

/** Per-pod CPU of the app's pods, once `replicas` are ready and every one of them is past its spike-after. */
async function perPodCpu(replicas: number): Promise<number[]> {
  return waitFor(
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=cpu-spike-app' }))
        .items;
      const ready = pods.filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      if (ready.length !== replicas) return false;
      const names = new Set(ready.map((p) => p.metadata!.name!));
      const usage = (await metrics.getPodMetrics(NS)).items
        .filter((m) => names.has(m.metadata.name))
        .map((m) => millicores(m.containers[0]!.usage.cpu));
      // every pod in its spike: above its 50m base
      return usage.length === replicas && usage.every((u) => u > 100) && usage;
    },
    `${replicas} ready replicas in their spike`,
    15_000,
    50,
  );
}

const scaleTo = (replicas: number) =>
  apps.patchNamespacedDeploymentScale(
    { name: 'cpu-spike-app', namespace: NS, body: { spec: { replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

describe('cpu-spike-app: its load is shared by the ready replicas', () => {
  it('runs at ~450m per pod with 2 replicas, ~300m with 3 and ~225m with 4', async () => {
    const expected = { 2: 450, 3: 300, 4: 225 } as const;
    for (const replicas of [2, 3, 4] as const) {
      if (replicas > 2) await scaleTo(replicas);
      const usage = await perPodCpu(replicas);
      for (const u of usage)
        expect(Math.abs(u - expected[replicas])).toBeLessThanOrEqual(expected[replicas] * 0.04);
    }
  });
});
