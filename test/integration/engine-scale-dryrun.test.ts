// Slide 3 end to end: a CPU-spiking Deployment is scaled up within maxReplicas, and a second fire
// at the maximum is refused; and dry run records the would-be change while mutating nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  deploymentOf,
  describeActions,
  healingPolicy,
  podsOf,
  policyHandle,
  policyStatus,
  sleep,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  // 0.1: the spike starts 3s after each pod starts.
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const spiking = (name: string): ReturnType<typeof deployment> =>
  deployment(name, {
    replicas: 2,
    behaviour: {
      behavior: 'cpu-spike',
      'cpu-base': '50m',
      'cpu-spike': '450m',
      'cpu-pattern': 'spike-after=30s',
    },
    limits: { cpu: '500m', memory: '256Mi' },
  });

const cpuHigh = {
  name: 'cpu-high',
  type: 'metric',
  metricTrigger: { query: 'cpu_usage_percent', operator: '>', threshold: 80, for: '2s' },
  cooldownPeriod: '2s',
};

describe('CPU spike', () => {
  it('scales the Deployment up within maxReplicas, and refuses to go past it', async () => {
    engine.apply([
      spiking('cpu-app'),
      healingPolicy(engine.namespace, 'cpu-scale', 'cpu-app', {
        triggers: [cpuHigh],
        actions: [
          {
            name: 'scale-up',
            type: 'scale',
            scaleAction: { direction: 'up', replicas: 2, minReplicas: 1, maxReplicas: 3 },
          },
        ],
        // More replicas do not lower each pod's CPU in the simulator: ready replicas prove it.
        verification: { delay: '1s', timeout: '20s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    let highest = 0;
    const watch = setInterval(() => {
      highest = Math.max(highest, Number(deploymentOf(engine, 'cpu-app').spec.replicas));
    }, 50);
    try {
      const done = await eventually(
        () => `a finished scale action: ${describeActions(engine, 'cpu-scale')}`,
        () => actionsOf(engine, 'cpu-scale').find((a) => a.status?.completionTime),
        30_000,
      );
      expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
      // 2 + 2 clamped to the maximum of 3.
      expect(done.status!.result!.changes).toEqual([
        expect.objectContaining({ field: 'spec.replicas', oldValue: '2', newValue: '3' }),
      ]);
      expect(deploymentOf(engine, 'cpu-app').spec.replicas).toBe(3);
      // The trigger keeps firing (cooldown 2s) but the Deployment is at its maximum.
      const refused = await eventually(
        'an AtMaxReplicas refusal',
        async () => ((await policyStatus(engine, 'cpu-scale')).counters.refusals.AtMaxReplicas ?? 0) > 0,
        20_000,
      );
      expect(refused).toBe(true);
      await sleep(3000);
      expect(actionsOf(engine, 'cpu-scale')).toHaveLength(1);
      expect(highest).toBe(3);
      expect(deploymentOf(engine, 'cpu-app').spec.replicas).toBe(3);
      await recordHistories(engine, 'cpu-scale', {
        policy: policyHandle(engine, 'cpu-scale').workflowId,
        action: done.status!.workflowId!,
      });
    } finally {
      clearInterval(watch);
    }
  });

  it('in dry run records the would-be scale and eviction and changes nothing', async () => {
    engine.apply([spiking('cpu-dry')]);
    const before = await eventually('two running pods', () => {
      const pods = podsOf(engine, 'cpu-dry');
      return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
    });
    const uids = before.map((p) => p.metadata.uid).sort();
    const template = JSON.stringify(deploymentOf(engine, 'cpu-dry').spec.template);
    engine.apply([
      healingPolicy(engine.namespace, 'cpu-dry', 'cpu-dry', {
        mode: 'dryrun',
        triggers: [
          { ...cpuHigh, name: 'cpu-high', cooldownPeriod: '10m' },
          { ...cpuHigh, name: 'cpu-very-high', cooldownPeriod: '10m' },
        ],
        actions: [
          {
            name: 'scale-up',
            type: 'scale',
            triggers: ['cpu-high'],
            scaleAction: { direction: 'up', replicas: 1, maxReplicas: 4 },
          },
          {
            name: 'evict',
            type: 'restart',
            triggers: ['cpu-very-high'],
            restartAction: { strategy: 'evict', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { minReadyReplicas: 0 },
      }),
    ]);
    const dry = await eventually(
      () => `a dry-run scale and eviction: ${describeActions(engine, 'cpu-dry')}`,
      () => {
        const all = actionsOf(engine, 'cpu-dry').filter((a) => a.status?.phase === 'DryRun');
        const scale = all.find((a) => a.spec.action.type === 'scale');
        const evict = all.find((a) => a.spec.action.type === 'restart');
        return scale && evict ? { scale, evict } : undefined;
      },
      30_000,
    );
    expect(dry.scale.spec.dryRun).toBe(true);
    expect(dry.scale.status!.result!.changes).toEqual([
      expect.objectContaining({ field: 'spec.replicas', oldValue: '2', newValue: '3' }),
    ]);
    expect(dry.evict.status!.result!.changes).toEqual([
      expect.objectContaining({ changeType: 'evict', oldValue: dry.evict.spec.targetResource.uid }),
    ]);
    expect(dry.evict.status!.message).toMatch(/would evict/);
    // Nothing changed: the same pods, replicas and template.
    const d = deploymentOf(engine, 'cpu-dry');
    expect(d.spec.replicas).toBe(2);
    expect(JSON.stringify(d.spec.template)).toBe(template);
    expect(
      podsOf(engine, 'cpu-dry')
        .map((p) => p.metadata.uid)
        .sort(),
    ).toEqual(uids);
    expect(actionsOf(engine, 'cpu-dry').every((a) => a.status?.phase !== 'Succeeded')).toBe(true);
    await recordHistories(engine, 'dryrun', {
      policy: policyHandle(engine, 'cpu-dry').workflowId,
      action: dry.scale.status!.workflowId!,
    });
  });
});
