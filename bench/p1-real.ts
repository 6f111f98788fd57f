// P1 on the real control plane: the sim's P1 (bench/p1-detect.ts) with kwok playing the kubelet.
// The same policy (CrashLoopBackOff, no window, default 30 s interval, delete the pod) over N pods
// of a real Deployment; at random moments a pod is told to exit now (the `kwok.kubeskippy.io/*`
// numbers cluster/kwok/pod-lifecycle.yaml derives from a crashloop behaviour, put straight on the
// running pod), so kwok's stages terminate it and, 1 s later, set CrashLoopBackOff
// (cluster/kwok/pod-behaviours.yaml). Measured from the first watch event that shows the pod in
// CrashLoopBackOff to the watch event of the HealingAction's creation: both seen by the bench over
// the admin's watches, so the watch delivery delay is on both sides (not the store commit of the
// sim; kwok's own 1 s back-off step is before the start and not in the figure).
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { detectPolicy } from './engine.js';
import { log, percentile, round, sleep, waitUntil } from './figures.js';
import type { P1Figures } from './p1-detect.js';
import type { RealCluster } from './real-cluster.js';
import {
  readyPodNames,
  realDeployment,
  startRealBenchEngine,
  waitReadyReal,
  type RealBenchEngine,
} from './real-engine.js';
import type { KObject } from '../sim/contract.js';

const inBackOff = (p: KObject): boolean =>
  ((p.status?.containerStatuses ?? []) as { state?: { waiting?: { reason?: string } } }[]).some(
    (c) => c.state?.waiting?.reason === 'CrashLoopBackOff',
  );

async function crashNow(engine: RealBenchEngine, namespace: string, name: string): Promise<void> {
  const patch = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      annotations: {
        'kwok.kubeskippy.io/exit-after': '0',
        'kwok.kubeskippy.io/exit-code': '1',
        'kwok.kubeskippy.io/exit-reason': 'Error',
      },
    },
  };
  await engine.admin.objects
    .patch(patch as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch)
    .catch((err: unknown) => log(`P1 real: could not crash ${name}: ${String(err)}`));
}

async function watchTimes(
  engine: RealBenchEngine,
  ns: string,
): Promise<{ backOff: Map<string, number>; created: Map<string, number>; stop(): void }> {
  const backOff = new Map<string, number>();
  const created = new Map<string, number>();
  const stopPods = await engine.watch(`/api/v1/namespaces/${ns}/pods`, (_type, pod) => {
    const name = pod.metadata.name ?? '';
    if (!backOff.has(name) && inBackOff(pod)) backOff.set(name, Date.now());
  });
  const stopActions = await engine.watch(
    `/apis/kubeskippy.io/v1alpha1/namespaces/${ns}/healingactions`,
    (type, a) => {
      const target = (a.spec?.targetResource as { name?: string } | undefined)?.name ?? '';
      if (type === 'ADDED' && !created.has(target)) created.set(target, Date.now());
    },
  );
  return {
    backOff,
    created,
    stop: () => {
      stopPods();
      stopActions();
    },
  };
}

export async function benchP1Real(
  cluster: RealCluster,
  podCount: number,
  spreadMs: number,
): Promise<P1Figures> {
  const engine = await startRealBenchEngine(cluster);
  const ns = `bench-p1-${Date.now().toString(36)}`;
  try {
    await engine.apply([realDeployment(ns, 'web', podCount)]);
    await waitReadyReal(engine.admin, ns, 'web', podCount, 120_000);
    await engine.apply([detectPolicy(ns, podCount)]);
    await sleep(2_000); // the controller starts the policy workflow
    const times = await watchTimes(engine, ns);
    const victims = await readyPodNames(engine.admin, ns, 'web');
    const timers = victims.map((name) =>
      setTimeout(() => void crashNow(engine, ns, name), Math.random() * spreadMs),
    );
    await sleep(spreadMs);
    await waitUntil(() => victims.every((v) => times.created.has(v)), 75_000, 500);
    timers.forEach(clearTimeout);
    times.stop();
    const delays = victims
      .filter((v) => times.backOff.has(v) && times.created.has(v))
      .map((v) => times.created.get(v)! - times.backOff.get(v)!);
    const r: P1Figures = {
      p50: round(percentile(delays, 50), 0),
      p95: round(percentile(delays, 95), 0),
      max: round(percentile(delays, 100), 0),
      samples: delays.length,
      missed: victims.length - delays.length,
    };
    log(
      `P1 real detect → action (CrashLoopBackOff, 30 s interval, ${victims.length} pods bad at random over ` +
        `${spreadMs / 1000} s): p50 ${r.p50} ms, p95 ${r.p95} ms, max ${r.max} ms (${r.samples} samples, ${r.missed} missed)`,
    );
    return r;
  } finally {
    await engine.stop();
    await engine.cleanUp([ns]);
  }
}
