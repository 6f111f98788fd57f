// The demo apps' misbehaviour as the operator sees it: through @kubernetes/client-node over HTTP
// (pods, events, metrics.k8s.io) and through kubectl (events, top).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, Metrics, PolicyV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes } from '../../activities/kube/quantity.js';
import { startSim, type SimHandle } from '../../sim/index.js';
import { kubectlFor, type Kubectl } from '../support/kubectl.js';
import { deployment, pdb, waitFor } from '../support/sim-fixtures.js';

const NS = 'demo-apps';
const Mi = 2 ** 20;
let sim: SimHandle;
let dir: string;
let core: CoreV1Api;
let kc: KubeConfig;
let metrics: Metrics;
let kubectl: Kubectl;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sim-behaviours-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  // 0.05: the crash loop's 5 s runs take 250 ms, the leak reaches its limit in ~8 s.
  const scenarios = ['crashloop-app.yaml', 'memory-leak-app.yaml'].map((f) => path.resolve('demo/apps', f));
  sim = await startSim({ port: 0, timeScale: 0.05, kubeconfigOut: kubeconfig, scenarios });
  kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  metrics = new Metrics(kc);
  kubectl = kubectlFor(kubeconfig);
});
afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

const podsOf = async (app: string) =>
  (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items.filter(
    (p) => !p.metadata?.deletionTimestamp,
  );

describe('demo apps misbehaving, seen over HTTP', () => {
  it('crashloop-app: restart counts climb, CrashLoopBackOff, BackOff warnings with growing counts', async () => {
    const pod = await waitFor(
      async () => {
        const [p] = await podsOf('crashloop-app');
        return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3 && p;
      },
      'restartCount >= 3',
      15_000,
      50,
    );
    const name = pod.metadata!.name!;
    const c = pod.status!.containerStatuses![0]!;
    expect(c.lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name, namespace: NS });
        return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff';
      },
      'CrashLoopBackOff',
      15_000,
      20,
    );
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${name}`,
    });
    const backOff = events.items.find((e) => e.reason === 'BackOff');
    expect(backOff).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod', name } });
    expect(backOff!.count).toBeGreaterThanOrEqual(3);
    expect(await kubectl('get', 'events', '-n', NS, '--field-selector', 'reason=BackOff')).toMatch(
      /Back-off restarting failed container app/,
    );
    expect(await kubectl('get', 'pods', '-n', NS, '-l', 'app=crashloop-app')).toMatch(
      /CrashLoopBackOff|Error|Running/,
    );
  });

  it('memory-leak-app: usage climbs through metrics.k8s.io, OOMKilled at 512Mi, back low after the restart', async () => {
    const usageOf = async (name: string): Promise<number | undefined> => {
      const list = await metrics.getPodMetrics(NS);
      const item = list.items.find((m) => m.metadata.name === name);
      return item ? bytes(item.containers[0]!.usage.memory) : undefined;
    };
    const [pod] = await waitFor(
      async () =>
        (await podsOf('memory-leak-app')).filter((p) => p.status?.containerStatuses?.[0]?.state?.running),
      'leak pods',
    );
    const name = pod!.metadata!.name!;
    await waitFor(async () => ((await usageOf(name)) ?? 0) > 0.85 * 512 * Mi, 'usage above 85%', 15_000, 50);
    const oom = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name, namespace: NS });
        const c = p.status?.containerStatuses?.[0];
        return c?.lastState?.terminated?.reason === 'OOMKilled' && c.state?.running && c;
      },
      'OOMKilled and running again',
      15_000,
      20,
    );
    expect(oom.lastState!.terminated!.exitCode).toBe(137);
    expect(oom.restartCount).toBeGreaterThanOrEqual(1);
    // A restarted container starts low again (it then climbs ~50Mi per second at this time scale).
    await waitFor(
      async () => ((await usageOf(name)) ?? Infinity) < 0.3 * 512 * Mi,
      'usage low after a restart',
      20_000,
      20,
    );
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${name}`,
    });
    expect(events.items.map((e) => e.reason)).toContain('OOMKilling');
    // Both replicas may be between OOM and restart at one instant (no metrics then); ask again.
    await waitFor(
      async () =>
        /memory-leak-app-\S+\s+\d+m\s+\d+Mi/.test(
          await kubectl('top', 'pod', '-n', NS, '-l', 'app=memory-leak-app'),
        ),
      'kubectl top shows the pods',
    );
  });

  it('evictions respect the PDB: one allowed, the next refused with 429 until a replacement is ready', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const policy = kc.makeApiClient(PolicyV1Api);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('steady', { namespace: NS, replicas: 2 }) as never,
    });
    await policy.createNamespacedPodDisruptionBudget({
      namespace: NS,
      body: pdb('steady', { app: 'steady' }, { minAvailable: 1 }, NS) as never,
    });
    const allowed = async (): Promise<number | undefined> =>
      (await policy.readNamespacedPodDisruptionBudget({ name: 'steady', namespace: NS })).status
        ?.disruptionsAllowed;
    await waitFor(async () => (await allowed()) === 1, 'one disruption allowed');
    const [a, b] = (await podsOf('steady')).map((p) => p.metadata!.name!);
    const evict = (name: string) =>
      core.createNamespacedPodEviction({ name, namespace: NS, body: { metadata: { name, namespace: NS } } });
    await evict(a!);
    await expect(evict(b!)).rejects.toMatchObject({ code: 429 });
    await waitFor(async () => (await allowed()) === 1, 'allowed again once the replacement is ready');
    const names = (await podsOf('steady')).map((p) => p.metadata!.name);
    expect(names).toHaveLength(2);
    expect(names).not.toContain(a);
  });
});
