// A write whose answer is lost (the sim carries it out and then answers 504, as a timed-out
// kube-apiserver may): the retry finds the target gone. The record must not say "already gone;
// nothing was done" (Skipped) when this action did it: attempt 2 and later say what most likely
// happened, and the action goes on to verify; a first attempt that finds it gone did nothing.
// Evictions (restart.ts reads first on a retry, from the worker-kill work) and deletes of any kind.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteActionInput } from '../../activities/executors/types.js';
import { createActivities, type Activities } from '../../activities/index.js';
import { normalizedAction } from '../fixtures/domain-builders.js';
import { DEPLOYMENTS, input, PODS, refOf, rejection } from '../support/activities-sim.js';
import { simActivityTarget, type ActivityTarget } from '../support/activities-target.js';
import { deployment, waitFor } from '../support/sim-fixtures.js';

let env: ActivityTarget;
beforeAll(async () => {
  env = await simActivityTarget();
});
afterAll(() => env?.stop());

const evict = normalizedAction('restart', { restartAction: { strategy: 'evict', gracePeriodSeconds: 0 } });
const quiet = (): void => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

/** executeAction as attempt `attempt` of one activity would run it. */
function attemptOf(attempt: number, x: ExecuteActionInput): ReturnType<Activities['executeAction']> {
  const context = new MockActivityEnvironment(
    { attempt, workflowExecution: { workflowId: 'lost-answer-test', runId: 'run-1' } },
    { logger },
  );
  // The activities themselves, not the test target's wrapped ones: the attempt comes from this context.
  const activities = createActivities({
    kube: env.kube,
    temporalUiUrl: 'http://ui.test',
    temporalNamespace: 'default',
  });
  return context.run(activities.executeAction, x);
}

describe('an eviction whose answer was lost', () => {
  it('is recorded as done by the retry that finds the pod gone, not as "nothing was done"', async () => {
    const ns = await env.namespace();
    await env.apply(ns, [deployment('lost', { replicas: 1 })]);
    const [pod] = await env.readyPods(ns, 'lost', 1);
    const x = input(refOf(pod!), evict);
    env.sim!.setFaults({
      timeoutRate: { create: 1 },
      timeoutApplied: { create: true },
      timeoutMs: 200,
      pathPattern: '/eviction$',
    });
    // Attempt 1: the eviction is carried out, the client hears 504, a retryable server error.
    expect(await rejection(attemptOf(1, x))).toMatchObject({ type: 'KubeServerError', nonRetryable: false });
    env.sim!.setFaults({});
    await waitFor(
      async () => (await env.get(PODS, ns, pod!.metadata.name!)) === undefined,
      'the evicted pod to go',
    );

    const retry = await attemptOf(2, x);
    expect(retry.outcome).toBe('already-applied');
    expect(retry.message).toMatch(/on attempt 2 the pod was already gone or terminating/);
    expect(retry.changes).toEqual([
      expect.objectContaining({ changeType: 'evict', oldValue: pod!.metadata.uid }),
    ]);
    // A first attempt that finds it gone did nothing, and says so.
    expect(await attemptOf(1, input(refOf(pod!), evict))).toMatchObject({
      outcome: 'target-gone',
      changes: [],
    });
  });
});

describe('a delete whose answer was lost', () => {
  it('is recorded as done by the retry that finds the Deployment gone', async () => {
    const ns = await env.namespace();
    await env.apply(ns, [deployment('lost-delete', { replicas: 1 })]);
    const target = await env.get(DEPLOYMENTS, ns, 'lost-delete');
    const del = normalizedAction('delete', {
      deleteAction: { gracePeriodSeconds: 0, force: false, propagationPolicy: 'Background' },
    });
    const x = input(refOf(target!), del);
    env.sim!.setFaults({
      timeoutRate: { delete: 1 },
      timeoutApplied: { delete: true },
      timeoutMs: 200,
      pathPattern: '/deployments/lost-delete$',
    });
    expect(await rejection(attemptOf(1, x))).toMatchObject({ nonRetryable: false });
    env.sim!.setFaults({});
    expect(await env.get(DEPLOYMENTS, ns, 'lost-delete')).toBeUndefined();

    const retry = await attemptOf(3, x);
    expect(retry).toMatchObject({ outcome: 'already-applied' });
    expect(retry.message).toMatch(/attempt 3 asked again: the delete of an earlier attempt/);
    expect(await attemptOf(1, input(refOf(target!), del))).toMatchObject({ outcome: 'target-gone' });
  });
});
