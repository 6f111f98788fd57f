// `npm run bench`: speed and size figures, printed, never asserted (machines here are shared and
// noisy). Compare ratios within one run: per-pod cost should stay flat as the pod count grows, and
// the policy state carried through continue-as-new should stay bounded.
import { performance } from 'node:perf_hooks';
import { evaluatePolicy } from '../domain/plan.js';
import { initialState, type PolicyState } from '../domain/state.js';
import type { ClusterSnapshot } from '../domain/snapshot.js';
import { policy, pod, snapshot, withMemory, withRestarts } from '../test/fixtures/domain-builders.js';
import { startSim } from '../sim/index.js';
import { createKube, loadKubeConfig } from '../activities/kube/clients.js';
import { collectSnapshot } from '../activities/snapshot/collect.js';

const spec = {
  triggers: [
    {
      name: 'high-memory',
      type: 'metric',
      metricTrigger: { query: 'memory_usage_percent', threshold: 85, for: '30s' },
    },
    {
      name: 'restarts',
      type: 'metric',
      metricTrigger: { query: 'restart_count', threshold: 3, window: '5m' },
    },
  ],
  safetyRules: { maxActionsPerHour: 5 },
};

function pods(n: number, t: number): ClusterSnapshot {
  // A tenth of the pods leak and crash, the rest are healthy; the usage moves with time.
  return snapshot(
    t,
    Array.from({ length: n }, (_, i) =>
      pod(
        `web-${i}`,
        withMemory(i % 10 === 0 ? 0.9 : 0.2 + (t % 7) / 100),
        withRestarts(i % 10 === 0 ? Math.floor(t / 30_000) : 0),
      ),
    ),
  );
}

function benchEvaluate(
  n: number,
  ticks: number,
): { perPodUs: number; perTickMs: number; stateBytes: number } {
  const p = policy(spec);
  let state: PolicyState = initialState();
  const snaps = Array.from({ length: ticks }, (_, k) => pods(n, k * 30_000));
  const start = performance.now();
  for (let k = 0; k < ticks; k++)
    state = evaluatePolicy({ policy: p, snapshot: snaps[k]!, state, nowMs: k * 30_000 }).state;
  const ms = performance.now() - start;
  return {
    perPodUs: (ms * 1000) / (n * ticks),
    perTickMs: ms / ticks,
    stateBytes: JSON.stringify(state).length,
  };
}

async function benchCollect(n: number): Promise<{ ms: number; pods: number }> {
  const sim = await startSim({ kubeconfigOut: `/tmp/kubeskippy-bench-${process.pid}.kubeconfig` });
  try {
    sim.store.create('core/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bench' },
    });
    sim.store.create('apps/v1/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'bench' },
      spec: {
        replicas: n,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'app', image: 'x', resources: { limits: { memory: '256Mi', cpu: '500m' } } },
            ],
          },
        },
      },
    });
    while (sim.store.list('core/v1/pods', { namespace: 'bench' }).length < n)
      await new Promise((r) => setTimeout(r, 100));
    const kube = createKube(loadKubeConfig(sim.kubeconfigPath));
    const req = {
      namespaces: ['bench'],
      labelSelector: { matchLabels: { app: 'web' } },
      kinds: ['Pod'],
      needUsage: true,
      promQueries: [],
      eventLookbackMs: 300_000,
    };
    await collectSnapshot(kube, req); // warm-up
    const runs = 5;
    const start = performance.now();
    let got = 0;
    for (let i = 0; i < runs; i++) got = (await collectSnapshot(kube, req)).pods.length;
    return { ms: (performance.now() - start) / runs, pods: got };
  } finally {
    await sim.stop();
  }
}

console.log('evaluatePolicy (pure domain): per-pod cost should stay flat as pods grow');
const base = benchEvaluate(10, 200);
for (const n of [10, 100, 1000]) {
  const r = n === 10 ? base : benchEvaluate(n, n >= 1000 ? 40 : 200);
  console.log(
    `  ${String(n).padStart(5)} pods: ${r.perTickMs.toFixed(3)} ms/evaluation, ${r.perPodUs.toFixed(2)} µs/pod ` +
      `(×${(r.perPodUs / base.perPodUs).toFixed(2)} of 10 pods), state ${r.stateBytes} bytes`,
  );
}
console.log('collectSnapshot over HTTP against the simulated cluster (client-node, metrics.k8s.io):');
for (const n of [10, 100]) {
  const r = await benchCollect(n);
  console.log(`  ${String(n).padStart(5)} pods: ${r.ms.toFixed(1)} ms/snapshot (${r.pods} pods collected)`);
}
