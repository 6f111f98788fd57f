// The simulated cluster driven by the real kubectl binary, as a person at a terminal would: the
// API conformance suite (also run on the real control plane by
// test/real/api-conformance-kubectl.test.ts), plus what only the sim has.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { simTarget } from '../support/api-target.js';
import { hasKubectl, kubectlSuite } from '../support/conformance/kubectl.js';
import { pod } from '../support/conformance/fixtures.js';
import { kubectlFor } from '../support/kubectl.js';

describe.skipIf(!hasKubectl)('kubectl against the simulated cluster', () => kubectlSuite(simTarget));

describe.skipIf(!hasKubectl)('sim only: kubectl top from a MetricsSource', () => {
  let api: ApiServerHandle;
  let dir: string;
  beforeAll(async () => {
    api = await startApiServer();
    dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
    await api.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await api?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves exactly what the source says through --raw and top', async () => {
    const kubectl = kubectlFor(join(dir, 'kubeconfig'));
    const kc = new k8s.KubeConfig();
    kc.loadFromString(api.kubeconfigYaml());
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedPod({ namespace: 'default', body: pod('busy') as k8s.V1Pod });
    api.setMetricsSource({
      podUsage: () => [{ name: 'app', cpuMillicores: 120, memoryBytes: 50 * 1024 * 1024 }],
      nodeUsage: () => undefined,
    });
    const raw = JSON.parse(
      await kubectl('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy'),
    );
    expect(raw.containers[0].usage).toEqual({ cpu: '120m', memory: '50Mi' });
    expect(await kubectl('top', 'pod', 'busy')).toMatch(/busy\s+120m\s+50Mi/);
  });
});
