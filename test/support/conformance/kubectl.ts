// The Kubernetes API driven by the real kubectl binary, as a person at a terminal would: one
// suite, run against the simulated cluster (test/integration/sim-api-kubectl.test.ts) and the
// real control plane (test/real/api-conformance-kubectl.test.ts).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeNode } from '../../../cluster/bootstrap.js';
import { KUBERNETES_VERSION } from '../../../cluster/versions.js';
import type { ApiTarget } from '../api-target.js';
import { podReady } from '../api-target.js';
import { HP_COLUMNS } from '../../fixtures/policy-examples.js';
import { pdb, waitFor } from '../sim-fixtures.js';
import { deployment, pod, widget, WIDGET_CRD } from './fixtures.js';

export const hasKubectl = ((): boolean => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const run = promisify(execFile);
/** kubectl 1.32 against a 1.36 server warns of the version skew; that is not what tests look at. */
const withoutSkewWarning = (err: string): string =>
  err
    .split('\n')
    .filter((l) => !/^WARNING: version difference between client/.test(l))
    .join('\n');

export function kubectlSuite(start: () => Promise<ApiTarget>): void {
  let t: ApiTarget;
  let dir: string;
  let ns: string;
  let group: string;

  /** Runs kubectl in the file's namespace; a failure resolves with its stderr so tests can assert on error messages. */
  async function kubectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    try {
      const { stdout, stderr } = await run(
        'kubectl',
        ['--kubeconfig', t.kubeconfig, '--cache-dir', join(dir, 'cache'), '--namespace', ns, ...args],
        { timeout: 60_000 },
      );
      return { code: 0, out: stdout, err: withoutSkewWarning(stderr) };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: x.code ?? 1, out: x.stdout ?? '', err: withoutSkewWarning(x.stderr ?? '') };
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
  const writeManifest = async (file: string, objects: object[]): Promise<string> => {
    await writeFile(join(dir, file), objects.map((o) => stringify(o)).join('---\n'));
    return join(dir, file);
  };

  beforeAll(async () => {
    t = await start();
    ns = t.namespace;
    group = `k${t.unique}.example.com`;
    dir = await mkdtemp(join(tmpdir(), 'conf-kubectl-'));
    await writeManifest('app.yaml', [WIDGET_CRD(group), deployment('web', 2, ns)]);
    await writeManifest('widget.yaml', [widget('big', { size: 7, colour: 'blue' }, ns, group)]);
    await writeManifest('bad-widget.yaml', [widget('bad', { size: 0 }, ns, group)]);
  });
  afterAll(async () => {
    if (t) {
      await kubectl('delete', 'crd', `widgets.${group}`, '--ignore-not-found', '--wait=false');
      await kubectl('delete', 'namespace', `proto-${t.unique}`, '--ignore-not-found', '--wait=false');
      await kubectl('delete', 'node', `drain-${t.unique}`, '--ignore-not-found', '--wait=false');
      await t.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the server version and serves metrics through --raw and top', async () => {
    const version = JSON.parse(await ok('get', '--raw', '/version'));
    // The sim says it is 1.32 (the kubectl it is tested with); the real server is the pinned one.
    const minor = t.sim ? '32' : KUBERNETES_VERSION.split('.')[1];
    expect(version).toMatchObject({ major: '1', minor });
    await k8s.KubernetesObjectApi.makeApiClient(t.kc).create(
      pod('busy', { namespace: ns, labels: { app: 'busy' }, nodeName: t.node }) as k8s.KubernetesObject,
    );
    await podReady(t, ns, 'busy');
    const raw = await waitFor(
      async () => {
        const r = await kubectl('get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/busy`);
        return r.code === 0 && JSON.parse(r.out);
      },
      'metrics of the busy pod',
      90_000,
      1000,
    );
    expect(raw.containers[0].usage).toEqual({
      // Canonical quantities (nanocores "24999016n" or "250m"; "64Mi" or "51234Ki").
      cpu: expect.stringMatching(/^\d+[num]?$/),
      memory: expect.stringMatching(/^\d+(Ki|Mi|Gi)?$/),
    });
    const top = await ok('top', 'pod', 'busy');
    expect(top).toMatch(/busy\s+\d+m\s+\d+Mi/);
  });

  it('applies a manifest with a CRD and a Deployment, then a custom resource of the new kind', async () => {
    const out = await ok('apply', '-f', join(dir, 'app.yaml'));
    expect(out).toContain(`customresourcedefinition.apiextensions.k8s.io/widgets.${group} created`);
    expect(out).toContain('deployment.apps/web created');
    // The real server serves a new kind once the CRD is Established (the sim at once).
    await ok('wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=30s');
    const widgetOut = await waitFor(async () => {
      const r = await kubectl('apply', '-f', join(dir, 'widget.yaml'));
      return r.code === 0 && r.out;
    }, 'the Widget kind to be served');
    expect(widgetOut).toContain(`widget.${group}/big created`);
    const d = JSON.parse(await ok('get', 'deployment', 'web', '-o', 'json'));
    expect(d.spec.replicas).toBe(2);
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
    // A second apply with a change goes through kubectl's three-way strategic merge.
    const web = deployment('web', 3, ns);
    await writeManifest('app.yaml', [WIDGET_CRD(group), web]);
    expect(await ok('apply', '-f', join(dir, 'app.yaml'))).toContain('deployment.apps/web configured');
    expect(JSON.parse(await ok('get', 'deploy', 'web', '-o', 'json')).spec.replicas).toBe(3);
  });

  it('shows the CRD printer columns and the built-in pod columns', async () => {
    const widgets = await ok('get', `widgets.${group}`);
    expect(header(widgets)).toEqual(['NAME', 'SIZE', 'COLOUR', 'PHASE', 'AGE']);
    // A missing value prints as blank, as for real CRDs before their status is set.
    expect(widgets).toMatch(/big\s+7\s+blue\s+\d+s/);
    expect(header(await ok('get', 'pods'))).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(header(await ok('get', 'wd'))[0]).toBe('NAME');
  });

  it("installs KubeSkippy's own CRDs and shows their columns and field docs, as users will see them", async () => {
    const crds = join(import.meta.dirname, '..', '..', '..', 'deploy', 'crds');
    // The real tier's cluster already has them (its global setup installs the operator).
    expect(await ok('apply', '-f', crds)).toMatch(
      t.sim
        ? /customresourcedefinition\.apiextensions\.k8s\.io\/healingactions\.kubeskippy\.io created/
        : /customresourcedefinition\.apiextensions\.k8s\.io\/healingactions\.kubeskippy\.io (created|configured|unchanged)/,
    );
    const action = {
      apiVersion: 'kubeskippy.io/v1alpha1',
      kind: 'HealingAction',
      metadata: { name: 'restart-web-1', namespace: ns },
      spec: {
        policyRef: { name: 'memory-leak', namespace: ns },
        targetResource: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: ns },
        action: { name: 'evict', type: 'restart' },
        cluster: 'prod-eu',
      },
    };
    expect(await ok('apply', '-f', await writeManifest('ha.yaml', [action]))).toContain(
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
    // Reason and Cluster are priority-1 columns: only with -o wide.
    const wide = await ok('get', 'ha', '-o', 'wide');
    expect(header(wide)).toEqual([
      'NAME',
      'POLICY',
      'KIND',
      'TARGET',
      'ACTION',
      'PHASE',
      'REASON',
      'CLUSTER',
      'AGE',
    ]);
    expect(wide).toMatch(
      /restart-web-1\s+memory-leak\s+Pod\s+web-1\s+restart\s+Succeeded\s+Healed\s+prod-eu\s+\d+s/,
    );
    const policy = {
      apiVersion: 'kubeskippy.io/v1alpha1',
      kind: 'HealingPolicy',
      metadata: { name: 'memory-leak', namespace: ns },
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
    await ok('apply', '-f', await writeManifest('hp.yaml', [policy]));
    // Schema defaults are applied by the server.
    expect(await ok('get', 'hp', 'memory-leak', '-o', 'jsonpath={.spec.mode}')).toBe('monitor');
    // The MODE column is the mode in effect, which the operator writes to status (here by hand).
    expect(header(await ok('get', 'hp'))).toEqual(HP_COLUMNS);
    await ok(
      'patch',
      'hp',
      'memory-leak',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"mode":"dryrun"}}',
    );
    expect(await ok('get', 'hp')).toMatch(/memory-leak\s+dryrun\s+/);
    const explained = await ok('explain', 'healingpolicy.spec.verification.stabilityPeriod');
    expect(explained).toMatch(/must stay healed/);
    await ok('delete', 'hp', 'memory-leak');
  });

  it('rejects an invalid custom resource with the field named', async () => {
    const r = await kubectl('apply', '-f', join(dir, 'bad-widget.yaml'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
    );
  });

  it('refuses unknown fields by default and, with --validate=warn, warns and prunes them', async () => {
    await writeManifest('odd-widget.yaml', [
      widget('odd', { size: 2, colour: 'red', shade: 'dark' }, ns, group),
    ]);
    const strict = await kubectl('apply', '-f', join(dir, 'odd-widget.yaml'));
    expect(strict.code).not.toBe(0);
    expect(strict.err).toContain('strict decoding error: unknown field "spec.shade"');
    const warned = await kubectl('apply', '--validate=warn', '-f', join(dir, 'odd-widget.yaml'));
    expect(warned.code, warned.err).toBe(0);
    expect(warned.err).toContain('Warning: unknown field "spec.shade"');
    const stored = JSON.parse(await ok('get', `widgets.${group}`, 'odd', '-o', 'json'));
    expect(stored.spec).toEqual({ size: 2, colour: 'red' });
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
    const out = await ok('explain', `widgets.${group}.spec.size`);
    expect(out).toContain('KIND:       Widget');
    expect(out).toContain('How big the widget is.');
  });

  it('creates a namespace, a configmap and a deployment with kubectl create (protobuf bodies)', async () => {
    const proto = `proto-${t.unique}`;
    expect(await ok('create', 'namespace', proto)).toContain(`namespace/${proto} created`);
    await ok('create', 'configmap', 'cfg', '-n', proto, '--from-literal=a=b');
    expect(JSON.parse(await ok('get', 'configmap', 'cfg', '-n', proto, '-o', 'json')).data).toEqual({
      a: 'b',
    });
    const r = await kubectl('create', 'deployment', 'd', '--image=nginx:1.27');
    // The sim decodes protobuf only for a few kinds (docs/sim.md); the real server for all.
    if (t.sim) expect(r.err).toContain('decodes protobuf only for');
    else expect(r.out).toContain('deployment.apps/d created');
  });

  it('drains a node through the eviction API, blocked by a PodDisruptionBudget without disruptions', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(t.kc);
    // A node of this file's own (kwok runs its pods on the real cluster; the sim's kubelet too).
    const node = `drain-${t.unique}`;
    await objects.create(fakeNode(node));
    for (const name of ['kept', 'evicted'])
      await objects.create(
        pod(name, { namespace: ns, labels: { app: name }, nodeName: node }) as k8s.KubernetesObject,
      );
    for (const name of ['kept', 'evicted']) await podReady(t, ns, name);
    await objects.create(pdb('keep', { app: 'kept' }, { minAvailable: 1 }, ns) as k8s.KubernetesObject);
    const policy = t.kc.makeApiClient(k8s.PolicyV1Api);
    await waitFor(async () => {
      const p = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'keep' });
      return p.status?.observedGeneration === p.metadata?.generation && p.status?.disruptionsAllowed === 0;
    }, 'the disruption controller to count the budget');
    const r = await kubectl(
      'drain',
      node,
      '--force',
      '--timeout=2s',
      '--pod-selector',
      'app in (kept,evicted)',
    );
    expect(r.err).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    const core = t.kc.makeApiClient(k8s.CoreV1Api);
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBe(true);
    const read = (name: string) =>
      core.readNamespacedPod({ namespace: ns, name }).catch((e: unknown) => {
        if (e instanceof k8s.ApiException && e.code === 404) return undefined;
        throw e;
      });
    // Evicted: terminating, or already gone (kwok removes terminating pods quickly).
    const evicted = await read('evicted');
    expect(!evicted || Boolean(evicted.metadata?.deletionTimestamp)).toBe(true);
    expect((await read('kept'))?.metadata?.deletionTimestamp).toBeUndefined();
  });

  it('deletes a Deployment and a custom resource', async () => {
    expect(await ok('delete', 'deployment', 'web')).toContain('deployment.apps "web" deleted');
    expect(await ok('delete', `widgets.${group}`, 'big')).toContain(`widget.${group} "big" deleted`);
    const r = await kubectl('get', 'deployment', 'web');
    expect(r.err).toContain('deployments.apps "web" not found');
  });
}
