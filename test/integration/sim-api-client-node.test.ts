// The simulated API server driven through the real @kubernetes/client-node, as the operator uses it.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import * as fixtures from './sim-api-fixtures.js';
import { widget, WIDGET_CRD } from './sim-api-fixtures.js';

// The fixtures are plain Kubernetes JSON; client-node wants its generated types.
const pod = (...a: Parameters<typeof fixtures.pod>): k8s.V1Pod => fixtures.pod(...a) as k8s.V1Pod;
const deployment = (...a: Parameters<typeof fixtures.deployment>): k8s.V1Deployment =>
  fixtures.deployment(...a) as k8s.V1Deployment;

let api: ApiServerHandle;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const ns = 'default';

/** The Kubernetes Status a failed call carried. */
async function failure(p: Promise<unknown>): Promise<{
  code: number;
  reason: string;
  message: string;
  details?: { causes?: { field?: string; message: string }[] };
}> {
  try {
    await p;
  } catch (e) {
    if (e instanceof k8s.ApiException) return JSON.parse(e.body as string);
    throw e;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  api = await startApiServer();
  kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfigYaml());
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});
afterAll(async () => api?.stop());

describe('CRUD, list and selectors', () => {
  it('creates, reads, lists by label and field, and reports the list resourceVersion', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: pod('crud-a', { labels: { app: 'crud', tier: 'a' } }),
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: pod('crud-b', { labels: { app: 'crud', tier: 'b' }, nodeName: 'n1' }),
    });
    const got = await core.readNamespacedPod({ namespace: ns, name: 'crud-a' });
    expect(got.metadata?.uid).toBeTruthy();
    expect(got.status?.phase).toBe('Pending');
    const byLabel = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=crud,tier in (b,c)' });
    expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(['crud-b']);
    const byField = await core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.nodeName=n1' });
    expect(byField.items.map((p) => p.metadata?.name)).toEqual(['crud-b']);
    expect(Number(byLabel.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(got.metadata?.resourceVersion),
    );
    const bad = await failure(core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.containers=x' }));
    expect(bad).toMatchObject({ code: 400, message: 'field label not supported: spec.containers' });
  });

  it('answers 404 NotFound and 409 AlreadyExists as Kubernetes Status objects', async () => {
    expect(await failure(core.readNamespacedPod({ namespace: ns, name: 'nope' }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "nope" not found',
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } });
    expect(
      await failure(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } })),
    ).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });

  it('pages a list with limit and continue', async () => {
    for (const n of ['page-1', 'page-2', 'page-3'])
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: n, labels: { page: 'yes' } } },
      });
    const first = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'page', limit: 2 });
    expect(first.items).toHaveLength(2);
    const rest = await core.listNamespacedConfigMap({
      namespace: ns,
      labelSelector: 'page',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect([...first.items, ...rest.items].map((c) => c.metadata?.name)).toEqual([
      'page-1',
      'page-2',
      'page-3',
    ]);
    expect(rest.metadata?._continue).toBeFalsy();
  });
});

