// A fleet's cluster name, from the policy the controller hands over to what the action records:
// the action's workflow id, its PlannedAction, its HealingAction labels and spec, and the policy
// workflow's refusal of an update from another cluster. Without a cluster (inputs recorded before
// fleets) everything is as it was, so their histories replay.
import { describe, expect, it } from 'vitest';
import { actionLabels } from '../../domain/action-record.js';
import { approveCommands } from '../../domain/notifications.js';
import { normalizePolicyRef } from '../../domain/policy.js';
import { initialState } from '../../domain/state.js';
import { PolicyRun } from '../../workflows/policy-run.js';
import { Driver } from '../fixtures/domain-run.js';
import {
  memoryTrigger,
  policy,
  policySpec,
  pod,
  restartAction,
  snapshot,
  withMemory,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;
const leaking = pod('a', withMemory(0.9));

function plannedFor(cluster: string | undefined) {
  const p = policy(
    { triggers: [memoryTrigger(85)], actions: [restartAction()] },
    cluster !== undefined ? { cluster } : {},
  );
  const r = new Driver(p).tick(snapshot(T0, [leaking, pod('b'), pod('c')]));
  expect(r.planned).toHaveLength(1);
  return r.planned[0]!;
}

describe('the cluster name through planning and recording', () => {
  it('a policy of cluster a plans an action whose id, record and labels say a', () => {
    const a = plannedFor('a');
    expect(a.workflowId).toBe('kubeskippy/a/action/demo/heal/high-memory/Pod/a/1');
    expect(a.cluster).toBe('a');
    expect(actionLabels(a, 'Pending')['kubeskippy.io/cluster']).toBe('a');
    expect(approveCommands({ ...a, namespace: 'demo' }).approve[1]).toMatch(/ --cluster-name a$/);
  });

  it('the same policy in cluster b is another workflow and another HealingAction name', () => {
    const [a, b] = [plannedFor('a'), plannedFor('b')];
    expect(b.workflowId).not.toBe(a.workflowId);
    expect(b.healingActionName).not.toBe(a.healingActionName);
  });

  it('without a cluster (a recorded input) the ids and labels are those from before fleets', () => {
    const old = plannedFor(undefined);
    expect(old.workflowId).toBe('kubeskippy/action/demo/heal/high-memory/Pod/a/1');
    expect(old).not.toHaveProperty('cluster');
    expect(actionLabels(old, 'Pending')).not.toHaveProperty('kubeskippy.io/cluster');
  });

  it('keeps the cluster through normalizePolicyRef, as the policy workflow gets it', () => {
    const spec = policySpec({});
    expect(normalizePolicyRef({ cluster: 'a', namespace: 'demo', name: 'heal', spec }).cluster).toBe('a');
    expect(normalizePolicyRef({ namespace: 'demo', name: 'heal', spec })).not.toHaveProperty('cluster');
  });

  it("the policy workflow refuses an update carrying another cluster's spec", () => {
    const spec = policySpec({});
    const run = new PolicyRun({ cluster: 'a', namespace: 'demo', name: 'heal', spec }, initialState(), {
      fresh: true,
    });
    expect(() => run.validateUpdate({ cluster: 'a', namespace: 'demo', name: 'heal', spec })).not.toThrow();
    expect(() => run.validateUpdate({ cluster: 'b', namespace: 'demo', name: 'heal', spec })).toThrow(
      /cluster must not change/,
    );
    expect(() => run.validateUpdate({ namespace: 'demo', name: 'heal', spec })).toThrow(
      /cluster must not change/,
    );
  });
});
