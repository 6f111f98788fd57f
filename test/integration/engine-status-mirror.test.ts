// The status mirror end to end: what `kubectl get healingpolicies` shows follows the workflow —
// actions taken, a pause, lastEvaluated within its documented bound — and a policy workflow
// terminated from outside is started again (its query is rejected as not open) while the CR exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingPolicyStatus } from '../../crds/healing-policy.js';
import { DEFAULT_MIRROR_TIMINGS } from '../../operator/controller/status-mirror.js';
import { pauseSignal } from '../../workflows/messages.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { alwaysTrue, healingPolicy, policyHandle, policyStatus } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const POLICIES = 'kubeskippy.io/v1alpha1/healingpolicies';
type Cond = { type: string; status: string; reason?: string };

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const crStatus = (name: string): HealingPolicyStatus | undefined =>
  engine.sim.store.get(POLICIES, engine.namespace, name)?.status as HealingPolicyStatus | undefined;
const condition = (name: string, type: string): Cond | undefined =>
  (crStatus(name)?.conditions as Cond[] | undefined)?.find((c) => c.type === type);

// What the docs promise: changes within maxInterval plus a pass, lastEvaluated within its
// resolution plus maxInterval; a second of slack for the pass itself.
const { maxIntervalMs, statusIntervalMs, lastEvaluatedResolutionMs } = DEFAULT_MIRROR_TIMINGS;
const CHANGE_BOUND_MS = maxIntervalMs + statusIntervalMs + 1000;

describe('the status mirror', () => {
  it('mirrors actions taken, a pause and lastEvaluated, and restarts a terminated workflow', async () => {
    engine.apply([
      deployment('mirror-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'mirror', 'mirror-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '1s' })],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { maxActionsPerHour: 2, minReadyReplicas: 0 },
        verification: { enabled: false },
      }),
    ]);
    // The budget stops at 2: the CR says 2, as the workflow does.
    const spent = await eventually('two actions in the workflow', async () => {
      const s = await policyStatus(engine, 'mirror').catch(() => undefined);
      return s && s.counters.actionsStarted === 2 && (s.counters.refusals.BudgetExhausted ?? 0) > 0
        ? s
        : undefined;
    });
    const spentAt = Date.now();
    await eventually(
      'actionsTaken 2 on the CR',
      () => crStatus('mirror')?.actionsTaken === 2,
      CHANGE_BOUND_MS,
    );
    expect(Date.now() - spentAt).toBeLessThanOrEqual(CHANGE_BOUND_MS);
    expect(crStatus('mirror')).toMatchObject({ mode: spent.mode, actionsTaken: 2 });
    expect(condition('mirror', 'Ready')).toMatchObject({ status: 'True', reason: 'WorkflowRunning' });

    // Idle now (every fire is refused): lastEvaluated on the CR stays within its bound.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, statusIntervalMs));
      const view = await policyStatus(engine, 'mirror');
      const shown = Date.parse(crStatus('mirror')!.lastEvaluated!);
      expect(view.lastEvaluatedMs! - shown).toBeLessThanOrEqual(
        lastEvaluatedResolutionMs + maxIntervalMs + 1000,
      );
    }

    // A pause by signal, not through the CR: the mirror is the only way the CR learns of it.
    await policyHandle(engine, 'mirror').signal(pauseSignal, { by: 'test' });
    await eventually(
      'Paused=True on the CR',
      () => condition('mirror', 'Paused')?.status === 'True',
      CHANGE_BOUND_MS,
    );

    // Terminated from outside while the CR exists: started again, and Ready again on the CR.
    const before = await policyHandle(engine, 'mirror').describe();
    await policyHandle(engine, 'mirror').terminate('test: gone from outside');
    const after = await eventually(
      'a new running run',
      async () => {
        const d = await policyHandle(engine, 'mirror').describe();
        return d.runId !== before.runId && d.status.name === 'RUNNING' ? d : undefined;
      },
      CHANGE_BOUND_MS,
    );
    expect(after.runId).not.toBe(before.runId);
    await eventually(
      'Ready=True, the new run evaluating',
      async () =>
        condition('mirror', 'Ready')?.status === 'True' &&
        ((await policyStatus(engine, 'mirror')).lastEvaluatedMs ?? 0) >
          Date.parse(after.startTime.toISOString()),
      CHANGE_BOUND_MS,
    );
  }, 180_000);
});