describe('patch', () => {
  it('applies JSON, merge and strategic patches; strategic merges containers and env by name', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('patchme') });
    const json = await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'patchme',
      body: [{ op: 'replace', path: '/spec/replicas', value: 4 }],
    });
    expect(json.spec?.replicas).toBe(4);
    expect(json.metadata?.generation).toBe(2);
    const m = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'patchme', body: { metadata: { labels: { team: 'a' } } } },
      merge,
    );
    expect(m.metadata?.labels).toEqual({ team: 'a' });
    expect(m.metadata?.generation).toBe(2);
    const s = await apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: 'patchme',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    env: [
                      { name: 'B', value: '20' },
                      { name: 'C', value: '3' },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
      strategic,
    );
    const containers = s.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    expect(containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '20' },
      { name: 'C', value: '3' },
    ]);
  });

  it('server-side applies with a field manager: creates, then removes fields the manager dropped', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: ns },
      data: { a: '1', b: '2' },
    };
    await objects.patch(cm, undefined, undefined, 'kubeskippy', true, k8s.PatchStrategy.ServerSideApply);
    const after = await objects.patch(
      { ...cm, data: { a: '10' } },
      undefined,
      undefined,
      'kubeskippy',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect((after as k8s.V1ConfigMap).data).toEqual({ a: '10' });
    const noManager = await failure(
      objects.patch(cm, undefined, undefined, undefined, true, k8s.PatchStrategy.ServerSideApply),
    );
    expect(noManager.code).toBe(400);
  });

  it('refuses a patch with a stale resourceVersion (409), an unknown content type (415) and a verb a subresource lacks (405)', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'occ' }, data: { a: '1' } },
    });
    await core.patchNamespacedConfigMap({ namespace: ns, name: 'occ', body: { data: { a: '2' } } }, merge);
    const stale = { metadata: { resourceVersion: cm.metadata?.resourceVersion }, data: { a: '3' } };
    expect(
      await failure(core.patchNamespacedConfigMap({ namespace: ns, name: 'occ', body: stale }, merge)),
    ).toMatchObject({ code: 409, reason: 'Conflict' });
    const evictionPut = await fetch(`${api.url}/api/v1/namespaces/default/pods/crud-a/eviction`, {
      method: 'PUT',
      body: '{}',
    });
    expect(evictionPut.status).toBe(405);
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps/occ`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).toBe(415);
  });
});

describe('preconditions and dry run', () => {
  it('deletes only with a matching uid and resourceVersion', async () => {
    const p = await core.createNamespacedPod({ namespace: ns, body: pod('pre') });
    const wrongUid = await failure(
      core.deleteNamespacedPod({
        namespace: ns,
        name: 'pre',
        body: { preconditions: { uid: 'not-the-uid' } },
      }),
    );
    expect(wrongUid).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: expect.stringContaining('Precondition failed: UID in precondition: not-the-uid'),
    });
    const wrongRv = await failure(
      core.deleteNamespacedPod({
        namespace: ns,
        name: 'pre',
        body: { preconditions: { resourceVersion: '1' } },
      }),
    );
    expect(wrongRv.code).toBe(409);
    await core.deleteNamespacedPod({
      namespace: ns,
      name: 'pre',
      body: { preconditions: { uid: p.metadata!.uid!, resourceVersion: p.metadata!.resourceVersion! } },
    });
    expect((await failure(core.readNamespacedPod({ namespace: ns, name: 'pre' }))).code).toBe(404);
  });

  it('dryRun=All validates and returns the would-be object but changes nothing', async () => {
    const before = (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion;
    const created = await core.createNamespacedPod({ namespace: ns, body: pod('dry'), dryRun: 'All' });
    expect(created.metadata?.name).toBe('dry');
    expect((await failure(core.readNamespacedPod({ namespace: ns, name: 'dry' }))).code).toBe(404);
    const invalid = await failure(
      core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: 'dry-bad' }, spec: { containers: [] } },
        dryRun: 'All',
      }),
    );
    expect(invalid.code).toBe(422);
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('dry-deploy') });
    const rv = (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion;
    const patched = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'dry-deploy', body: { spec: { replicas: 9 } }, dryRun: 'All' },
      merge,
    );
    expect(patched.spec?.replicas).toBe(9);
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'dry-deploy', dryRun: 'All' });
    const live = await apps.readNamespacedDeployment({ namespace: ns, name: 'dry-deploy' });
    expect(live.spec?.replicas).toBe(2);
    expect((await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion).toBe(rv);
    expect(Number(rv)).toBeGreaterThan(Number(before));
  });
});

describe('eviction and PodDisruptionBudgets', () => {
  const policy = () => kc.makeApiClient(k8s.PolicyV1Api);
  const setBudget = async (allowed: number): Promise<void> => {
    const pdb = await policy().readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guard' });
    await policy().replaceNamespacedPodDisruptionBudgetStatus({
      namespace: ns,
      name: 'guard',
      body: {
        ...pdb,
        status: {
          observedGeneration: pdb.metadata?.generation,
          disruptionsAllowed: allowed,
          currentHealthy: 2,
          desiredHealthy: 2 - allowed,
          expectedPods: 2,
        },
      },
    });
  };

  it('refuses with 429 when the budget allows no disruption, and evicts gracefully when it does', async () => {
    for (const n of ['guarded-1', 'guarded-2']) {
      await core.createNamespacedPod({
        namespace: ns,
        body: pod(n, { labels: { app: 'guarded' }, nodeName: 'node-1' }),
      });
      await core.patchNamespacedPodStatus(
        { namespace: ns, name: n, body: { status: { phase: 'Running' } } },
        merge,
      );
    }
    await policy().createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'guard' },
        spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } },
      },
    });
    await setBudget(0);
    const eviction = { metadata: { name: 'guarded-1', namespace: ns } };
    const refused = await failure(
      core.createNamespacedPodEviction({ namespace: ns, name: 'guarded-1', body: eviction }),
    );
    expect(refused).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
    });
    expect(
      (await core.readNamespacedPod({ namespace: ns, name: 'guarded-1' })).metadata?.deletionTimestamp,
    ).toBeUndefined();

    await setBudget(1);
    const uid = (await core.readNamespacedPod({ namespace: ns, name: 'guarded-1' })).metadata!.uid!;
    const wrongUid = await failure(
      core.createNamespacedPodEviction({
        namespace: ns,
        name: 'guarded-1',
        body: { ...eviction, deleteOptions: { preconditions: { uid: 'stale' } } },
      }),
    );
    expect(wrongUid.code).toBe(409);
    await core.createNamespacedPodEviction({
      namespace: ns,
      name: 'guarded-1',
      body: { ...eviction, deleteOptions: { preconditions: { uid } } },
    });
    const terminating = await core.readNamespacedPod({ namespace: ns, name: 'guarded-1' });
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
    const pdb = await policy().readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guard' });
    expect(pdb.status?.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status?.disruptedPods ?? {})).toEqual(['guarded-1']);
    expect(
      (
        await failure(
          core.createNamespacedPodEviction({
            namespace: ns,
            name: 'guarded-2',
            body: { metadata: { name: 'guarded-2' } },
          }),
        )
      ).code,
    ).toBe(429);
  });
});

describe('custom resources', () => {
  const custom = () => kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: 'example.com', version: 'v1', namespace: ns, plural: 'widgets' };

  beforeAll(async () => {
    // Through CustomObjectsApi: the typed ApiextensionsV1Api serialiser drops `default` and `enum`
    // from a plain-object schema (it expects `_default`/`_enum`).
    const crds = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
    await custom().createClusterCustomObject({ ...crds, body: WIDGET_CRD() });
  });

  it('serves a new CRD at once, with defaults applied and status ignored on create', async () => {
    const crd = await kc
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'widgets.example.com' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const created = await custom().createNamespacedCustomObject({
      ...ref,
      body: { ...widget('w1', { size: 2 }), status: { phase: 'Hacked' } },
    });
    expect(created.spec).toEqual({ size: 2, colour: 'red' });
    expect(created.status).toBeUndefined();
    const resources = await fetch(`${api.url}/apis/example.com/v1`).then(
      (r) => r.json() as Promise<{ resources: { name: string }[] }>,
    );
    expect(resources.resources.map((r) => r.name)).toEqual(['widgets', 'widgets/status']);
  });

  it('separates the status subresource from the main resource', async () => {
    await custom().createNamespacedCustomObject({ ...ref, body: widget('w2', { size: 1 }) });
    const st = await custom().patchNamespacedCustomObjectStatus(
      { ...ref, name: 'w2', body: { status: { phase: 'Ready' }, spec: { size: 50 } } },
      merge,
    );
    expect(st.status).toEqual({ phase: 'Ready' });
    expect(st.spec.size).toBe(1);
    expect(st.metadata.generation).toBe(1);
    const main = await custom().patchNamespacedCustomObject(
      { ...ref, name: 'w2', body: { spec: { size: 3 }, status: { phase: 'Ignored' } } },
      merge,
    );
    expect(main.status).toEqual({ phase: 'Ready' });
    expect(main.metadata.generation).toBe(2);
  });

  it('rejects invalid objects with 422 naming each field, and strategic merge with 415', async () => {
    const bad = await failure(
      custom().createNamespacedCustomObject({ ...ref, body: widget('w3', { size: 0, colour: 'green' }) }),
    );
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('Widget.example.com "w3" is invalid');
    expect(bad.details?.causes?.map((c) => c.field)).toEqual(['spec.size', 'spec.colour']);
    const missing = await failure(custom().createNamespacedCustomObject({ ...ref, body: widget('w4', {}) }));
    expect(missing.details?.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.size' },
    ]);
    const smp = await failure(
      custom().patchNamespacedCustomObject({ ...ref, name: 'w1', body: { spec: { size: 3 } } }, strategic),
    );
    expect(smp.code).toBe(415);
  });

  it('prints the CRD additionalPrinterColumns as a Table', async () => {
    const res = await fetch(`${api.url}/apis/example.com/v1/namespaces/default/widgets`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const table = (await res.json()) as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Size', 'Colour', 'Phase', 'Age']);
    expect(table.rows.find((r) => r.cells[0] === 'w2')?.cells.slice(0, 4)).toEqual(['w2', 3, 'red', 'Ready']);
  });
});

describe('garbage collection and finalizers', () => {
  it('deletes ReplicaSets and Pods owned by a deleted Deployment', async () => {
    const d = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('gc') });
    const owner = (kind: string, o: { metadata?: k8s.V1ObjectMeta }) => [
      {
        apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
        kind,
        name: o.metadata!.name!,
        uid: o.metadata!.uid!,
        controller: true,
      },
    ];
    const rsBody = {
      ...deployment('gc'),
      kind: 'ReplicaSet',
      metadata: { name: 'gc-1', ownerReferences: owner('Deployment', d) },
    } as k8s.V1ReplicaSet;
    const rs = await apps.createNamespacedReplicaSet({ namespace: ns, body: rsBody });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        ...pod('gc-1-a', { labels: { app: 'gc' } }),
        metadata: { name: 'gc-1-a', labels: { app: 'gc' }, ownerReferences: owner('ReplicaSet', rs) },
      },
    });
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'gc', propagationPolicy: 'Background' });
    expect((await failure(apps.readNamespacedReplicaSet({ namespace: ns, name: 'gc-1' }))).code).toBe(404);
    expect((await failure(core.readNamespacedPod({ namespace: ns, name: 'gc-1-a' }))).code).toBe(404);
  });

  it('keeps an object with a finalizer terminating until the finalizer is removed', async () => {
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'held' });
    expect(
      (await core.readNamespacedConfigMap({ namespace: ns, name: 'held' })).metadata?.deletionTimestamp,
    ).toBeDefined();
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'held', body: { metadata: { finalizers: null } } },
      merge,
    );
    expect((await failure(core.readNamespacedConfigMap({ namespace: ns, name: 'held' }))).code).toBe(404);
  });
});

describe('metrics.k8s.io', () => {
  it('answers 503 without a metrics source and serves PodMetrics/NodeMetrics with one', async () => {
    const metrics = new k8s.Metrics(kc);
    await expect(metrics.getPodMetrics(ns)).rejects.toThrow();
    await core.createNamespacedPod({ namespace: ns, body: pod('measured', { labels: { app: 'measured' } }) });
    api.setMetricsSource({
      podUsage: (_ns, name) =>
        name === 'measured'
          ? [{ name: 'app', cpuMillicores: 250, memoryBytes: 64 * 1024 * 1024 }]
          : undefined,
      nodeUsage: () => undefined,
    });
    const list = await metrics.getPodMetrics(ns);
    expect(list.items.map((m) => [m.metadata.name, m.containers[0]?.usage])).toEqual([
      ['measured', { cpu: '250000000n', memory: '65536Ki' }],
    ]);
    expect((await metrics.getNodeMetrics()).items).toEqual([]);
  });
});
