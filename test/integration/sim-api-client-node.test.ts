// The simulated cluster driven through the real @kubernetes/client-node, as the operator uses it:
// the API conformance suite (also run on the real control plane by
// test/real/api-conformance-client-node.test.ts), plus what only the sim has.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { simTarget } from '../support/api-target.js';
import { clientNodeSuite } from '../support/conformance/client-node.js';
import { pod } from '../support/conformance/fixtures.js';

clientNodeSuite(simTarget);

describe('sim only: metrics.k8s.io from a MetricsSource', () => {
  let api: ApiServerHandle;
  beforeAll(async () => void (api = await startApiServer()));
  afterAll(async () => api?.stop());

  it('answers 503 without a metrics source and serves exactly what the source says with one', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(api.kubeconfigYaml());
    const metrics = new k8s.Metrics(kc);
    await expect(metrics.getPodMetrics('default')).rejects.toThrow();
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedPod({
      namespace: 'default',
      body: pod('measured', { labels: { app: 'measured' } }) as k8s.V1Pod,
    });
    api.setMetricsSource({
      podUsage: (_ns, name) =>
        name === 'measured'
          ? [{ name: 'app', cpuMillicores: 250, memoryBytes: 64 * 1024 * 1024 }]
          : undefined,
      nodeUsage: () => undefined,
    });
    const list = await metrics.getPodMetrics('default');
    expect(list.items.map((m) => [m.metadata.name, m.containers[0]?.usage])).toEqual([
      ['measured', { cpu: '250m', memory: '64Mi' }],
    ]);
    expect((await metrics.getNodeMetrics()).items).toEqual([]);
  });
});
