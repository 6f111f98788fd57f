// A PromQL trigger against a real Prometheus: the Debian package's binary scrapes the sim's
// /metrics/pods every second, the operator's KUBESKIPPY_PROMETHEUS_URL points at it, and the
// policy's query is a cAdvisor series. One Deployment leaks, another sits still; the query's
// samples map to pods by their namespace/pod labels, so only the leaking pod is restarted, and
// verification reads its replacement's fresh series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  describeActions,
  podsOf,
  promqlMemoryPolicy,
  sleep,
  WORKING_SET_MIB_QUERY as QUERY,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ prometheus: true });
});
afterAll(() => engine?.stop());

function apps(): ReturnType<typeof deployment>[] {
  const limits = { memory: '256Mi', cpu: '200m' };
  return [
    // ~40Mi at start, 5Mi/s: over 100Mi after ~12 s, OOM-killed at 256Mi after ~43 s.
    deployment('leaky', {
      labels: { tier: 'promql' },
      behaviour: { behavior: 'memory-leak', 'memory-start': '40Mi', 'memory-leak-rate': '5Mi/s' },
      limits,
    }),
    deployment('steady', {
      replicas: 2,
      labels: { tier: 'promql' },
      behaviour: { 'memory-start': '40Mi' },
      limits,
    }),
  ];
}

const policy = (): ReturnType<typeof promqlMemoryPolicy> =>
  promqlMemoryPolicy(engine.namespace, {
    gracePeriodSeconds: 1,
    verification: { delay: '1s', timeout: '30s', interval: '1s' },
  });

describe('PromQL trigger against a real Prometheus', () => {
  it(
    'restarts exactly the pod whose series crossed the threshold, and verifies its replacement',
    { timeout: 120_000 },
    async () => {
      engine.apply(apps());
      const leaky = await eventually('the leaky pod running', () => podsOf(engine, 'leaky')[0]);
      const steady = await eventually('two steady pods', () => {
        const pods = podsOf(engine, 'steady');
        return pods.length === 2 ? pods : undefined;
      });
      // Prometheus has scraped every pod before the policy exists.
      await eventually('Prometheus series of the three pods', async () => {
        const samples = await engine.prometheus!.instant(
          `${QUERY} and on(pod) {namespace="${engine.namespace}"}`,
        );
        return samples.length === 3 ? samples : undefined;
      });
      engine.apply([policy()]);
      const done = await eventually(
        () => `a Succeeded HealingAction: ${describeActions(engine, 'promql-memory')}`,
        () => engine.actions().find((a) => a.status?.phase === 'Succeeded'),
        90_000,
      );
      expect(done.spec.targetResource).toMatchObject({
        kind: 'Pod',
        name: leaky.metadata.name,
        uid: leaky.metadata.uid,
      });
      // The value the operator read from Prometheus: over the threshold, and one Prometheus holds
      // for that pod (the leak only grows, so its maximum so far is at least the value read).
      const observed = Number(done.spec.trigger!.observedValue);
      expect(observed).toBeGreaterThan(100);
      expect(observed).toBeLessThan(256);
      const [max] = await engine.prometheus!.instant(
        `max_over_time(container_memory_working_set_bytes{namespace="${engine.namespace}",pod="${leaky.metadata.name}"}[5m]) / 1048576`,
      );
      expect(max!.value).toBeGreaterThanOrEqual(observed - 0.01);
      expect(done.status!.result!.success).toBe(true);
      // The record shows the PromQL value before acting (the leaking pod) and after verification
      // (its replacement), read from Prometheus like the trigger's.
      const before = Number(done.status!.result!.before![QUERY]);
      const after = Number(done.status!.result!.after![QUERY]);
      expect(before).toBeGreaterThanOrEqual(observed);
      expect(before).toBeLessThan(256);
      expect(after).toBeLessThan(100);
      // The replacement is a new pod of `leaky`, low again in Prometheus; the steady pods untouched.
      const replacement = podsOf(engine, 'leaky').find((p) => p.metadata.uid !== leaky.metadata.uid);
      expect(replacement).toBeDefined();
      const [fresh] = await engine.prometheus!.instant(
        `container_memory_working_set_bytes{namespace="${engine.namespace}",pod="${replacement!.metadata.name}"} / 1048576`,
      );
      expect(fresh!.value).toBeLessThan(100);
      await sleep(2000); // a few more evaluations: the steady pods never fire, the cooldown holds
      expect(engine.actions()).toHaveLength(1);
      expect(
        podsOf(engine, 'steady')
          .map((p) => p.metadata.uid)
          .sort(),
      ).toEqual(steady.map((p) => p.metadata.uid).sort());
      console.log(
        `promql: 1 action on ${done.spec.targetResource.name}, fired at ${observed.toFixed(1)}Mi (threshold 100), ` +
          `recorded before ${before}Mi after ${after}Mi, replacement now ${fresh!.value.toFixed(1)}Mi, ` +
          `${engine.actions().length} actions, 2 steady pods untouched`,
      );
    },
  );
});
