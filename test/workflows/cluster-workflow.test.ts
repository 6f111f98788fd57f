// The cluster workflow (workflows/cluster-workflow.ts) on the real Temporal server: its ledger is
// durable. Across a worker restart and several continue-as-new runs (a tiny history bound), the
// slots taken stay taken, a retried admission is the same answer, releases free slots, and the
// settings survive too. No activities: the workflow takes only messages.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterWorkflowId } from '../../domain/ids.js';
import type { ClusterSettings } from '../../domain/cluster-budget.js';
import {
  CLUSTER_WORKFLOW,
  admitActionsUpdate,
  clusterStatusQuery,
  releaseActionSignal,
  setClusterConfigSignal,
} from '../../workflows/messages.js';
import type { clusterWorkflow } from '../../workflows/cluster-workflow.js';
import { workflowBundle } from '../support/engine-harness.js';
import { createTestEnv, uniqueTaskQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env?.teardown());

describe('cluster workflow', () => {
  it('keeps its ledger across a worker restart and continue-as-new', { timeout: 90_000 }, async () => {
    const taskQueue = uniqueTaskQueue('cluster');
    const bundle = await workflowBundle();
    const worker = (): Promise<Worker> =>
      Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace,
        taskQueue,
        workflowBundle: bundle,
      });
    const settings: ClusterSettings = {
      suspended: false,
      budget: { maxConcurrentActions: 2, maxActionsPerHour: 5 },
    };
    const workflowId = clusterWorkflowId(taskQueue);
    const admit = (id: string) =>
      env.client.workflow
        .getHandle(workflowId)
        .executeUpdate(admitActionsUpdate, { args: [[{ workflowId: id, namespace: 'ns' }]] })
        .then((v) => v[id]!);

    const first = await worker();
    const runs = new Set<string>();
    await first.runUntil(async () => {
      const h = await env.client.workflow.signalWithStart<typeof clusterWorkflow, [ClusterSettings]>(
        CLUSTER_WORKFLOW,
        {
          workflowId,
          taskQueue,
          args: [{ settings, maxHistoryLength: 12 }],
          signal: setClusterConfigSignal,
          signalArgs: [settings],
        },
      );
      runs.add((await h.describe()).runId);
      expect(await admit('a1')).toEqual({ ok: true });
      expect(await admit('a2')).toEqual({ ok: true });
    });

    const second = await worker();
    await second.runUntil(async () => {
      const h = env.client.workflow.getHandle(workflowId);
      // The slots taken before the restart are still taken; asking again for one is the same yes.
      expect(await admit('a3')).toMatchObject({ ok: false, reason: 'ClusterBudget' });
      expect(await admit('a1')).toEqual({ ok: true });
      for (let i = 0; i < 6; i++) {
        await h.signal(releaseActionSignal, { workflowId: 'nobody' }); // grows the history
        runs.add((await h.describe()).runId);
      }
      await h.signal(releaseActionSignal, { workflowId: 'a1' });
      expect(await admit('a3')).toEqual({ ok: true });
      await h.signal(releaseActionSignal, { workflowId: 'a2' });
      await h.signal(releaseActionSignal, { workflowId: 'a3' });
      expect(await admit('a4')).toEqual({ ok: true });
      await h.signal(releaseActionSignal, { workflowId: 'a4' });
      expect(await admit('a5')).toEqual({ ok: true });
      await h.signal(releaseActionSignal, { workflowId: 'a5' });
      // Five starts this hour, whatever ran since: the hourly bound holds across runs.
      expect(await admit('a6')).toMatchObject({
        ok: false,
        message: expect.stringContaining('maxActionsPerHour'),
      });
      runs.add((await h.describe()).runId);
      const view = await h.query(clusterStatusQuery);
      expect(view).toMatchObject({ actionsInLastHour: 5, runningActions: 0, admitted: 5, settings });
      await h.terminate('test finished');
    });
    expect(runs.size, 'continued as new at least once').toBeGreaterThan(1);
  });
});
