// The real control plane as a platform engineer checks a cluster before trusting it, and the
// operator's identity on it: a real v1.36 server with RBAC on, a Ready node, metrics, and a
// ServiceAccount that can do what healing needs and nothing more (no secrets, no nodes).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import https from 'node:https';
import { describe, expect, inject, it } from 'vitest';
import { loadKubeConfig } from '../../activities/kube/clients.js';
import { KUBERNETES_VERSION } from '../../cluster/versions.js';
import { eventually } from '../support/engine-harness.js';
import { kubectlFor, kubectlJson } from '../support/kubectl.js';
import { realKubeconfig } from './support.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const kubectl = kubectlFor(realKubeconfig());
const operator = 'system:serviceaccount:kubeskippy-system:kubeskippy-operator';

/** `kubectl auth can-i` answers "yes"/"no" and exits 1 for "no". */
async function canI(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('kubectl', [
      '--kubeconfig',
      realKubeconfig(),
      'auth',
      'can-i',
      ...args,
      `--as=${operator}`,
    ]);
    return stdout.trim();
  } catch (err) {
    return ((err as { stdout?: string }).stdout ?? '').trim() || (err as Error).message;
  }
}

describe('the real control plane', () => {
  it('is a real Kubernetes server of the pinned version', async () => {
    const version = await kubectlJson<{ serverVersion: { gitVersion: string } }>(kubectl, 'version');
    expect(version.serverVersion.gitVersion).toBe(KUBERNETES_VERSION);
  });

  it('has a Ready kwok node and answers kubectl top', { timeout: 120_000 }, async () => {
    const nodes = await kubectlJson<{
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    }>(kubectl, 'get', 'nodes');
    expect(nodes.items.length).toBeGreaterThan(0);
    for (const n of nodes.items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe('True');
    }
    // metrics-server lists a node once pods run on it (kwok sums their usage), so run one.
    const ns = `top-${Date.now()}`;
    await kubectl('create', 'namespace', ns);
    try {
      await kubectl('-n', ns, 'create', 'deployment', 'web', '--image=nginx');
      const top = await eventually(
        'kubectl top pods to list the pod',
        () => kubectl('-n', ns, 'top', 'pods', '--no-headers').catch(() => ''),
        90_000,
        2000,
      );
      expect(top).toMatch(/^web-\S+\s+\d+m\s+\d+Mi/m);
      expect(await kubectl('top', 'nodes', '--no-headers')).toMatch(/^kwok-node-0\s+\d+m/m);
    } finally {
      await kubectl('delete', 'namespace', ns, '--wait=false');
    }
  });

  it('refuses a caller without credentials (authentication and RBAC are on)', async () => {
    const kc = loadKubeConfig(realKubeconfig());
    const cluster = kc.getCurrentCluster()!;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      // The cluster's CA, but no client certificate: the server sees system:anonymous.
      https
        .get(
          `${cluster.server}/api/v1/namespaces/default/secrets`,
          { ca: Buffer.from(cluster.caData!, 'base64') },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        )
        .on('error', reject);
    });
    expect([401, 403]).toContain(status);
  });
});

describe("the operator's ServiceAccount (deploy/operator/rbac.yaml)", () => {
  it.each([
    ['get', 'pods'],
    ['create', 'pods', '--subresource=eviction'],
    ['patch', 'deployments.apps'],
    ['list', 'poddisruptionbudgets.policy'],
    ['list', 'pods.metrics.k8s.io'],
    ['create', 'healingactions.kubeskippy.io'],
    ['patch', 'healingpolicies.kubeskippy.io', '--subresource=status'],
    // Read only, for the change gate's kubelet versions (a cluster upgrade in progress).
    ['list', 'nodes'],
    ['list', 'kubeskippyconfigs.kubeskippy.io'],
  ])('may %s %s %s', async (verb, resource, subresource = '') => {
    expect(await canI(verb, resource, ...(subresource ? [subresource] : []), '-A')).toBe('yes');
  });

  it.each([
    ['get', 'secrets'],
    ['list', 'secrets'],
    ['get', 'nodes'],
    ['patch', 'nodes'],
    ['delete', 'nodes'],
    // The kill switch is a person's: the operator cannot lift its own suspension.
    ['patch', 'kubeskippyconfigs.kubeskippy.io'],
    ['create', 'pods'],
    ['delete', 'deployments.apps'],
    ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
    ['delete', 'healingpolicies.kubeskippy.io'],
  ])('may not %s %s', async (verb, resource) => {
    expect(await canI(verb, resource, '-A')).toBe('no');
  });

  it('may write its leader-election Lease in kubeskippy-system, and no Lease anywhere else', async () => {
    for (const verb of ['get', 'create', 'update'])
      expect(await canI(verb, 'leases.coordination.k8s.io', '-n', 'kubeskippy-system')).toBe('yes');
    expect(await canI('delete', 'leases.coordination.k8s.io', '-n', 'kubeskippy-system')).toBe('no');
    expect(await canI('update', 'leases.coordination.k8s.io', '-n', 'kube-system')).toBe('no');
    expect(await canI('update', 'leases.coordination.k8s.io', '-A')).toBe('no');
  });

  it('is who the operator kubeconfig authenticates as (a TokenRequest token, not a certificate)', async () => {
    const self = await kubectlJson<{ status: { userInfo: { username: string; groups: string[] } } }>(
      kubectlFor(inject('realOperatorKubeconfig')),
      'auth',
      'whoami',
    );
    expect(self.status.userInfo.username).toBe(operator);
    expect(self.status.userInfo.groups).toContain('system:serviceaccounts:kubeskippy-system');
  });

  it('`kubectl apply -k deploy/ --dry-run=server` is accepted by the real API server', async () => {
    const out = await kubectl('apply', '-k', join(root, 'deploy'), '--dry-run=server');
    expect(out).toMatch(
      /deployment\.apps\/kubeskippy-operator (created|configured|unchanged) \(server dry run\)/,
    );
    expect(out).toMatch(
      /clusterrole\.rbac\.authorization\.k8s\.io\/kubeskippy-operator .*\(server dry run\)/,
    );
    expect(out).toMatch(
      /customresourcedefinition\.apiextensions\.k8s\.io\/healingpolicies\.kubeskippy\.io .*\(server dry run\)/,
    );
  });
});
