// PromQL triggers on the real control plane, through the real Prometheus (Debian's binary):
// - memory: it scrapes kwok's kubelet-style resource metrics of the fake node (cAdvisor's names,
//   namespace/pod/container labels; cluster/kwok/metrics.yaml), found the way Prometheus' kubelet
//   discovery finds them: the node's InternalIP and kubelet port from its status. A leaking pod
//   crosses the threshold, the sample's labels map to that pod, and the eviction heals it;
// - restarts: it scrapes the control plane's kube-state-metrics (found through its Service in
//   kube-system). kwok's crash loop raises a pod's restartCount, kube_pod_container_status_restarts_total
//   follows, the trigger fires and the debug patch on the Deployment heals every replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/engine-harness.js';
import {
  promqlMemoryPolicy,
  promqlRestartsPolicy,
  WORKING_SET_MIB_QUERY as QUERY,
} from '../support/engine-scenarios.js';
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
  const ksm = await kube.core.readNamespacedService({ name: 'kube-state-metrics', namespace: 'kube-system' });
  const ksmPort = ksm.spec?.ports?.find((p) => p.name === 'http-metrics')?.port;
  prometheus = await startPrometheus({
    jobs: [
      {
        jobName: 'kwok-resource',
        scheme: 'https',
        metricsPath: '/metrics/nodes/kwok-node-0/metrics/resource',
        target: `${ip}:${port}`,
        insecureSkipVerify: true,
      },
      {
        jobName: 'kube-state-metrics',
        scheme: 'http',
        metricsPath: '/metrics',
        target: `${ksm.spec?.externalName}:${ksmPort}`,
      },
    ],
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

  it(
    'patches the Deployment whose pods kube-state-metrics counts restarting, and every replica heals',
    { timeout: 180_000 },
    async () => {
      await engine.apply([
        deployment('looper', {
          replicas: 2,
          labels: { tier: 'promql-restarts' },
          behaviour: { behavior: 'crashloop', 'crash-after': '1s', 'exit-code': '1' },
          limits: { memory: '64Mi', cpu: '100m' },
        }),
      ]);
      const restarts = `kube_pod_container_status_restarts_total{namespace="${engine.namespace}",container="app"}`;
      // The series exist (at 0) before anything crashed: the policy then sees them climb.
      await eventually(
        'kube-state-metrics series of both looper pods',
        async () => (await prometheus.instant(restarts)).length === 2,
        60_000,
      );
      const started = Date.now();
      await engine.apply([promqlRestartsPolicy(engine.namespace)]);
      const done = await eventually(
        'a finished restarts HealingAction',
        async () =>
          (await engine.actions()).find(
            (a) => a.spec.policyRef.name === 'promql-restarts' && a.status?.completionTime,
          ),
        150_000,
      );
      const seconds = (Date.now() - started) / 1000;
      expect(done.spec.targetResource).toMatchObject({ kind: 'Deployment', name: 'looper' });
      expect(done.status?.phase).toBe('Succeeded');
      expect(Number(done.spec.trigger!.observedValue)).toBeGreaterThanOrEqual(2);
      const actions = (await engine.actions()).filter((a) => a.spec.policyRef.name === 'promql-restarts');
      expect(actions).toHaveLength(1);
      // Healed, by the same series: the replacement pods run without restarting.
      const after = await eventually(
        'two replacement pods at 0 restarts in Prometheus',
        async () => {
          const pods = new Set((await engine.pods('looper')).map((p) => p.metadata.name));
          const s = (await prometheus.instant(restarts)).filter((x) => pods.has(x.metric['pod']!));
          return s.length === 2 && s.every((x) => x.value === 0) ? s : undefined;
        },
        60_000,
      );
      console.log(
        `real promql restarts: kube-state-metrics series of ${after.length} pods; fired at ` +
          `${done.spec.trigger!.observedValue} restarts, 1 patch of Deployment looper, ` +
          `policy → finished action ${seconds.toFixed(1)}s`,
      );
    },
  );
});
