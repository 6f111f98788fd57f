// One container's life on the kubelet, driven by its behaviour:
//
//   ContainerCreating ──createDelay──▶ Running ──crash / OOM──▶ Terminated ─┬─ restart? ─▶ CrashLoopBackOff
//                                        ▲                                  │                  │
//                                        └──────────── back-off ends ───────┼──────────────────┘
//                                                                           └─ no: stays Terminated
//
// Precise times live here in memory (status timestamps are whole seconds, like the real API),
// so usage and crash times stay exact under small time scales.
import type { Behaviour } from './behaviours.js';
import { nextBackoffSeconds, readyAt, nextReadinessChangeSec, terminationOf } from './behaviours.js';
import { fnv1a } from './behaviours.js';

/** Seconds a new container spends in ContainerCreating, and shows Terminated before back-off. */
export const CREATE_DELAY_SEC = 0.5;
export const TERMINATED_DISPLAY_SEC = 1;
/** Readiness delay for containers without a readinessProbe. */
export const DEFAULT_READY_DELAY_SEC = 1;

export interface ContainerRuntime {
  createdMs: number;
  startedMs?: number;
  /** Crash instant while the container shows Terminated (before back-off or for good). */
  finishedMs?: number;
  restartAtMs?: number;
  backoffSec?: number;
  restartCount: number;
  instance: number;
  lastTerminated?: Record<string, unknown>;
  terminated?: Record<string, unknown>;
  final?: boolean;
  ready: boolean;
  lastProbeFailMs?: number;
}

export type ContainerEvent = { type: 'Normal' | 'Warning'; reason: string; message: string };

export interface StepInput {
  runtime: ContainerRuntime;
  behaviour: Behaviour;
  container: {
    name: string;
    image?: string;
    readinessProbe?: { initialDelaySeconds?: number; periodSeconds?: number };
  };
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  podRef: string; // "<name>_<namespace>(<uid>)" as the kubelet prints it
  nowMs: number;
  /** Behaviour seconds → wall-clock ms. */
  ms(seconds: number): number;
}

