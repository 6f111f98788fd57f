// Continue-as-new carries the policy's memory: on a private dev server that suggests
// continue-as-new after 20 history events (every few evaluations), a `for` window is held across
// several runs, and the hourly budget and a cooldown still refuse after the run id changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevServer } from '../../tools/dev-server.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  policyHandle,
  policyStatus,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment } from '../support/sim-fixtures.js';
import { startDedicatedServer } from '../support/temporal.js';

let server: DevServer;
let engine: Engine;
beforeAll(async () => {
  server = await startDedicatedServer({ 'limit.historyCount.suggestContinueAsNew': 20 });
  engine = await startEngine({
    timeScale: 0.1,
    temporal: { address: server.address, namespace: server.namespace },
  });
});
afterAll(async () => {
  await engine?.stop();
  await server?.stop();
});

/** Start times of every run of a policy workflow (closed ContinuedAsNew runs and the open one). */
async function runStarts(policy: string): Promise<number[]> {
  const out: number[] = [];
  for await (const wf of engine.client.workflow.list({
    query: `WorkflowId = "${policyHandle(engine, policy).workflowId}"`,
  }))
    out.push(wf.startTime.getTime());
  return out.sort();
}
const between = (starts: number[], from: number, to: number): number =>
  starts.filter((t) => t > from && t < to).length;

describe('continue-as-new', () => {
  it('keeps for-windows, budgets and cooldowns across runs', async () => {
    engine.apply([
      deployment('win-app', { replicas: 1 }),
      deployment('cool-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'window', 'win-app', {
        triggers: [
          alwaysTrue('busy', {
            metricTrigger: { query: 'cpu_usage_millicores', operator: '>', threshold: 0, for: '15s' },
            cooldownPeriod: '1s',
          }),
        ],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { maxActionsPerHour: 1, minReadyReplicas: 0 },
        verification: { enabled: false },
      }),
      healingPolicy(engine.namespace, 'cool', 'cool-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '15s' })],
        actions: [{ name: 'rollout', type: 'restart', restartAction: { strategy: 'rollout' } }],
        safetyRules: { maxActionsPerHour: 50 },
        verification: { enabled: false },
      }),
    ]);

    // 1. The `for` window: first true, then held through several runs before it fired.
    const fired = await eventually(
      () => `the windowed action: ${describeActions(engine, 'window')}`,
      () => actionsOf(engine, 'window')[0],
      45_000,
    );
    const firstTrue = Date.parse(fired.spec.trigger!.firstTrueTime!);
    const firedAt = Date.parse(fired.spec.trigger!.firedAt!);
    expect(firedAt - firstTrue).toBeGreaterThanOrEqual(15_000);
    expect(between(await runStarts('window'), firstTrue, firedAt)).toBeGreaterThanOrEqual(2);

    // 2. The budget (1 an hour): the replacement pod's window fills again, in later runs, and is refused.
    const refusedAt = await eventually(
      'a BudgetExhausted refusal',
      async () =>
        ((await policyStatus(engine, 'window')).counters.refusals.BudgetExhausted ?? 0) > 0 ? Date.now() : 0,
      45_000,
    );
    expect(between(await runStarts('window'), firedAt, refusedAt)).toBeGreaterThanOrEqual(2);
    const windowStatus = await policyStatus(engine, 'window');
    expect(windowStatus.counters.actionsStarted).toBe(1);
    expect(windowStatus.actionsInLastHour).toBe(1);
    expect(actionsOf(engine, 'window')).toHaveLength(1);

    // 3. The cooldown (15s on the Deployment): the second action waits it out across runs.
    const pair = await eventually(
      () => `two cooled-down actions: ${describeActions(engine, 'cool')}`,
      () => {
        const all = actionsOf(engine, 'cool');
        return all.length >= 2 ? all : undefined;
      },
      30_000,
    );
    const [a, b] = pair.map((x) => Date.parse(x.spec.trigger!.firedAt!)) as [number, number];
    expect(b - a).toBeGreaterThanOrEqual(15_000);
    expect(between(await runStarts('cool'), a, b)).toBeGreaterThanOrEqual(2);
    expect((await policyStatus(engine, 'cool')).counters.refusals.Cooldown).toBeGreaterThanOrEqual(8);
    // `fired` is the HealingAction as first seen, possibly before the controller wrote its status:
    // read the action workflow's id from the record as it is now.
    const actionWorkflowId = await eventually(
      () => `the windowed action's workflow id: ${describeActions(engine, 'window')}`,
      () => actionsOf(engine, 'window')[0]?.status?.workflowId,
      15_000,
    );
    await recordHistories(engine, 'continue-as-new', {
      policy: policyHandle(engine, 'window').workflowId,
      action: actionWorkflowId,
    });
  }, 150_000);
});
