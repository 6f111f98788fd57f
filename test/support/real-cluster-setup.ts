// vitest globalSetup of the real tier: one real control plane (`startCluster`) for all of
// test/real, with the operator's identity installed (CRDs, Namespace, ServiceAccount, RBAC from
// deploy/operator) and a kubeconfig of that ServiceAccount. Tests reach them through
// inject('realKubeconfig') / inject('realOperatorKubeconfig'). KUBESKIPPY_REAL_KUBECONFIG set to an
// admin kubeconfig means "use that cluster" (e.g. one `kubeskippy cluster` already runs).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../cluster/index.js';
import { prepareOperatorIdentity } from '../../tools/demo/real-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    realKubeconfig: string;
    realOperatorKubeconfig: string;
    /** The components' log files ('' for a cluster we did not start). */
    realClusterLogDir: string;
  }
}

const log = (msg: string): void => void process.stderr.write(`[cluster] ${msg}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-real-'));
  const existing = process.env.KUBESKIPPY_REAL_KUBECONFIG;
  let stop = async (): Promise<void> => {};
  let admin = existing ?? '';
  if (existing) {
    log(`using the existing cluster of ${existing} (KUBESKIPPY_REAL_KUBECONFIG)`);
    project.provide('realClusterLogDir', '');
  } else {
    const started = Date.now();
    // No build here: `npm test` runs `npm run tools:cluster` first, where a cold build shows its
    // progress as a step of its own; a test that found no binaries says to run it.
    const cluster = await startCluster({
      port: 0,
      dataDir: path.join(dir, 'cluster'),
      allowBuild: false,
      log,
    });
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${cluster.server}`);
    admin = cluster.kubeconfig;
    project.provide('realClusterLogDir', cluster.logDir);
    stop = () => cluster.stop();
  }
  let identity;
  try {
    identity = await prepareOperatorIdentity(admin, dir);
  } catch (err) {
    // vitest runs no teardown when setup throws: stop the cluster here, or its seven processes
    // outlive the run (a CRD the server refuses fails exactly here).
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  project.provide('realKubeconfig', admin);
  project.provide('realOperatorKubeconfig', identity.kubeconfig);
  return async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
}
