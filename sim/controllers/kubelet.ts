// The kubelet of every simulated node: runs the containers of pods bound to a node (see
// container-runtime.ts), publishes pod status and conditions, emits the kubelet's events, and
// finishes graceful deletion ("Killing", then the pod object is removed).
import type { KObject } from '../contract.js';
import { parseBehaviour } from './behaviours.js';
import type { ContainerRuntime } from './container-runtime.js';
import { stepContainer } from './container-runtime.js';
import type { ControllerContext } from './context.js';
import { PODS, ignoreNotFound, mutatePodStatus, nsName, sameJson, splitKey } from './kube.js';
import { NODES } from './kube.js';

/** How long (behaviour seconds, at most the grace period) a deleted pod's containers take to stop. */
export const KILL_DELAY_SEC = 1;

interface PodRuntime {
  uid: string;
  containers: Map<string, ContainerRuntime>;
  startTime: string;
  podIP: string;
  killAtMs?: number;
}

export interface Kubelet {
  reconcile(key: string): number | undefined;
  /** Exact start (ms) of a running container, for the metrics source. */
  containerStartMs(pod: KObject, container: string): number | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function qosClass(containers: { resources?: { limits?: object; requests?: object } }[]): string {
  if (containers.every((c) => !c.resources?.limits && !c.resources?.requests)) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const l = (c.resources?.limits ?? {}) as Record<string, unknown>;
    const r = (c.resources?.requests ?? l) as Record<string, unknown>;
    return (
      l['cpu'] !== undefined &&
      l['memory'] !== undefined &&
      r['cpu'] === l['cpu'] &&
      r['memory'] === l['memory']
    );
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function createKubelet(ctx: ControllerContext): Kubelet {
  const { store, events } = ctx;
  const pods = new Map<string, PodRuntime>();
  const ipCounters = new Map<string, number>();

  function runtimeFor(pod: KObject, now: number): PodRuntime {
    const key = nsName(pod);
    const existing = pods.get(key);
    if (existing && existing.uid === pod.metadata.uid) return existing;
    const nodeName = pod.spec.nodeName as string;
    const node = store.get(NODES, undefined, nodeName);
    const cidr = (node?.spec?.podCIDR as string | undefined) ?? '10.244.9.0/24';
    const next = (ipCounters.get(nodeName) ?? 1) + 1;
    ipCounters.set(nodeName, next > 250 ? 2 : next);
    const fresh: PodRuntime = {
      uid: pod.metadata.uid ?? '',
      containers: new Map(),
      startTime: pod.status?.startTime ?? iso(now),
      podIP: pod.status?.podIP ?? cidr.replace(/\.0\/\d+$/, `.${next}`),
    };
    pods.set(key, fresh);
    return fresh;
  }

  function record(
    pod: KObject,
    host: string,
    fieldPath: string | undefined,
    e: { type: 'Normal' | 'Warning'; reason: string; message: string },
  ): void {
    events.record({ object: pod, fieldPath, host, component: 'kubelet', ...e });
  }

  function terminate(pod: KObject, rt: PodRuntime, now: number): number | undefined {
    const { namespace, name } = { namespace: pod.metadata.namespace, name: pod.metadata.name ?? '' };
    if (rt.killAtMs === undefined) {
      const grace = Number(
        pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30,
      );
      rt.killAtMs = now + ctx.ms(Math.min(grace, KILL_DELAY_SEC));
      for (const c of pod.spec.containers ?? []) {
        if (rt.containers.get(c.name)?.startedMs === undefined) continue;
        record(pod, pod.spec.nodeName, `spec.containers{${c.name}}`, {
          type: 'Normal',
          reason: 'Killing',
          message: `Stopping container ${c.name}`,
        });
      }
    }
    if (now < rt.killAtMs) return rt.killAtMs - now;
    pods.delete(nsName(pod));
    ignoreNotFound(() =>
      store.delete(PODS, namespace, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      }),
    );
    return undefined;
  }

  function reconcile(key: string): number | undefined {
    const { namespace, name } = splitKey(key);
    const pod = store.get(PODS, namespace, name);
    if (!pod) {
      pods.delete(key);
      return undefined;
    }
    const nodeName = pod.spec?.nodeName as string | undefined;
    // A pod bound to a node that does not exist has no kubelet: it stays Pending, as on a real
    // cluster (whose pod garbage collector later deletes it; the sim does not).
    if (!nodeName || !store.get(NODES, undefined, nodeName)) return undefined;
    const now = store.now();
    const rt = runtimeFor(pod, now);
    if (pod.metadata.deletionTimestamp) return terminate(pod, rt, now);
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;

    const restartPolicy = (pod.spec.restartPolicy ?? 'Always') as 'Always' | 'OnFailure' | 'Never';
    const podRef = `${name}_${namespace}(${pod.metadata.uid})`;
    const containers = (pod.spec.containers ?? []) as { name: string; image?: string; resources?: object }[];
    let nextMs = Infinity;
    const statuses = containers.map((c) => {
      let runtime = rt.containers.get(c.name);
      if (!runtime) {
        runtime = { createdMs: now, restartCount: 0, instance: 0, ready: false };
        rt.containers.set(c.name, runtime);
      }
      const behaviour = parseBehaviour(pod.metadata.annotations, c, `${name}/${c.name}`);
      const step = stepContainer({
        runtime,
        behaviour,
        container: c,
        restartPolicy,
        podRef,
        nowMs: now,
        ms: ctx.ms,
      });
      for (const e of step.events) record(pod, nodeName, `spec.containers{${c.name}}`, e);
      nextMs = Math.min(nextMs, step.nextMs);
      return step.status;
    });

    const allReady = statuses.every((s) => s.ready === true);
    const runtimes = [...rt.containers.values()];
    const done = runtimes.length > 0 && runtimes.every((r) => r.final);
    const phase = done
      ? runtimes.every((r) => r.terminated?.exitCode === 0)
        ? 'Succeeded'
        : 'Failed'
      : runtimes.some((r) => r.instance > 0)
        ? 'Running'
        : 'Pending';
    const previous = (pod.status?.conditions ?? []) as {
      type: string;
      status: string;
      lastTransitionTime?: string;
    }[];
    const condition = (type: string, ok: boolean): object => {
      const status = ok ? 'True' : 'False';
      const before = previous.find((c) => c.type === type);
      const lastTransitionTime = before?.status === status ? before.lastTransitionTime : iso(now);
      const reason =
        ok || type === 'Initialized' || type === 'PodReadyToStartContainers'
          ? {}
          : { reason: 'ContainersNotReady' };
      return { type, status, lastTransitionTime, ...reason };
    };
    const hostIP = (
      store.get(NODES, undefined, nodeName)?.status?.addresses as
        { type: string; address: string }[] | undefined
    )?.find((a) => a.type === 'InternalIP')?.address;
    const status = {
      ...pod.status,
      phase,
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        condition('Ready', allReady && !done),
        condition('ContainersReady', allReady && !done),
        previous.find((c) => c.type === 'PodScheduled') ?? {
          type: 'PodScheduled',
          status: 'True',
          lastTransitionTime: iso(now),
        },
      ],
      hostIP,
      hostIPs: hostIP ? [{ ip: hostIP }] : [],
      podIP: rt.podIP,
      podIPs: [{ ip: rt.podIP }],
      startTime: rt.startTime,
      qosClass: qosClass(containers as { resources?: { limits?: object; requests?: object } }[]),
      containerStatuses: statuses,
    };
    if (!sameJson(status, pod.status)) {
      mutatePodStatus(store, namespace, name, (p) => {
        if (p.metadata.uid === rt.uid) p.status = status;
      });
    }
    return Number.isFinite(nextMs) ? Math.max(1, nextMs - now) : undefined;
  }

  return {
    reconcile,
    containerStartMs(pod, container) {
      const rt = pods.get(nsName(pod));
      if (!rt || rt.uid !== pod.metadata.uid) return undefined;
      return rt.containers.get(container)?.startedMs;
    },
  };
}
