// The simulated cluster itself at scale: how long N pods of one Deployment in one namespace take
// to become Ready (3,000 took 309–455 s while the scheduler listed every pod per pod; see
// docs/sim.md), and collectSnapshot over HTTP through client-node.
import { performance } from 'node:perf_hooks';
import { createKube, loadKubeConfig } from '../activities/kube/clients.js';
import { collectSnapshot } from '../activities/snapshot/collect.js';
import { startSim } from '../sim/index.js';
import { log, round, rssMb } from './figures.js';
import { createNamespace, deployment, waitReady } from './sim-pods.js';

export async function benchSimPodsReady(n: number): Promise<number | undefined> {
  const sim = await startSim({});
  try {
    createNamespace(sim.store, 'bench');
    const start = performance.now();
    sim.store.create('apps/v1/deployments', deployment('bench', 'web', n));
    const ok = await waitReady(sim.store, 'bench', n, 600_000);
    const s = (performance.now() - start) / 1000;
    log(
      `sim: ${n} pods of one Deployment Ready in ${s.toFixed(1)} s${ok ? '' : ' (timed out)'}, RSS ${rssMb()} MB`,
    );
    return ok ? round(s, 1) : undefined;
  } finally {
    await sim.stop();
  }
}

async function collectOnce(n: number): Promise<{ ms: number; pods: number }> {
  const sim = await startSim({ kubeconfigOut: `/tmp/kubeskippy-bench-${process.pid}.kubeconfig` });
  try {
    createNamespace(sim.store, 'bench');
    sim.store.create('apps/v1/deployments', deployment('bench', 'web', n));
    await waitReady(sim.store, 'bench', n, 120_000);
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

export async function benchCollect(): Promise<void> {
  log('collectSnapshot over HTTP against the simulated cluster (client-node, metrics.k8s.io):');
  for (const n of [10, 100, 1000]) {
    const r = await collectOnce(n);
    log(`  ${String(n).padStart(5)} pods: ${r.ms.toFixed(1)} ms/snapshot (${r.pods} pods collected)`);
  }
}
