// A PromQL trigger on the real control plane: the real Prometheus (Debian's binary) scrapes kwok's
// kubelet-style resource metrics of the fake node (cAdvisor's names, namespace/pod/container
// labels; cluster/kwok/metrics.yaml), found the way Prometheus' kubelet discovery finds them: the
// node's InternalIP and kubelet port from its status. A leaking pod crosses the threshold, the
// sample's labels map to that pod, and the eviction heals it on the real API server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/engine-harness.js';
import { promqlMemoryPolicy, WORKING_SET_MIB_QUERY as QUERY } from '../support/engine-scenarios.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { deployment } from '../support/sim-fixtures.js';
import { createKube, loadKubeConfig } from '../../activities/kube/clients.js';
import { realKubeconfig, startRealEngine, type RealEngine } from './support.js';

let prometheus: RunningPrometheus;
let engine: RealEngine;
beforeAll(async () => {
  const kube = createKube(loadKubeConfig(realKubeconfig()));
  const node = await kube.core.readNode({ name: 'kwok-node-0' });
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  prometheus = await startPrometheus({
    job: {
      jobName: 'kwok-resource',
      scheme: 'https',
      metricsPath: '/metrics/nodes/kwok-node-0/metrics/resource',
      target: `${ip}:${port}`,
      insecureSkipVerify: true,
    },
  });
  engine = await startRealEngine({ prometheusUrl: prometheus.url });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await prometheus?.stop();
});

describe('PromQL trigger on the real cluster', () => {
  it('evicts the pod whose kwok series crossed the threshold', { timeout: 150_000 }, async () => {
    const limits = { memory: '256Mi', cpu: '200m' };
    await engine.apply([
      deployment('leaky', {
        labels: { tier: 'promql' },
        behaviour: { behavior: 'memory-leak', 'memory-start': '40Mi', 'memory-leak-rate': '5Mi/s' },
        limits,
      }),
      deployment('steady', { labels: { tier: 'promql' }, behaviour: { 'memory-start': '40Mi' }, limits }),
    ]);
    const series = await eventually(
      'Prometheus series of both pods',
      async () => {
        const s = await prometheus.instant(`${QUERY} and on(pod) {namespace="${engine.namespace}"}`);
        return s.length === 2 ? s : undefined;
      },
      60_000,
    );
    const [leaky] = await engine.pods('leaky');
    const [steady] = await engine.pods('steady');
    const started = Date.now();
    await engine.apply([
      promqlMemoryPolicy(engine.namespace, {
        gracePeriodSeconds: 0,
        verification: { delay: '1s', timeout: '60s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    const done = await eventually(
      'a finished HealingAction',
      async () => (await engine.actions()).find((a) => a.status?.completionTime),
      120_000,
    );
    const seconds = (Date.now() - started) / 1000;
    expect(done.spec.targetResource).toMatchObject({ kind: 'Pod', name: leaky!.metadata.name });
    expect(done.status?.phase).toBe('Succeeded');
    const observed = Number(done.spec.trigger!.observedValue);
    expect(observed).toBeGreaterThan(100);
    const actions = await engine.actions();
    expect(actions).toHaveLength(1);
    expect((await engine.pods('steady')).map((p) => p.metadata.uid)).toEqual([steady!.metadata.uid]);
    console.log(
      `real promql: ${series.length} pod series scraped from kwok, 1 action on ${leaky!.metadata.name} ` +
        `fired at ${observed.toFixed(1)}Mi (threshold 100), policy → finished action ${seconds.toFixed(1)}s`,
    );
  });
});
