// deploy/helm/kubeskippy installed into the real control plane with the real helm, as a user would:
// `helm install --dry-run=server` (rendered against the cluster's discovery, nothing created), then
// a real install into a namespace of its own, with every object read back from the API server and
// the kill switch's admission policy denying this release's ServiceAccount while suspended; then
// `helm uninstall`, which removes it all but the CRDs (helm never deletes a chart's CRDs).
// The release name contains "kubeskippy", so its objects are <release>-operator and so on: no clash
// with the kubeskippy-operator identity the tier's setup installed.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import { httpStatus, statusBody } from '../../activities/kube/errors.js';
import { writeServiceAccountKubeconfig } from '../../cluster/index.js';
import { eventually } from '../support/engine-harness.js';
import { CHART, find, helm, kinds, parseObjects, renderChart, type Obj } from '../support/helm.js';
import { realKubeconfig } from './kubeconfig.js';

const suffix = randomUUID().slice(0, 6);
const release = `kubeskippy-h${suffix}`;
const namespace = `ks-helm-${suffix}`;
const CONFIG = { group: 'kubeskippy.io', version: 'v1alpha1', plural: 'kubeskippyconfigs', name: 'cluster' };
const CRDS = ['healingactions', 'healingpolicies', 'kubeskippyconfigs'].map((p) => `${p}.kubeskippy.io`);

let admin: Kube;
let kubeconfig: string;
let dir: string;

