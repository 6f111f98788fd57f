// Keeps PolicyState bounded: every entry is either needed for a decision still to come or dropped.
// Bounds: starts ≤ maxActionsPerHour (one hour of starts), open ≤ maxConcurrentActions, windows and
// cooldowns ≤ triggers × targets seen recently, restart points ≤ MAX_RESTART_POINTS per recent pod.

import { pruneAlerts } from './alerts.js';
import { parseTriggerTargetKey } from './ids.js';
import type { NormalizedPolicy } from './policy-types.js';
import { trimRestartHistory } from './restarts.js';
import type { PolicyState } from './state.js';

export const HOUR_MS = 3_600_000;

/** How long a target may be missing from snapshots before its windows are forgotten. */
export function targetRetentionMs(policy: NormalizedPolicy): number {
  return Math.max(5 * policy.evaluationIntervalMs, 5 * 60_000);
}

/** The longest restart_count window, 0 when the policy has none. */
export function longestRestartWindowMs(policy: NormalizedPolicy): number {
  const windows = policy.triggers.flatMap((t) =>
    t.type === 'metric' && t.query === 'restart_count' ? [t.windowMs] : [],
  );
  return Math.max(0, ...windows);
}

/**
 * An open action nobody reported on for this long is lost (its child could not report back). It is
 * dropped so the target is not blocked forever; it stays counted in the hourly budget if recent.
 * The bound is the longest an honest action can take: approval + delay + verification + an hour.
 */
export function maxOpenAgeMs(policy: NormalizedPolicy): number {
  const v = policy.verification;
  return policy.safety.approvalTimeoutMs + v.delayMs + v.timeoutMs + HOUR_MS;
}

/** Drops stale entries from `state` in place (callers pass a clone). */
export function pruneState(state: PolicyState, policy: NormalizedPolicy, nowMs: number): void {
  const triggers = new Set(policy.triggers.map((t) => t.name));
  const knownTrigger = (key: string): boolean => triggers.has(parseTriggerTargetKey(key)?.trigger ?? '');
  state.starts = state.starts.filter((t) => t > nowMs - HOUR_MS).sort((a, b) => a - b);
  for (const [key, until] of Object.entries(state.cooldowns)) {
    if (until <= nowMs || !knownTrigger(key)) delete state.cooldowns[key];
  }
  const retention = targetRetentionMs(policy);
  for (const [key, w] of Object.entries(state.windows)) {
    if (nowMs - w.seenMs > retention || !knownTrigger(key)) delete state.windows[key];
  }
  const restartWindow = longestRestartWindowMs(policy);
  for (const [uid, h] of Object.entries(state.restarts)) {
    if (restartWindow === 0 || nowMs - h.seenMs > Math.max(restartWindow, retention))
      delete state.restarts[uid];
    // The margin covers the gap between the cluster's clock (samples) and the workflow's (nowMs).
    else state.restarts[uid] = trimRestartHistory(h, restartWindow + retention, nowMs);
  }
  if (state.alerts) pruneAlerts(state.alerts, nowMs);
  const maxAge = maxOpenAgeMs(policy);
  for (const [key, open] of Object.entries(state.open)) {
    if (nowMs - open.startedMs > maxAge) {
      delete state.open[key];
      state.counters.outcomes['Expired'] = (state.counters.outcomes['Expired'] ?? 0) + 1;
    }
  }
  // Escalation and failure streaks are about "recently": a ladder step or a failure older than
  // max(holdDuration, 1h) no longer says anything about the remediation working now.
  const memory = Math.max(policy.safety.holdDurationMs, HOUR_MS);
  for (const [key, l] of Object.entries(state.ladders)) {
    if (nowMs - l.updatedMs > memory || !knownTrigger(key)) delete state.ladders[key];
  }
  for (const [key, s] of Object.entries(state.subjects)) {
    const held = s.holdUntilMs !== undefined && s.holdUntilMs > nowMs;
    if (held) continue;
    if (s.holdUntilMs !== undefined || s.failures === 0 || nowMs - s.lastFailureMs > memory)
      delete state.subjects[key];
  }
}
