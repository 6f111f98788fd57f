// Activity proxies, one per group, each with the timeouts and retry policy that fit it.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_EXECUTOR_ERRORS, NON_RETRYABLE_KUBE_ERRORS } from '../domain/error-types.js';
import type { PlannedAction } from '../domain/plan-types.js';

/** Reads of the cluster: short, retried a few times, then the caller decides (skip a tick, fail a check). */
export const kubeReads = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '10s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_KUBE_ERRORS,
  },
});

/**
 * Writes of the audit trail (HealingAction status, Events). Retried for long: an action must not
 * end with a stale record because the API server was briefly unavailable.
 */
export const recordWrites = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['KubeForbidden', 'KubeInvalid', 'KubeBadRequest'],
  },
});

/**
 * The remediation itself. Retries cover conflicts, throttling and a PodDisruptionBudget at zero
 * (evictions wait for the budget); the schedule-to-close bound is the verification timeout, so an
 * action never waits for a budget longer than it would wait for healing. One attempt is a few API
 * calls: its start-to-close is how long a worker that died mid-call holds the action up, and it
 * must stay well below the schedule-to-close bound, or the attempt of a killed worker times out
 * with no time left to retry and an action that did its change ends Failed (the chaos suite,
 * test/chaos/worker-kill.test.ts, found it when the two were both 60 s).
 */
export function executeActivityOptions(verificationTimeoutMs: number): ActivityOptions {
  const patience = Math.max(verificationTimeoutMs, 60_000);
  return {
    startToCloseTimeout: 15_000,
    scheduleToCloseTimeout: patience,
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: [...NON_RETRYABLE_KUBE_ERRORS, ...NON_RETRYABLE_EXECUTOR_ERRORS],
    },
  };
}

export function executeActivities(planned: PlannedAction): Activities {
  return proxyActivities<Activities>(executeActivityOptions(planned.verification.timeoutMs));
}

/**
 * AI analysis: one attempt, bounded by the policy's timeout (the activity aborts itself at the
 * timeout; this is the backstop). No retry: when the model is down or slow the rule decides, and
 * the next incident asks again. The result is in history, so a replay never asks the model twice.
 */
export function aiActivities(timeoutMs: number): Activities {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs + 5_000,
    retry: { maximumAttempts: 1 },
  });
}

/** Asking the cluster workflow (admission, the kill switch): short, a few retries, then the caller decides. */
export const clusterGate = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 5 },
});
