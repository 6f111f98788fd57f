import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeSkippyNamespace, KubeSkippyPolicy } from '../../workflows/search-attributes.js';
import { createTestEnv, testTemporal, uniqueTaskQueue } from '../support/temporal.js';
import { smokeActivities, smokeWorkflow } from './fixtures/smoke-workflows.js';

describe('Temporal smoke test against the shared dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a bundled TypeScript workflow and finds it by its KubeSkippy search attributes', async () => {
    const taskQueue = uniqueTaskQueue('smoke');
    const policy = `smoke-${taskQueue}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      activities: smokeActivities,
      // The .ts file itself: the SDK bundler compiles TS and maps `.js` imports to `.ts` sources.
      workflowsPath: fileURLToPath(new URL('./fixtures/smoke-workflows.ts', import.meta.url)),
    });

    const found = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(smokeWorkflow, {
        taskQueue,
        workflowId: `kubeskippy/test/${policy}`,
        args: [policy],
        typedSearchAttributes: [{ key: KubeSkippyNamespace, value: 'smoke-ns' }],
      });
      expect(await handle.result()).toBe(`upserted ${policy}`);
      return pollVisibility(env, `KubeSkippyPolicy="${policy}" AND KubeSkippyNamespace="smoke-ns"`);
    });

    expect(found.typedSearchAttributes.get(KubeSkippyPolicy)).toBe(policy);
    expect(found.typedSearchAttributes.get(KubeSkippyNamespace)).toBe('smoke-ns');
    expect(found.status.name).toBe('COMPLETED');
  });

  it('exposes the shared server to child processes through TEMPORAL_ADDRESS', () => {
    expect(process.env.TEMPORAL_ADDRESS).toBe(testTemporal().address);
  });
});

// Visibility is eventually consistent: the completed workflow appears shortly after it closes.
async function pollVisibility(env: TestWorkflowEnvironment, query: string) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for await (const wf of env.client.workflow.list({ query })) {
      if (wf.status.name === 'COMPLETED') return wf;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no completed workflow matched ${query} within 10 s`);
}
