// Issue 13, part 4, on the real control plane: 1,000 hostile HealingPolicies (fast-check from the
// zod schema, and mutations of valid ones; test/chaos/hostile/) through kubectl to the real API
// server, with one `kubeskippy operator` process running as its ServiceAccount. Each must end
// refused by the API server naming a field, Ready=False naming a field, or Ready=True and valid;
// the operator must not crash or grow, and no workflow may be left stuck. Where the CEL rules and
// zod judge a document differently, the test lists it.
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../crds/common.js';
import { baseSpec } from '../fixtures/policy-examples.js';
import { eventually } from '../support/engine-harness.js';
import { applyInBatches } from '../chaos/hostile/apply.js';
import { readyOf, type StoredPolicy } from '../chaos/hostile/outcomes.js';
import { spawnCliOperator, type CliOperator } from '../support/cli-operator.js';
import { waitForOperator } from '../chaos/hostile/canary.js';
import { chaosSeed, hostileDocuments } from '../chaos/hostile/generate.js';
import { HEAP_PROBE_ARGS, reportAndAssert, runHostilePolicies } from '../chaos/hostile/run.js';
import { realKubeconfig, startRealEngine, type RealEngine } from './support.js';

const COUNT = Number(process.env.KUBESKIPPY_CHAOS_POLICIES ?? 1000);
const seed = chaosSeed();

let engine: RealEngine;
let operator: CliOperator;
beforeAll(async () => {
  engine = await startRealEngine({ operator: false });
  operator = spawnCliOperator(
    { kubeconfig: inject('realOperatorKubeconfig'), config: engine.config },
    'operator',
    {
      nodeArgs: HEAP_PROBE_ARGS,
    },
  );
  await waitForOperator({ namespace: engine.namespace, kube: engine.kube, operator });
}, 120_000);
afterAll(async () => {
  if (process.env.KUBESKIPPY_CHAOS_OPERATOR_LOG)
    await writeFile(process.env.KUBESKIPPY_CHAOS_OPERATOR_LOG, operator?.output() ?? '');
  await operator?.kill();
  await engine?.stop();
});

describe('hostile policies on the real API server', () => {
  it('a refusal that quotes an 800 KB regex still ends Ready=False, bounded, and the operator lives', async () => {
    const doc = {
      name: 'huge-regex',
      origin: 'hand-made',
      doc: {
        apiVersion: API_VERSION,
        kind: 'HealingPolicy' as const,
        metadata: { name: 'huge-regex', namespace: engine.namespace },
        spec: {
          ...baseSpec(),
          triggers: [{ name: 't', type: 'event', eventTrigger: { reasonPattern: '('.padEnd(800_000, 'x') } }],
        },
      },
    };
    const verdicts = await applyInBatches({
      kubeconfig: realKubeconfig(),
      docs: [doc],
      batchSize: 1,
      parallel: 1,
    });
    expect(verdicts.get('huge-regex')).toEqual({ accepted: true });
    const where = {
      group: 'kubeskippy.io',
      version: 'v1alpha1',
      namespace: engine.namespace,
      plural: 'healingpolicies',
    };
    const ready = await eventually('Ready=False on huge-regex', async () => {
      const p = (await engine.kube.custom.getNamespacedCustomObject({
        ...where,
        name: 'huge-regex',
      })) as StoredPolicy;
      return readyOf(p)?.status === 'False' ? readyOf(p) : undefined;
    });
    expect(ready.message).toMatch(
      /^spec\.triggers\[0\]\.eventTrigger\.reasonPattern: not a valid regular expression: \(x+… \(\d+ more characters\)/,
    );
    expect(ready.message!.length).toBeLessThanOrEqual(32_768);
    expect(await Promise.race([operator.exited.then(() => 'exited'), Promise.resolve('running')])).toBe(
      'running',
    );
  });

  it(
    `${COUNT} generated policies end refused naming a field, Ready=False naming a field, or valid`,
    { timeout: 300_000 },
    async () => {
      const docs = hostileDocuments({ count: COUNT, seed, namespace: engine.namespace });
      const figures = await runHostilePolicies(
        {
          kubeconfig: realKubeconfig(),
          namespace: engine.namespace,
          kube: engine.kube,
          client: engine.client,
          operator,
        },
        { docs, batchSize: 100, parallel: 2, readyTimeoutMs: 120_000 },
      );
      reportAndAssert(figures, { seed, maxRssGrowthMb: 600, maxHeapGrowthMb: 40, cel: true });
    },
  );
});
