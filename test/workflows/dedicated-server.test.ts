import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevServer } from '../../tools/dev-server.js';
import { createTestEnv, startDedicatedServer, uniqueTaskQueue } from '../support/temporal.js';
import { smokeActivities, untilContinueAsNewSuggested } from './fixtures/smoke-workflows.js';

// Continue-as-new paths need a history threshold of tens of events, not the default 4096; such
// tests get a private server so the shared one keeps production-like limits.
describe('a dedicated dev server with a low continue-as-new threshold', () => {
  let server: DevServer;
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    server = await startDedicatedServer({ 'limit.historyCount.suggestContinueAsNew': 40 });
    env = await createTestEnv({ address: server.address, namespace: server.namespace });
  });
  afterAll(async () => {
    await env?.teardown();
    await server?.stop();
  });

  it('suggests continue-as-new after about 40 history events', async () => {
    const taskQueue = uniqueTaskQueue('can');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      activities: smokeActivities,
      workflowsPath: fileURLToPath(new URL('./fixtures/smoke-workflows.ts', import.meta.url)),
    });
    const length = await worker.runUntil(
      env.client.workflow.execute(untilContinueAsNewSuggested, {
        taskQueue,
        workflowId: taskQueue,
        args: [200],
      }),
    );
    expect(length).toBeGreaterThanOrEqual(40);
    expect(length).toBeLessThan(60);
  });
});
