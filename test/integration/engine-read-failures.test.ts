// An action whose reads of the cluster keep failing still ends, with a record that says why: the
// safety check after an approval → Skipped ClusterReadFailed (nothing done blind); verification →
// Failed when the timeout passes. Before, the workflow failed and its HealingAction stayed
// AwaitingApproval or Verifying for ever (the real-cluster fault chaos test found it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, alwaysTrue, describeActions, healingPolicy } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';
import { approveActionUpdate } from '../../workflows/messages.js';

let engine: Engine;
beforeAll(async () => {
  // Direct reads, so a failing list fails the snapshot (a synced watch cache would answer it).
  engine = await startEngine({ timeScale: 0.1, watchCache: false });
});
afterAll(() => engine?.stop());

async function setFaults(config: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${engine.sim.url}/sim/faults`, { method: 'PUT', body: JSON.stringify(config) });
  expect(res.status).toBe(200);
}
// Every list of PodDisruptionBudgets fails: each snapshot needs one.
const pdbListsFail = { errorRate: { list: 1 }, errorCodes: [500], pathPattern: 'poddisruptionbudgets' };

const policy = (app: string, mode: string, verifyTimeout: string): ReturnType<typeof healingPolicy> =>
  healingPolicy(engine.namespace, app, app, {
    mode,
    triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    safetyRules: { minReadyReplicas: 0, maxConcurrentActions: 1, maxActionsPerHour: 20 },
    verification: { delay: '3s', timeout: verifyTimeout, interval: '1s', requireTriggerCleared: false },
  });

describe('reads that keep failing', () => {
  it('end the action Skipped before it acts and Failed while it verifies', { timeout: 150_000 }, async () => {
    engine.apply([
      deployment('rf-approve', { replicas: 2, behaviour: { behavior: 'healthy' } }),
      policy('rf-approve', 'manual', '15s'),
    ]);
    const waiting = await eventually(
      () => `an action awaiting approval: ${describeActions(engine, 'rf-approve')}`,
      () => actionsOf(engine, 'rf-approve').find((a) => a.status?.phase === 'AwaitingApproval'),
      45_000,
    );
    await setFaults(pdbListsFail);
    await engine.client.workflow
      .getHandle(waiting.status!.workflowId!)
      .executeUpdate(approveActionUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    const skipped = await eventually(
      () => `the approved action to end: ${describeActions(engine, 'rf-approve')}`,
      () => actionsOf(engine, 'rf-approve').find((a) => a.status?.phase === 'Skipped'),
      60_000,
    );
    await setFaults({});
    expect(skipped.status!.reason).toBe('ClusterReadFailed');
    expect(skipped.status!.message).toMatch(
      /safety check could not read the cluster: .*poddisruptionbudgets|pdbs/,
    );
    expect(skipped.status!.executionTime, 'nothing was executed').toBeUndefined();

    engine.apply([
      deployment('rf-verify', { replicas: 2, behaviour: { behavior: 'healthy' } }),
      policy('rf-verify', 'automatic', '8s'),
    ]);
    await eventually(
      () => `an action verifying: ${describeActions(engine, 'rf-verify')}`,
      () => actionsOf(engine, 'rf-verify').find((a) => a.status?.phase === 'Verifying'),
      45_000,
      100,
    );
    await setFaults(pdbListsFail);
    const failed = await eventually(
      () => `the verifying action to end: ${describeActions(engine, 'rf-verify')}`,
      () => actionsOf(engine, 'rf-verify').find((a) => a.status?.phase === 'Failed'),
      60_000,
    );
    await setFaults({});
    expect(failed.status!.reason).toBe('NotHealed');
    expect(failed.status!.message).toMatch(/not healed within 8s: could not read the cluster/);
    console.log(
      `read failures: approved action → ${skipped.status!.phase}/${skipped.status!.reason}; ` +
        `verifying action → ${failed.status!.phase}/${failed.status!.reason}`,
    );
  });
});
