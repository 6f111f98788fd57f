// The simulated API server driven by the real kubectl binary, as a person at a terminal would.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { deployment, widget, WIDGET_CRD } from './sim-api-fixtures.js';

const hasKubectl = ((): boolean => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let api: ApiServerHandle;
let dir: string;
const run = promisify(execFile);

/** Runs kubectl; a failure resolves with its stderr so tests can assert on error messages. */
async function kubectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(
      'kubectl',
      ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
      { timeout: 30_000 },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}
const ok = async (...args: string[]): Promise<string> => {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.err}`);
  return r.out;
};
const header = (table: string): string[] =>
  table
    .split('\n')[0]!
    .trim()
    .split(/\s{2,}/);

describe.skipIf(!hasKubectl)('kubectl against the simulated API server', () => {
  beforeAll(async () => {
    api = await startApiServer();
    dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
    await api.writeKubeconfig(join(dir, 'kubeconfig'));
    const manifest = [WIDGET_CRD(), deployment('web')].map((o) => stringify(o)).join('---\n');
    await writeFile(join(dir, 'app.yaml'), manifest);
    await writeFile(join(dir, 'widget.yaml'), stringify(widget('big', { size: 7, colour: 'blue' })));
    await writeFile(join(dir, 'bad-widget.yaml'), stringify(widget('bad', { size: 0 })));
  });
  afterAll(async () => {
    await api?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the server version and serves metrics through --raw and top', async () => {
    expect(JSON.parse(await ok('get', '--raw', '/version'))).toMatchObject({ major: '1', minor: '32' });
    api.store.create('core/v1/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'busy', namespace: 'default' },
      spec: { containers: [{ name: 'app', image: 'x:1' }] },
    });
    api.setMetricsSource({
      podUsage: () => [{ name: 'app', cpuMillicores: 120, memoryBytes: 50 * 1024 * 1024 }],
      nodeUsage: () => undefined,
    });
    const raw = JSON.parse(
      await ok('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy'),
    );
    expect(raw.containers[0].usage).toEqual({ cpu: '120000000n', memory: '51200Ki' });
    const top = await ok('top', 'pod', 'busy');
    expect(top).toMatch(/busy\s+120m\s+50Mi/);
  });

  it('applies a manifest with a CRD and a Deployment, then a custom resource of the new kind', async () => {
    const out = await ok('apply', '-f', join(dir, 'app.yaml'));
    expect(out).toContain('customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
    expect(out).toContain('deployment.apps/web created');
    expect(await ok('apply', '-f', join(dir, 'widget.yaml'))).toContain('widget.example.com/big created');
    const d = JSON.parse(await ok('get', 'deployment', 'web', '-o', 'json'));
    expect(d.spec.replicas).toBe(2);
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
    // A second apply with a change goes through kubectl's three-way strategic merge.
    await writeFile(
      join(dir, 'app.yaml'),
      [WIDGET_CRD(), { ...deployment('web'), spec: { ...deployment('web').spec, replicas: 3 } }]
        .map((o) => stringify(o))
        .join('---\n'),
    );
    expect(await ok('apply', '-f', join(dir, 'app.yaml'))).toContain('deployment.apps/web configured');
    expect(JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json')).spec.replicas).toBe(3);
  });

  it('shows the CRD printer columns and the built-in pod columns', async () => {
    const widgets = await ok('get', 'widgets');
    expect(header(widgets)).toEqual(['NAME', 'SIZE', 'COLOUR', 'PHASE', 'AGE']);
    // A missing value prints as blank, as for real CRDs before their status is set.
    expect(widgets).toMatch(/big\s+7\s+blue\s+\d+s/);
    expect(header(await ok('get', 'pods'))).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(header(await ok('get', 'wd'))[0]).toBe('NAME');
  });

  it("installs KubeSkippy's own CRDs and shows their columns and field docs, as users will see them", async () => {
    const crds = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
    expect(await ok('apply', '-f', crds)).toContain(
      'customresourcedefinition.apiextensions.k8s.io/healingactions.kubeskippy.io created',
    );
    const action = {
      apiVersion: 'kubeskippy.io/v1alpha1',
      kind: 'HealingAction',
      metadata: { name: 'restart-web-1', namespace: 'default' },
      spec: {
        policyRef: { name: 'memory-leak', namespace: 'default' },
        targetResource: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'default' },
        action: { name: 'evict', type: 'restart' },
      },
    };
    await writeFile(join(dir, 'ha.yaml'), stringify(action));
    expect(await ok('apply', '-f', join(dir, 'ha.yaml'))).toContain(
      'healingaction.kubeskippy.io/restart-web-1 created',
    );
    await ok(
      'patch',
      'ha',
      'restart-web-1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Succeeded","reason":"Healed"}}',
    );
    const table = await ok('get', 'healingactions');
    expect(header(table)).toEqual(['NAME', 'POLICY', 'KIND', 'TARGET', 'ACTION', 'PHASE', 'AGE']);
    expect(table).toMatch(/restart-web-1\s+memory-leak\s+Pod\s+web-1\s+restart\s+Succeeded\s+\d+s/);
    // Reason is a priority-1 column: only with -o wide.
    const wide = await ok('get', 'ha', '-o', 'wide');
    expect(header(wide)).toEqual(['NAME', 'POLICY', 'KIND', 'TARGET', 'ACTION', 'PHASE', 'REASON', 'AGE']);
    expect(wide).toMatch(/restart-web-1\s+memory-leak\s+Pod\s+web-1\s+restart\s+Succeeded\s+Healed\s+\d+s/);
    const policy = {
      apiVersion: 'kubeskippy.io/v1alpha1',
      kind: 'HealingPolicy',
      metadata: { name: 'memory-leak', namespace: 'default' },
      spec: {
        selector: { labelSelector: { matchLabels: { app: 'web' } } },
        triggers: [
          {
            name: 'memory',
            type: 'metric',
            metricTrigger: { query: 'memory_usage_percent', operator: '>', threshold: 85 },
          },
        ],
        actions: [{ name: 'evict', type: 'restart' }],
      },
    };
    await writeFile(join(dir, 'hp.yaml'), stringify(policy));
    await ok('apply', '-f', join(dir, 'hp.yaml'));
    // Schema defaults are applied by the server: the mode column says monitor.
    expect(header(await ok('get', 'hp'))).toEqual(['NAME', 'MODE', 'READY', 'ACTIONS', 'LAST ACTION', 'AGE']);
    expect(await ok('get', 'hp')).toMatch(/memory-leak\s+monitor\s+/);
    const explained = await ok('explain', 'healingpolicy.spec.verification.stabilityPeriod');
    expect(explained).toMatch(/must stay healed/);
  });

  it('rejects an invalid custom resource with the field named', async () => {
    const r = await kubectl('apply', '-f', join(dir, 'bad-widget.yaml'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
    );
  });

  it('describes, scales and patches a Deployment with every patch type', async () => {
    expect(await ok('describe', 'deployment', 'web')).toMatch(/Replicas:\s+3 desired/);
    await ok('scale', 'deployment', 'web', '--replicas=5');
    expect(JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json')).spec.replicas).toBe(5);
    await ok('patch', 'deployment', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"team":"a"}}}');
    await ok(
      'patch',
      'deployment',
      'web',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":1}]',
    );
    await ok(
      'patch',
      'deployment',
      'web',
      '--type',
      'strategic',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"20"}]}]}}}}',
    );
    const d = JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json'));
    expect(d.metadata.labels).toEqual({ team: 'a' });
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app', 'sidecar']);
    expect(d.spec.template.spec.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '20' },
    ]);
  });

  it('explains a custom resource field from its openAPIV3Schema', async () => {
    const out = await ok('explain', 'widgets.spec.size');
    expect(out).toContain('KIND:       Widget');
    expect(out).toContain('How big the widget is.');
  });

  it('decodes the protobuf bodies of kubectl create namespace/configmap', async () => {
    expect(await ok('create', 'namespace', 'proto')).toContain('namespace/proto created');
    await ok('create', 'configmap', 'cfg', '-n', 'proto', '--from-literal=a=b');
    expect(JSON.parse(await ok('get', 'configmap', 'cfg', '-n', 'proto', '-o', 'json')).data).toEqual({
      a: 'b',
    });
    const r = await kubectl('create', 'deployment', 'd', '--image=nginx:1.27');
    expect(r.err).toContain('decodes protobuf only for');
  });

  it('drains a node through the eviction API, blocked by a PodDisruptionBudget without disruptions', async () => {
    const { store } = api;
    store.create('core/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
    const spec = { nodeName: 'node-1', containers: [{ name: 'app', image: 'x:1' }] };
    for (const name of ['kept', 'evicted']) {
      store.create('core/v1/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'proto', labels: { app: name } },
        spec,
      });
      store.mutate('core/v1/pods', 'proto', name, (p) => void (p.status = { phase: 'Running' }), {
        subresource: 'status',
      });
    }
    store.create('policy/v1/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'keep', namespace: 'proto' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'kept' } } },
    });
    store.mutate(
      'policy/v1/poddisruptionbudgets',
      'proto',
      'keep',
      (p) => void (p.status = { observedGeneration: 1, disruptionsAllowed: 0 }),
      { subresource: 'status' },
    );
    const r = await kubectl('drain', 'node-1', '--force', '--timeout=2s');
    expect(r.err).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(store.get('core/v1/nodes', undefined, 'node-1')?.spec.unschedulable).toBe(true);
    expect(store.get('core/v1/pods', 'proto', 'evicted')?.metadata.deletionTimestamp).toBeDefined();
    expect(store.get('core/v1/pods', 'proto', 'kept')?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('deletes a Deployment and a custom resource', async () => {
    expect(await ok('delete', 'deployment', 'web')).toContain('deployment.apps "web" deleted');
    expect(await ok('delete', 'widget', 'big')).toContain('widget.example.com "big" deleted');
    const r = await kubectl('get', 'deployment', 'web');
    expect(r.err).toContain('deployments.apps "web" not found');
  });
});
