// Issue 13, part 4, on the simulated cluster: hostile HealingPolicies through kubectl against the
// sim, with one `kubeskippy operator` process. The sim has no CEL: its OpenAPI validation refuses
// wrong shapes and the operator's zod schema judges the rest (Ready=False). The real tier runs the
// same generator against the API server's CEL rules (test/real/chaos-hostile-policies.test.ts).
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { spawnCliOperator, type CliOperator } from '../support/cli-operator.js';
import { startEngine, type Engine } from '../support/engine-harness.js';
import { waitForOperator } from './hostile/canary.js';
import { chaosSeed, hostileDocuments } from './hostile/generate.js';
import { HEAP_PROBE_ARGS, reportAndAssert, runHostilePolicies } from './hostile/run.js';

const COUNT = Number(process.env.KUBESKIPPY_CHAOS_SIM_POLICIES ?? 300);
const seed = chaosSeed();

let engine: Engine;
let operator: CliOperator;
beforeAll(async () => {
  engine = await startEngine({ operator: false });
  operator = spawnCliOperator(engine, 'operator', { nodeArgs: HEAP_PROBE_ARGS });
  await waitForOperator({ namespace: engine.namespace, kube: engine.kube, operator });
}, 120_000);
afterAll(async () => {
  if (process.env.KUBESKIPPY_CHAOS_OPERATOR_LOG)
    await writeFile(process.env.KUBESKIPPY_CHAOS_OPERATOR_LOG, operator?.output() ?? '');
  await operator?.kill();
  await engine?.stop();
});

describe('hostile policies on the sim', () => {
  it(
    `${COUNT} generated policies end refused, Ready=False naming a field, or valid`,
    { timeout: 240_000 },
    async () => {
      const docs = hostileDocuments({ count: COUNT, seed, namespace: engine.namespace });
      const figures = await runHostilePolicies(
        {
          kubeconfig: engine.kubeconfig,
          namespace: engine.namespace,
          kube: engine.kube,
          client: engine.client,
          operator,
        },
        { docs, batchSize: 50, parallel: 2, readyTimeoutMs: 90_000 },
      );
      reportAndAssert(figures, { seed, maxRssGrowthMb: 300, maxHeapGrowthMb: 40, cel: false });
    },
  );
});
