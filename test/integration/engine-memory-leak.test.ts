// Slide 6 end to end: a leaking pod is restarted only after > 85% has held for the `for` window,
// and its replacement comes back low. Real Temporal, the simulated cluster over HTTP, the operator
// as `kubeskippy operator` runs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../sim/contract.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';

let engine: Engine;
beforeAll(async () => {
  // 0.4: the leak grows 6Mi/s, so 85% → OOM takes ~12s, longer than window + interval.
  engine = await startEngine({ timeScale: 0.4 });
});
afterAll(() => engine?.stop());

function policy(namespace: string): KObject {
  return {
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingPolicy',
    metadata: { name: 'memory-leak', namespace },
    spec: {
      mode: 'automatic',
      evaluationInterval: '1s',
      selector: { namespaces: [namespace], labelSelector: { matchLabels: { issue: 'memory-leak' } } },
      triggers: [
        {
          name: 'high-memory',
          type: 'metric',
          metricTrigger: { query: 'memory_usage_percent', threshold: 85, for: '4s' },
          cooldownPeriod: '1m',
        },
      ],
      actions: [
        { name: 'restart', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 1 } },
      ],
      verification: { delay: '1s', timeout: '60s', interval: '1s' },
      safetyRules: { maxActionsPerHour: 10 },
    },
  };
}

describe('memory leak', () => {
  // The leak needs ~50 s to pass 85% at time scale 0.4, then the window, eviction and verification.
  it(
    'restarts the leaking pod after the window held, and the replacement comes back low',
    { timeout: 180_000 },
    async () => {
      engine.apply([...(await engine.manifests('demo/apps/memory-leak-app.yaml')), policy(engine.namespace)]);
      const done = await eventually(
        'a Succeeded HealingAction',
        () => engine.actions().find((a) => a.status?.phase === 'Succeeded'),
        150_000,
      );
      const trigger = done.spec.trigger!;
      expect(Number(trigger.observedValue)).toBeGreaterThan(85);
      // The `for` window: fired at least 4s after the value first crossed 85%.
      expect(Date.parse(trigger.firedAt!) - Date.parse(trigger.firstTrueTime!)).toBeGreaterThanOrEqual(4000);
      expect(done.spec.targetResource.kind).toBe('Pod');
      // The evicted pod is gone and a replacement of the same Deployment is running low.
      const pods = engine.sim.store.list('core/v1/pods', { namespace: engine.namespace });
      expect(
        pods.some((p) => p.metadata.uid === done.spec.targetResource.uid && !p.metadata.deletionTimestamp),
      ).toBe(false);
      const percent = (text: string | undefined): number => Number(/\((\d+)%\)/.exec(text ?? '')?.[1]);
      expect(percent(done.status!.result!.before!.memory)).toBeGreaterThan(85);
      expect(percent(done.status!.result!.after!.memory)).toBeLessThan(35); // ~19-25% of the limit again
      expect(done.status!.workflowUrl).toContain(encodeURIComponent(done.status!.workflowId!));
    },
  );

  it('mirrors the workflow into the policy status', async () => {
    const status = await eventually(
      'policy status with actions',
      () => {
        const hp = engine.sim.store.get(
          'kubeskippy.io/v1alpha1/healingpolicies',
          engine.namespace,
          'memory-leak',
        );
        return hp?.status?.actionsTaken > 0 ? hp?.status : undefined;
      },
      20_000,
    );
    expect(status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'WorkflowRunning',
    });
    expect(status.workflowId).toBe(
      `kubeskippy/${engine.config.clusterName}/policy/${engine.namespace}/memory-leak`,
    );
    expect(status.lastActionTime).toBeTruthy();
  });
});

describe('operator endpoints', () => {
  it('serves health, readiness and the healing metrics', async () => {
    const base = `http://127.0.0.1:${engine.operator!.metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const text = await eventually(
      'a Succeeded action in the metrics',
      async () => {
        const body = await (await fetch(`${base}/metrics`)).text();
        return /kubeskippy_healing_actions_total\{[^}]*phase="Succeeded"[^}]*\} [1-9]/.test(body)
          ? body
          : undefined;
      },
      20_000,
    );
    expect(text).toMatch(
      new RegExp(
        `kubeskippy_trigger_evaluations_total\\{policy="memory-leak",namespace="${engine.namespace}",cluster="${engine.config.clusterName}"\\} [1-9]`,
      ),
    );
    expect(text).toMatch(/kubeskippy_trigger_fires_total\{[^}]*trigger="high-memory"[^}]*\} [1-9]/);
    expect(text).toMatch(
      new RegExp(
        `kubeskippy_detection_to_action_seconds_count\\{cluster="${engine.config.clusterName}",policy="memory-leak",action="restart"\\} [1-9]`,
      ),
    );
    expect(text).toMatch(/kubeskippy_action_duration_seconds_bucket/);
  });
});
