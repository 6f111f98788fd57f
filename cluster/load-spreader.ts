// The one fact kwok's CEL cannot see: how many replicas share a workload's CPU load. A pod that
// declares `sim.kubeskippy.io/cpu-load` (docs/sim-behaviours.md) runs at cpu-load / ready replicas
// during its spike; this watches every pod and writes that count into each such pod's
// `kwok.kubeskippy.io/ready-replicas` annotation, which the ClusterResourceUsage in
// cluster/kwok/metrics.yaml divides by. Grouping and readiness are cluster/workload.ts, the same
// functions the simulator's metrics use, so both clusters spread a load identically.
//
// Uses only @kubernetes/client-node: the caller (`kubeskippy cluster`) passes an admin KubeConfig.
import {
  CoreV1Api,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { servingReplicas, workloadKey, type PodLike } from './workload.js';

export const READY_REPLICAS_ANNOTATION = 'kwok.kubeskippy.io/ready-replicas';
const LOAD_ANNOTATION = /^sim\.kubeskippy\.io\/(?:[^/]+\.)?cpu-load$/;

export interface LoadSpreaderOptions {
  /** How long to gather pod changes before recounting (ms). */
  debounceMs?: number;
  /** Pause before restarting a failed watch (ms). */
  restartDelayMs?: number;
  onError?: (err: unknown) => void;
}

const declaresLoad = (pod: V1Pod): boolean =>
  Object.keys(pod.metadata?.annotations ?? {}).some((k) => LOAD_ANNOTATION.test(k));

/**
 * Which pods need which `ready-replicas` value now: every live pod that declares a cpu-load, with
 * its workload's serving replicas (at least 1). Pods that already carry the value are left out.
 */
export function readyReplicaPatches(
  pods: readonly V1Pod[],
): { namespace: string; name: string; value: string }[] {
  const counts = servingReplicas(pods as PodLike[]);
  const out: { namespace: string; name: string; value: string }[] = [];
  for (const pod of pods) {
    if (!declaresLoad(pod) || pod.metadata?.deletionTimestamp) continue;
    const value = String(Math.max(1, counts.get(workloadKey(pod as PodLike)) ?? 0));
    if (pod.metadata?.annotations?.[READY_REPLICAS_ANNOTATION] === value) continue;
    out.push({ namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '', value });
  }
  return out;
}

export async function startLoadSpreader(
  kc: KubeConfig,
  opts: LoadSpreaderOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const report = (err: unknown): void => {
    if (!stopped) opts.onError?.(err);
  };

  const recount = async (): Promise<void> => {
    for (const p of readyReplicaPatches(informer.list())) {
      if (stopped) return;
      await core
        .patchNamespacedPod(
          {
            name: p.name,
            namespace: p.namespace,
            body: { metadata: { annotations: { [READY_REPLICAS_ANNOTATION]: p.value } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        // A pod deleted in between is fine: its workload is recounted on the delete event.
        .catch((err: unknown) => {
          if ((err as { code?: number })?.code !== 404) report(err);
        });
    }
  };
  const schedule = (): void => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(recount, recount);
    }, opts.debounceMs ?? 200);
  };

  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, schedule);
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    report(err);
    // A watch can end (timeouts, API server restarts): start it again after a pause.
    setTimeout(() => {
      if (!stopped) void informer.start().catch(report);
    }, opts.restartDelayMs ?? 2000);
  });
  await informer.start();
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
      await running.catch(() => undefined);
    },
  };
}
