// Workflow code runs in Temporal's deterministic sandbox and must not pull in I/O
// libraries. Type-only imports are fine (they vanish); a value import would drag the library into
// the bundle, so bundling and looking is the real check (lint is the early warning).
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../operator/worker.js';

const FORBIDDEN = [
  '@kubernetes/client-node',
  'zod',
  'pino',
  'ollama',
  'openai',
  'prom-client',
  'yaml',
  'undici',
];
const noop = (): void => undefined;

describe('workflow bundle', () => {
  it('contains no I/O library', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
    });
    const modules = new Set([...code.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]));
    expect(modules.size).toBeGreaterThan(0); // the @temporalio packages are there: the scan works
    for (const lib of FORBIDDEN) expect(modules.has(lib), `${lib} is in the workflow bundle`).toBe(false);
    // Our own I/O folders must not be bundled either.
    expect(code).not.toMatch(/\.\/(activities|workers|sim)\/[\w/-]+\.ts/);
    expect(code).toMatch(/\.\/domain\/plan\.ts/);
  });
});