beforeAll(async () => {
  kubeconfig = realKubeconfig();
  admin = createKube(loadKubeConfig(kubeconfig));
  dir = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-helm-'));
  await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await helm('uninstall', release, '-n', namespace, '--kubeconfig', kubeconfig).catch(() => undefined);
  await admin?.custom.deleteClusterCustomObject(CONFIG).catch(() => undefined);
  await admin?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const onCluster = (...args: string[]): string[] => [...args, '-n', namespace, '--kubeconfig', kubeconfig];

/** The API server's answer for one object: 'found', or the HTTP status of the refusal. */
async function lookup(apiVersion: string, kind: string, name: string, ns?: string): Promise<string> {
  try {
    await admin.objects.read({ apiVersion, kind, metadata: { name, ...(ns ? { namespace: ns } : {}) } });
    return 'found';
  } catch (err) {
    return String(httpStatus(err));
  }
}

async function read(apiVersion: string, kind: string, name: string, ns?: string): Promise<Obj> {
  const metadata = { name, ...(ns ? { namespace: ns } : {}) };
  return (await admin.objects.read({ apiVersion, kind, metadata })) as Obj;
}

const VAP_V1 = 'admissionregistration.k8s.io/v1';

/** Creates or updates the KubeSkippyConfig `cluster`, the kill switch's param. */
async function suspend(spec: { suspended: boolean; reason?: string }): Promise<void> {
  const exists = await admin.custom.getClusterCustomObject(CONFIG).then(
    () => true,
    () => false,
  );
  if (exists)
    await admin.custom.patchClusterCustomObject(
      { ...CONFIG, body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  else
    await admin.custom.createClusterCustomObject({
      ...CONFIG,
      body: {
        apiVersion: 'kubeskippy.io/v1alpha1',
        kind: 'KubeSkippyConfig',
        metadata: { name: 'cluster' },
        spec,
      },
    });
}

describe('the Helm chart on the real API server', () => {
  it('`helm install --dry-run=server` renders against the cluster and creates nothing', async () => {
    const run = await helm(...onCluster('install', release, CHART, '--dry-run=server', '-o', 'json'));
    expect(run.code, run.stderr).toBe(0);
    const rendered = JSON.parse(run.stdout) as { manifest: string; info: { status: string } };
    expect(rendered.info.status).toBe('pending-install');
    // auto: this API server serves ValidatingAdmissionPolicy, and no Prometheus Operator.
    expect(kinds(parseObjects(rendered.manifest))).toEqual(
      [
        `ClusterRole/${release}-operator`,
        `ClusterRoleBinding/${release}-operator`,
        `ConfigMap/${release}-config`,
        `Deployment/${release}-operator`,
        `PodDisruptionBudget/${release}-operator`,
        `Role/${release}-leader-election`,
        `RoleBinding/${release}-leader-election`,
        `Service/${release}-metrics`,
        `ServiceAccount/${release}-operator`,
        `ValidatingAdmissionPolicy/${release}-kill-switch`,
        `ValidatingAdmissionPolicyBinding/${release}-kill-switch`,
      ].sort(),
    );
    expect(await lookup('apps/v1', 'Deployment', `${release}-operator`, namespace)).toBe('404');
    expect(await lookup('rbac.authorization.k8s.io/v1', 'ClusterRole', `${release}-operator`)).toBe('404');

    const refused = await helm(
      ...onCluster(
        'install',
        release,
        CHART,
        '--dry-run=server',
        '--set-json',
        'replicaCount=2',
        '--set',
        'leaderElection.enabled=false',
      ),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("at '/replicaCount': maximum: got 2, want 1");
  });

  it('`helm install` creates every object, bound to its ServiceAccount', { timeout: 120_000 }, async () => {
    const run = await helm(...onCluster('install', release, CHART, '-o', 'json'));
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { info: { status: string } }).info.status).toBe('deployed');

    const sa = `${release}-operator`;
    const deployment = await read('apps/v1', 'Deployment', `${release}-operator`, namespace);
    expect(deployment.spec).toMatchObject({ replicas: 2, strategy: { type: 'RollingUpdate' } });
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['operator', '--leader-elect']);
    const leaseRole = await read(
      'rbac.authorization.k8s.io/v1',
      'Role',
      `${release}-leader-election`,
      namespace,
    );
    expect(leaseRole.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    expect(await lookup('policy/v1', 'PodDisruptionBudget', `${release}-operator`, namespace)).toBe('found');
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa);
    expect(await lookup('v1', 'ServiceAccount', sa, namespace)).toBe('found');
    expect(await lookup('v1', 'ConfigMap', `${release}-config`, namespace)).toBe('found');
    expect(await lookup('v1', 'Service', `${release}-metrics`, namespace)).toBe('found');
    const role = await read('rbac.authorization.k8s.io/v1', 'ClusterRole', `${release}-operator`);
    const expectedRules = find(await renderChart({ release, namespace }), 'ClusterRole')!.rules as Obj[];
    expect(role.rules).toEqual(expectedRules);
    const binding = await read('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', `${release}-operator`);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace }]);
    for (const name of CRDS) {
      const crd = await read('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name);
      const established = (crd.status?.conditions as Obj[] | undefined)?.find(
        (c) => c.type === 'Established',
      );
      expect(established?.status, `${name} established`).toBe('True');
    }
    expect(await lookup(VAP_V1, 'ValidatingAdmissionPolicy', `${release}-kill-switch`)).toBe('found');
    expect(await lookup(VAP_V1, 'ValidatingAdmissionPolicyBinding', `${release}-kill-switch`)).toBe('found');
    const list = await helm(...onCluster('list', '-o', 'json'));
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: release, status: 'deployed' })]);
  });

  it(
    'the installed kill switch denies this release’s ServiceAccount while suspended',
    { timeout: 120_000 },
    async () => {
      const operator = createKube(
        loadKubeConfig(
          await writeServiceAccountKubeconfig({
            adminKubeconfig: kubeconfig,
            namespace,
            name: `${release}-operator`,
            out: path.join(dir, 'operator.kubeconfig'),
          }),
        ),
      );
      await admin.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'probe' },
          spec: { containers: [{ name: 'c', image: 'registry.example/p:1' }] },
        },
      });
      const deleteProbe = async (): Promise<string> => {
        try {
          await operator.core.deleteNamespacedPod({ namespace, name: 'probe', dryRun: 'All' });
          return 'allowed';
        } catch (err) {
          return `${httpStatus(err)}: ${statusBody(err).message ?? (err as Error).message}`;
        }
      };
      // The chart's ClusterRole lets the release's ServiceAccount delete pods...
      expect(await deleteProbe()).toBe('allowed');
      await suspend({ suspended: true, reason: 'helm test' });
      // ...until the switch is on: the API server loads the policy's param asynchronously.
      const denied = await eventually('the chart’s admission policy to deny', async () => {
        const said = await deleteProbe();
        return said.startsWith('403') ? said : undefined;
      });
      expect(denied).toContain(`ValidatingAdmissionPolicy '${release}-kill-switch'`);
      expect(denied).toContain(
        'KubeSkippy is suspended cluster-wide (KubeSkippyConfig cluster spec.suspended: helm test)',
      );
      await admin.custom.deleteClusterCustomObject(CONFIG);
      await eventually('the policy to allow again', async () => (await deleteProbe()) === 'allowed');
    },
  );

  it('`helm uninstall` removes what it installed and keeps the CRDs', { timeout: 120_000 }, async () => {
    const run = await helm(...onCluster('uninstall', release, '--wait'));
    expect(run.code, run.stderr).toBe(0);
    expect(await lookup('apps/v1', 'Deployment', `${release}-operator`, namespace)).toBe('404');
    expect(await lookup('v1', 'ServiceAccount', `${release}-operator`, namespace)).toBe('404');
    expect(await lookup('rbac.authorization.k8s.io/v1', 'ClusterRole', `${release}-operator`)).toBe('404');
    expect(await lookup('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', `${release}-operator`)).toBe(
      '404',
    );
    expect(await lookup(VAP_V1, 'ValidatingAdmissionPolicy', `${release}-kill-switch`)).toBe('404');
    expect(await lookup(VAP_V1, 'ValidatingAdmissionPolicyBinding', `${release}-kill-switch`)).toBe('404');
    expect(
      await lookup('rbac.authorization.k8s.io/v1', 'Role', `${release}-leader-election`, namespace),
    ).toBe('404');
    for (const name of CRDS)
      expect(await lookup('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name)).toBe('found');
  });
});
