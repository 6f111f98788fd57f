// restart_count = restarts within the trigger's window, never a pod's lifetime total.
// The kubelet only reports a lifetime total per container, so the policy keeps a short history of
// totals per pod uid (state.restarts) and counts the increases inside the window. A replaced pod has
// a new uid, so it starts from zero. Accuracy is one evaluation interval: a restart is dated to the
// snapshot that first shows it.

import type { PodSnapshot } from './snapshot.js';
import type { RestartHistory } from './state.js';
import { refKey } from './targets.js';

/** Upper bound on points per pod, so a pathological window/interval cannot grow state without bound. */
export const MAX_RESTART_POINTS = 200;

export function totalRestarts(pod: PodSnapshot): number {
  return pod.containers.reduce((sum, c) => sum + Math.max(0, c.restartCount), 0);
}

/** Appends the pod's current total when it changed (the history is a step function). */
export function recordRestartSample(
  history: RestartHistory | undefined,
  pod: PodSnapshot,
  observedAtMs: number,
  key = refKey(pod.ref),
): RestartHistory {
  const total = totalRestarts(pod);
  // A new array, sharing the [time, total] pairs: points are appended and dropped, never changed.
  const points = history ? history.points.slice() : [];
  const last = points[points.length - 1];
  if (!last || (last[1] !== total && observedAtMs > last[0])) points.push([observedAtMs, total]);
  // Dropping the oldest points can only under-count, and only once a window holds more than
  // MAX_RESTART_POINTS changes — far above any sensible threshold.
  while (points.length > MAX_RESTART_POINTS) points.shift();
  return {
    key,
    seenMs: Math.max(observedAtMs, history?.seenMs ?? observedAtMs),
    ...(pod.createdAtMs !== undefined ? { createdAtMs: pod.createdAtMs } : {}),
    points,
  };
}

/**
 * Restarts in (nowMs − windowMs, nowMs]: the sum of increases of the total inside the window, measured
 * from the total at the window's start. When the history starts inside the window, the pod's first
 * total counts in full only if the pod was created inside the window (all of its restarts are then
 * recent); otherwise restarts from before we first saw it cannot be dated and are not counted.
 * A total that goes down (it should not) is treated as a reset, never as negative restarts.
 */
export function restartsInWindow(
  history: RestartHistory | undefined,
  windowMs: number,
  nowMs: number,
): number {
  if (!history || history.points.length === 0) return 0;
  const start = nowMs - windowMs;
  const points = history.points.filter((p) => p[0] <= nowMs);
  let baselineIndex = -1;
  for (let i = 0; i < points.length; i++) if ((points[i]?.[0] ?? 0) <= start) baselineIndex = i;
  let previous: number;
  let from: number;
  if (baselineIndex >= 0) {
    previous = points[baselineIndex]?.[1] ?? 0;
    from = baselineIndex + 1;
  } else {
    const createdInWindow = history.createdAtMs !== undefined && history.createdAtMs > start;
    previous = createdInWindow ? 0 : (points[0]?.[1] ?? 0);
    from = createdInWindow ? 0 : 1;
  }
  let count = 0;
  for (let i = from; i < points.length; i++) {
    const total = points[i]?.[1] ?? 0;
    count += Math.max(0, total - previous);
    previous = total;
  }
  return count;
}

/** Keeps the points a window of `windowMs` still needs at `nowMs`: those inside it plus one baseline. */
export function trimRestartHistory(history: RestartHistory, windowMs: number, nowMs: number): RestartHistory {
  const start = nowMs - windowMs;
  const { points } = history;
  let firstNeeded = 0;
  for (let i = 0; i < points.length; i++) if ((points[i]?.[0] ?? 0) <= start) firstNeeded = i;
  return firstNeeded === 0 ? history : { ...history, points: points.slice(firstNeeded) };
}
