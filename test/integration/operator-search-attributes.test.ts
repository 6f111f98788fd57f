// The controller registers KubeSkippy's search attributes before it starts a workflow: on a
// namespace registered by hand (or one that predates KubeSkippyCluster) every upsert would
// otherwise fail inside the workflows, far from the cause. A real dev server, a fresh namespace.
import { randomUUID } from 'node:crypto';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSearchAttributeIndexedValueType as indexedType } from '@temporalio/common/lib/search-attributes.js';
import { startOperator } from '../../operator/operator.js';
import { kubeSkippySearchAttributes } from '../../operator/search-attributes.js';
import {
  capturingLogger,
  eventually,
  startEngine,
  workflowBundle,
  type Engine,
  type LogLine,
} from '../support/engine-harness.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ operator: false });
});
afterAll(async () => {
  await engine?.stop();
});

/** A new namespace on the shared server, usable once the frontend's namespace cache knows it. */
async function freshNamespace(): Promise<string> {
  const namespace = `sa-${randomUUID().slice(0, 8)}`;
  const service = engine.client.connection.workflowService;
  await service.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await eventually(
    `namespace ${namespace} is served`,
    async () =>
      engine.client.connection.operatorService.listSearchAttributes({ namespace }).then(
        () => true,
        () => false,
      ),
    30_000,
  );
  return namespace;
}

const custom = async (namespace: string): Promise<Record<string, unknown>> =>
  (await engine.client.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};

describe('the controller and the search attributes', () => {
  it('registers the missing ones on a fresh namespace before it starts, and says so', async () => {
    const namespace = await freshNamespace();
    expect(Object.keys(await custom(namespace))).not.toContain('KubeSkippyCluster');
    const logs: LogLine[] = [];
    const operator = await startOperator({
      config: { ...engine.config, temporalNamespace: namespace, metricsPort: 0 },
      role: 'controller',
      logger: capturingLogger(logs, { test: namespace }),
      workflowBundle: await workflowBundle(),
    });
    try {
      const present = await custom(namespace);
      for (const key of kubeSkippySearchAttributes)
        expect(present[key.name], key.name).toBe(indexedType(key.type));
      const line = logs.find((l) => l.msg === 'registered search attributes');
      expect(line?.added).toEqual(kubeSkippySearchAttributes.map((k) => k.name));
    } finally {
      await operator.stop();
    }
  });

  it('refuses to start when one exists with another type, naming it', async () => {
    const namespace = await freshNamespace();
    await engine.client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { KubeSkippyCluster: indexedType('TEXT')! },
    });
    await expect(
      startOperator({
        config: { ...engine.config, temporalNamespace: namespace, metricsPort: 0 },
        role: 'controller',
        logger: capturingLogger([], { test: namespace }),
        workflowBundle: await workflowBundle(),
      }),
    ).rejects.toThrow(
      /search attribute KubeSkippyCluster exists on namespace "sa-[0-9a-f]+" with another type \(expected Keyword\)/,
    );
  });
});
