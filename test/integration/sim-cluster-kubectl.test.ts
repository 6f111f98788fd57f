// The simulated cluster driven with the real kubectl over HTTP, as in the demo: apply the demo
// apps, delete, scale, roll out, garbage-collect, read PDB status.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim/index.js';
import { kubectlFor, kubectlJson, type Kubectl } from '../support/kubectl.js';
import { waitFor } from '../support/sim-fixtures.js';

let sim: SimHandle;
let dir: string;
let kubectl: Kubectl;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sim-kubectl-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  sim = await startSim({ port: 0, timeScale: 0.02, kubeconfigOut: kubeconfig });
  kubectl = kubectlFor(kubeconfig);
  await kubectl('apply', '-f', path.resolve('demo/apps'));
});
afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface PodList {
  items: {
    metadata: { name: string; uid: string; labels: Record<string, string> };
    status: { phase: string };
  }[];
}
const podsOf = async (app: string): Promise<PodList['items']> =>
  (await kubectlJson<PodList>(kubectl, 'get', 'pods', '-n', 'demo-apps', '-l', `app=${app}`)).items;

describe('the demo apps under kubectl', () => {
  it('come up: every deployment has its pods Running, the steady ones roll out completely', async () => {
    // flaky-web-app flips readiness on purpose, so its rollout may not look complete at any instant.
    for (const app of ['memory-leak-app', 'cpu-spike-app', 'critical-app']) {
      await kubectl('rollout', 'status', `deployment/${app}`, '-n', 'demo-apps', '--timeout=20s');
    }
    const expected = {
      'memory-leak-app': 2,
      'crashloop-app': 3,
      'cpu-spike-app': 2,
      'flaky-web-app': 3,
      'critical-app': 1,
    };
    for (const [app, replicas] of Object.entries(expected)) {
      await waitFor(
        async () => (await podsOf(app)).filter((p) => p.status.phase === 'Running').length === replicas,
        `${app} running`,
      );
    }
    expect(await kubectl('get', 'nodes')).toMatch(/sim-node-1\s+Ready/);
  });

  it('brings a deleted pod back as a new one', async () => {
    const [victim] = await podsOf('cpu-spike-app');
    await kubectl('delete', 'pod', victim!.metadata.name, '-n', 'demo-apps');
    const pods = await waitFor(async () => {
      const now = await podsOf('cpu-spike-app');
      return (
        now.length === 2 &&
        now.every((p) => p.metadata.uid !== victim!.metadata.uid && p.status.phase === 'Running') &&
        now
      );
    }, 'replacement running');
    expect(pods.map((p) => p.metadata.name)).not.toContain(victim!.metadata.name);
  });

  it('scales with kubectl scale', async () => {
    const running = async (): Promise<number> =>
      (await podsOf('flaky-web-app')).filter((p) => p.status.phase === 'Running').length;
    await kubectl('scale', 'deployment/flaky-web-app', '-n', 'demo-apps', '--replicas=5');
    await waitFor(async () => (await running()) === 5, 'scaled to 5');
    await kubectl('scale', 'deployment/flaky-web-app', '-n', 'demo-apps', '--replicas=2');
    await waitFor(async () => (await podsOf('flaky-web-app')).length === 2, 'scaled to 2');
  });

  it('rolls every pod to a new ReplicaSet on kubectl rollout restart', async () => {
    const before = await podsOf('critical-app');
    await kubectl('rollout', 'restart', 'deployment/critical-app', '-n', 'demo-apps');
    await kubectl('rollout', 'status', 'deployment/critical-app', '-n', 'demo-apps', '--timeout=20s');
    const after = await waitFor(async () => {
      const pods = await podsOf('critical-app');
      return pods.length === 1 && pods;
    }, 'the old pod gone after the restart');
    const hashes = new Set(after.map((p) => p.metadata.labels['pod-template-hash']));
    expect(hashes.size).toBe(1);
    expect(hashes.has(before[0]!.metadata.labels['pod-template-hash']!)).toBe(false);
    const history = await kubectl('rollout', 'history', 'deployment/critical-app', '-n', 'demo-apps');
    expect(history).toMatch(/^2\s/m);
  });

  it('reports PDB status the eviction endpoint relies on', async () => {
    const pdb = await waitFor(async () => {
      const got = await kubectlJson(kubectl, 'get', 'pdb', 'memory-leak-app', '-n', 'demo-apps');
      return got.status?.expectedPods === 2 && got;
    }, 'PDB status');
    expect(pdb.status).toMatchObject({ desiredHealthy: 1, expectedPods: 2 });
    expect(pdb.status.disruptionsAllowed).toBe(Math.max(0, pdb.status.currentHealthy - 1));
  });

  it('garbage-collects ReplicaSets and pods when the Deployment is deleted', async () => {
    await kubectl('delete', 'deployment', 'cpu-spike-app', '-n', 'demo-apps');
    await waitFor(async () => (await podsOf('cpu-spike-app')).length === 0, 'pods gone');
    const sets = await kubectlJson(
      kubectl,
      'get',
      'replicasets',
      '-n',
      'demo-apps',
      '-l',
      'app=cpu-spike-app',
    );
    expect(sets.items).toEqual([]);
  });
});