export interface StepResult {
  status: Record<string, unknown>;
  /** Absolute ms of the next transition, Infinity if none is due. */
  nextMs: number;
  events: ContainerEvent[];
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function containerId(podRef: string, name: string, instance: number): string {
  const h = (n: number): string => fnv1a(`${podRef}/${name}/${instance}/${n}`).toString(16).padStart(8, '0');
  return `containerd://${h(1)}${h(2)}${h(3)}${h(4)}${h(5)}${h(6)}${h(7)}${h(8)}`;
}

/** Advances a container to `nowMs`, possibly through several transitions, and renders its status. */
export function stepContainer(input: StepInput): StepResult {
  const { runtime: r, behaviour: b, container, restartPolicy, podRef, nowMs, ms } = input;
  const events: ContainerEvent[] = [];
  const image = container.image ?? 'busybox';
  const readyDelaySec = container.readinessProbe
    ? Math.max(container.readinessProbe.initialDelaySeconds ?? 0, DEFAULT_READY_DELAY_SEC)
    : DEFAULT_READY_DELAY_SEC;
  const start = (atMs: number): void => {
    r.startedMs = atMs;
    r.restartAtMs = undefined;
    r.finishedMs = undefined;
    r.terminated = undefined;
    r.instance += 1;
    events.push(
      { type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` },
      { type: 'Normal', reason: 'Created', message: `Created container: ${container.name}` },
      { type: 'Normal', reason: 'Started', message: `Started container ${container.name}` },
    );
  };

  let nextMs = Infinity;
  // Loop because a late wake-up may owe several transitions (e.g. crash, then the back-off ends).
  for (let guard = 0; guard < 8; guard++) {
    if (r.final) break;
    if (r.startedMs === undefined && r.finishedMs === undefined && r.restartAtMs === undefined) {
      const due = r.createdMs + ms(CREATE_DELAY_SEC);
      if (nowMs < due) {
        nextMs = due;
        break;
      }
      start(due);
      continue;
    }
    if (r.startedMs !== undefined) {
      const termination = terminationOf(b);
      const endMs = termination ? r.startedMs + ms(termination.afterSec) : Infinity;
      if (termination && nowMs >= endMs) {
        r.terminated = {
          exitCode: termination.exitCode,
          reason: termination.reason,
          startedAt: iso(r.startedMs),
          finishedAt: iso(endMs),
          containerID: containerId(podRef, container.name, r.instance),
        };
        if (termination.reason === 'OOMKilled') {
          events.push({
            type: 'Warning',
            reason: 'OOMKilling',
            message: `Memory cgroup out of memory: Killed process (container ${container.name}) in pod ${podRef}`,
          });
        }
        const restart =
          restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && termination.exitCode !== 0);
        const ranSec = termination.afterSec;
        r.startedMs = undefined;
        r.ready = false;
        r.finishedMs = endMs;
        if (!restart) {
          r.final = true;
          break;
        }
        r.backoffSec = nextBackoffSeconds(r.backoffSec, ranSec);
        r.restartAtMs = endMs + ms(r.backoffSec);
        continue;
      }
      const elapsedSec = (nowMs - r.startedMs) / ms(1);
      const ready = readyAt(b, elapsedSec, readyDelaySec);
      // A failing probe reports every periodSeconds (the event's count climbs), as the kubelet does.
      const failing = !ready && elapsedSec >= readyDelaySec;
      const probeMs = ms(container.readinessProbe?.periodSeconds ?? 10);
      if (failing && (r.lastProbeFailMs === undefined || nowMs - r.lastProbeFailMs >= probeMs)) {
        r.lastProbeFailMs = nowMs;
        events.push({
          type: 'Warning',
          reason: 'Unhealthy',
          message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        });
      }
      if (!failing) r.lastProbeFailMs = undefined;
      r.ready = ready;
      const readyChangeMs = r.startedMs + ms(nextReadinessChangeSec(b, elapsedSec, readyDelaySec));
      const nextProbeMs = failing ? (r.lastProbeFailMs ?? nowMs) + probeMs : Infinity;
      nextMs = Math.min(endMs, readyChangeMs, nextProbeMs);
      break;
    }
    // Terminated, waiting to restart: show Terminated briefly, then CrashLoopBackOff until restartAt.
    const restartAtMs = r.restartAtMs ?? nowMs;
    const finishedMs = r.finishedMs ?? nowMs;
    const backOffShownMs = Math.min(finishedMs + ms(TERMINATED_DISPLAY_SEC), restartAtMs);
    if (r.terminated && nowMs >= backOffShownMs) {
      r.lastTerminated = r.terminated;
      r.terminated = undefined;
      r.restartCount += 1;
      events.push({
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container ${container.name} in pod ${podRef}`,
      });
    }
    if (nowMs >= restartAtMs) {
      start(restartAtMs);
      continue;
    }
    nextMs = r.terminated ? backOffShownMs : restartAtMs;
    break;
  }

  const state =
    r.startedMs !== undefined
      ? { running: { startedAt: iso(r.startedMs) } }
      : r.terminated
        ? { terminated: r.terminated }
        : r.restartAtMs !== undefined
          ? {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off ${r.backoffSec}s restarting failed container=${container.name} pod=${podRef}`,
              },
            }
          : { waiting: { reason: 'ContainerCreating' } };
  return {
    status: {
      name: container.name,
      image,
      imageID: `docker.io/library/${image}@sha256:${fnv1a(image).toString(16).padStart(8, '0').repeat(8)}`,
      ...(r.instance > 0 ? { containerID: containerId(podRef, container.name, r.instance) } : {}),
      ready: r.startedMs !== undefined && r.ready,
      started: r.startedMs !== undefined,
      restartCount: r.restartCount,
      state,
      lastState: r.lastTerminated ? { terminated: r.lastTerminated } : {},
    },
    nextMs,
    events,
  };
}
