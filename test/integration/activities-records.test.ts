// The audit trail in the cluster, written through the real client: a HealingAction per workflow
// (found again, not duplicated, by a retried activity) and Events that a retry does not repeat.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { EnsureActionRecordInput } from '../../activities/records.js';
import { emitEvent, ensureActionRecord } from '../../activities/records.js';
import { EVENTS, HEALING_ACTIONS, startActivitySim, type ActivitySim } from '../support/activities-sim.js';

let env: ActivitySim;
beforeAll(async () => {
  env = await startActivitySim();
});
afterAll(() => env?.stop());

function record(namespace: string, name = 'memory-leak-web-1-abc'): EnsureActionRecordInput {
  return {
    name,
    namespace,
    labels: { 'kubeskippy.io/policy': 'memory-leak', 'kubeskippy.io/phase': 'Pending' },
    spec: {
      policyRef: { name: 'memory-leak', namespace },
      targetResource: { apiVersion: 'v1', kind: 'Pod', namespace, name: 'web-1', uid: 'u-1' },
      action: {
        name: 'restart',
        type: 'restart',
        priority: 1,
        requiresApproval: false,
        restartAction: { strategy: 'evict', gracePeriodSeconds: 30 },
      },
      dryRun: false,
      approvalRequired: false,
    },
    status: { phase: 'Pending', message: 'planned', startTime: '2025-03-01T10:00:00Z' },
  };
}

describe('HealingAction records', () => {
  it('ensureActionRecord twice leaves one object, with the status written', async () => {
    const ns = env.namespace();

    const first = await ensureActionRecord(env.kube, record(ns));
    const second = await ensureActionRecord(env.kube, {
      ...record(ns),
      status: { phase: 'Pending', message: 'planned (retry)', startTime: '2025-03-01T10:00:00Z' },
    });

    expect(first).toMatchObject({ created: true });
    expect(second).toEqual({ uid: first.uid, created: false });
    const all = env.list(HEALING_ACTIONS, ns);
    expect(all).toHaveLength(1);
    expect(all[0]!.metadata.uid).toBe(first.uid);
    expect(all[0]!.metadata.labels).toMatchObject({ 'kubeskippy.io/phase': 'Pending' });
    expect(all[0]!.spec.targetResource).toMatchObject({ kind: 'Pod', name: 'web-1', uid: 'u-1' });
    expect(all[0]!.status).toMatchObject({ phase: 'Pending', message: 'planned (retry)' });
  });

  it('recordAction links the CR to its workflow; updateActionStatus merges status and labels', async () => {
    const ns = env.namespace();
    const activity = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'action/memory-leak/web-1', runId: 'run-7' },
    });

    const raw = createActivities({
      kube: env.kube,
      temporalUiUrl: 'http://ui.test',
      temporalNamespace: 'default',
    });
    await activity.run(raw.recordAction, record(ns, 'ha-1'));
    await env.activities.updateActionStatus({
      name: 'ha-1',
      namespace: ns,
      status: { phase: 'Executing', executionTime: '2025-03-01T10:00:05Z' },
      labels: { 'kubeskippy.io/phase': 'Executing' },
    });

    const ha = env.get(HEALING_ACTIONS, ns, 'ha-1')!;
    expect(ha.status).toMatchObject({
      phase: 'Executing',
      executionTime: '2025-03-01T10:00:05Z',
      // fields from the first write survive the merge
      startTime: '2025-03-01T10:00:00Z',
      workflowId: 'action/memory-leak/web-1',
      runId: 'run-7',
      workflowUrl: 'http://ui.test/namespaces/default/workflows/action%2Fmemory-leak%2Fweb-1/run-7',
    });
    expect(ha.metadata.labels).toMatchObject({
      'kubeskippy.io/phase': 'Executing',
      'kubeskippy.io/policy': 'memory-leak',
    });
  });

  it('a status the CRD rejects fails without retry (KubeInvalid)', async () => {
    const ns = env.namespace();
    await ensureActionRecord(env.kube, record(ns, 'ha-bad'));
    await expect(
      env.activities.updateActionStatus({
        name: 'ha-bad',
        namespace: ns,
        status: { phase: 'Exploded' } as never,
      }),
    ).rejects.toMatchObject({ type: 'KubeInvalid', nonRetryable: true });
    expect(env.get(HEALING_ACTIONS, ns, 'ha-bad')?.status).toMatchObject({ phase: 'Pending' });
  });
});

describe('Events', () => {
  it('emitting the same event twice (a retry) leaves one Event', async () => {
    const ns = env.namespace();
    const event = {
      name: 'ha-1.Executing',
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web-1', uid: 'u-1' },
      type: 'Normal' as const,
      reason: 'HealingStarted',
      message: 'evicting web-1',
      timeMs: Date.parse('2025-03-01T10:00:05Z'),
    };

    await emitEvent(env.kube, event);
    await env.activities.emitEvents([event, { ...event, name: 'ha-1.Succeeded', reason: 'Healed' }]);

    const events = env.list(EVENTS, ns);
    // Names are made valid for the API server (lowercase) the same way on every attempt.
    expect(events.map((e) => e.metadata.name).sort()).toEqual(['ha-1.executing', 'ha-1.succeeded']);
    const started = events.find((e) => e.metadata.name === 'ha-1.executing')!;
    expect(started).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'web-1', uid: 'u-1' },
      reason: 'HealingStarted',
      type: 'Normal',
      count: 1,
      source: { component: 'kubeskippy' },
    });
    expect(Date.parse(String(started.lastTimestamp))).toBe(event.timeMs);
  });
});
