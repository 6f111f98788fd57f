// Rate limits end to end: with a trigger that fires on every evaluation, maxActionsPerHour caps the
// number of HealingActions, and a cooldown spaces them out on the same target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  healingPolicy,
  policyHandle,
  policyStatus,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const quick = { enabled: false };

describe('budgets', () => {
  it('maxActionsPerHour holds across many fires, and cooldowns space actions on one target', async () => {
    engine.apply([
      deployment('budget-app', { replicas: 1 }),
      deployment('cool-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'budget', 'budget-app', {
        // Each delete makes a new pod, which fires at once: only the budget stops it.
        triggers: [alwaysTrue('busy', { cooldownPeriod: '1s' })],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { maxActionsPerHour: 2, minReadyReplicas: 0 },
        verification: quick,
      }),
      healingPolicy(engine.namespace, 'cooldown', 'cool-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '6s' })],
        actions: [{ name: 'rollout', type: 'restart', restartAction: { strategy: 'rollout' } }],
        safetyRules: { maxActionsPerHour: 50 },
        verification: quick,
      }),
    ]);
    // Keep firing until the budget has refused at least five times.
    const budget = await eventually(
      'five BudgetExhausted refusals',
      async () => {
        const s = await policyStatus(engine, 'budget').catch(() => undefined);
        return (s?.counters.refusals.BudgetExhausted ?? 0) >= 5 ? s : undefined;
      },
      40_000,
    );
    const spent = actionsOf(engine, 'budget');
    expect(spent).toHaveLength(2);
    expect(budget.counters.actionsStarted).toBe(2);
    expect(budget.actionsInLastHour).toBe(2);
    expect(budget.counters.fires).toBeGreaterThanOrEqual(7);
    expect(budget.lastRefusals.some((r) => r.reason === 'BudgetExhausted')).toBe(true);
    await eventually(
      'two cooled-down rollouts',
      async () =>
        actionsOf(engine, 'cooldown').length >= 2 &&
        ((await policyStatus(engine, 'cooldown')).counters.refusals.Cooldown ?? 0) >= 5,
      40_000,
    );
    const cool = await policyStatus(engine, 'cooldown');
    const rollouts = actionsOf(engine, 'cooldown');
    // Firing every evaluation with a 6s cooldown: actions never closer than 6s apart.
    expect(rollouts.length).toBeGreaterThanOrEqual(2);
    const fired = rollouts.map((a) => Date.parse(a.spec.trigger!.firedAt!));
    for (let i = 1; i < fired.length; i++) expect(fired[i]! - fired[i - 1]!).toBeGreaterThanOrEqual(6000);
    expect(cool.counters.refusals.Cooldown).toBeGreaterThanOrEqual(5);
    expect(rollouts.every((a) => a.spec.targetResource.kind === 'Deployment')).toBe(true);
    await recordHistories(engine, 'budget', {
      policy: policyHandle(engine, 'budget').workflowId,
      action: spent[0]!.status!.workflowId!,
    });
  }, 120_000);
});
