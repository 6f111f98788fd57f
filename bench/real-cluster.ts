// BENCH_CLUSTER=real|both: P1 and P4 also against the real local control plane (cluster/,
// docs/real-cluster.md) instead of only the sim. One cluster for the whole bench run: started here
// from the cached binaries (never built by the bench), or the running one of
// KUBESKIPPY_REAL_KUBECONFIG (an admin kubeconfig, as the test tier takes it). The operator runs as
// its ServiceAccount with the RBAC of deploy/operator (prepareOperatorIdentity), so what it does on
// the API server is what it would do in a pod. The P4 children get both kubeconfigs through the
// environment (BENCH_REAL_ADMIN / BENCH_REAL_OPERATOR) and start no cluster of their own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../cluster/index.js';
import { prepareOperatorIdentity } from '../tools/demo/real-cluster.js';
import { log } from './figures.js';

export type BenchCluster = 'sim' | 'real' | 'both';

export function benchCluster(): BenchCluster {
  const v = process.env['BENCH_CLUSTER'] ?? 'sim';
  if (v === 'sim' || v === 'real' || v === 'both') return v;
  throw new Error(`BENCH_CLUSTER=${v}: expected sim, real or both`);
}

export interface RealCluster {
  /** system:masters: setup, watches for the timestamps, /metrics. */
  adminKubeconfig: string;
  /** The operator's ServiceAccount (TokenRequest token), what the operator runs with. */
  operatorKubeconfig: string;
  stop(): Promise<void>;
}

/** The cluster of a P4 child: the parent's, from the environment. */
export function realClusterFromEnv(): RealCluster | undefined {
  const admin = process.env['BENCH_REAL_ADMIN'];
  const operator = process.env['BENCH_REAL_OPERATOR'];
  if (!admin || !operator) return undefined;
  return { adminKubeconfig: admin, operatorKubeconfig: operator, stop: async () => {} };
}

/** kwok nodes take 110 pods each (cluster/bootstrap.ts); room for `pods` with some to spare. */
export const nodesFor = (pods: number): number => Math.max(1, Math.ceil((pods * 1.2) / 100));

export async function startRealCluster(nodes = 1): Promise<RealCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-bench-real-'));
  const existing = process.env['KUBESKIPPY_REAL_KUBECONFIG'];
  let admin = existing ?? '';
  let stopCluster = async (): Promise<void> => {};
  const t0 = Date.now();
  if (existing) log(`real cluster: using ${existing} (KUBESKIPPY_REAL_KUBECONFIG)`);
  else {
    const cluster = await startCluster({ port: 0, dataDir: join(dir, 'cluster'), allowBuild: false, nodes });
    admin = cluster.kubeconfig;
    stopCluster = () => cluster.stop();
    log(
      `real cluster: ${nodes} kwok node(s), started in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${cluster.server}`,
    );
  }
  try {
    const identity = await prepareOperatorIdentity(admin, dir);
    process.env['BENCH_REAL_ADMIN'] = admin;
    process.env['BENCH_REAL_OPERATOR'] = identity.kubeconfig;
    return {
      adminKubeconfig: admin,
      operatorKubeconfig: identity.kubeconfig,
      stop: async () => {
        await stopCluster();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopCluster();
    throw err;
  }
}
