// The second line of defence behind leader election: two controllers acting at once (before an
// election settles, or a leader in the moment before it stands down) over the same HealingPolicy.
// Policy workflows start by update-with-start under the policy's fixed id with USE_EXISTING, so the
// second start attaches to the first run instead of failing (no WorkflowExecutionAlreadyStarted
// to handle) or starting a second one: Temporal holds one run, and neither controller logs an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyWorkflowId } from '../../domain/ids.js';
import { startOperator, type RunningOperator } from '../../operator/operator.js';
import {
  capturingLogger,
  eventually,
  startEngine,
  workflowBundle,
  type Engine,
  type LogLine,
} from '../support/engine-harness.js';
import { alwaysTrue, healingPolicy } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
let second: RunningOperator | undefined;
const secondLogs: LogLine[] = [];

beforeAll(async () => {
  engine = await startEngine({ captureLogs: true });
  // A second controller on the same cluster and task queue, without leader election.
  second = await startOperator({
    config: { ...engine.config, metricsPort: 0 },
    role: 'controller',
    logger: capturingLogger(secondLogs, { test: engine.namespace, replica: 'second' }),
    workflowBundle: await workflowBundle(),
  });
});
afterAll(async () => {
  await second?.stop();
  await engine?.stop();
});

describe('two controllers at once (no election): one policy workflow run', () => {
  it('both bring the policy in sync through the same run', async () => {
    engine.apply([
      deployment('race-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'race', 'race-app', {
        mode: 'monitor',
        triggers: [alwaysTrue('busy')],
        actions: [{ name: 'evict', type: 'restart', restartAction: { strategy: 'evict' } }],
      }),
    ]);
    const inSync = (logs: LogLine[]): boolean =>
      logs.some((l) => l.msg === 'policy workflow in sync' && String(l.policy).endsWith('/race'));
    await eventually(
      'both controllers have the policy in sync',
      () => inSync(engine.logs) && inSync(secondLogs),
      60_000,
    );
    let runs = 0;
    for await (const wf of engine.client.workflow.list({
      query: `WorkflowId="${policyWorkflowId(engine.config.clusterName, engine.namespace, 'race')}"`,
    }))
      if (wf) runs++;
    expect(runs).toBe(1);
    const errors = [...engine.logs, ...secondLogs].filter((l) =>
      /could not start or update/.test(String(l.msg)),
    );
    expect(errors).toEqual([]);
  });
});
