// The Kubernetes API driven through the real @kubernetes/client-node, as the operator uses it:
// one suite, run against the simulated cluster (test/integration/sim-api-client-node.test.ts) and
// the real control plane (test/real/api-conformance-client-node.test.ts).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTarget } from '../api-target.js';
import { podReady } from '../api-target.js';
import { waitFor } from '../sim-fixtures.js';
import * as fixtures from './fixtures.js';
import { UNSCHEDULED, widget, WIDGET_CRD } from './fixtures.js';

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

/** The Kubernetes Status a failed call carried. */
export async function failure(p: Promise<unknown>): Promise<{
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

export function clientNodeSuite(start: () => Promise<ApiTarget>): void {
  let t: ApiTarget;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let ns: string;
  // The fixtures are plain Kubernetes JSON; client-node wants its generated types.
  const pod = (name: string, opts: Parameters<typeof fixtures.pod>[1] = {}): k8s.V1Pod =>
    fixtures.pod(name, { namespace: ns, ...opts }) as k8s.V1Pod;
  const deployment = (name: string, replicas = 2): k8s.V1Deployment =>
    fixtures.deployment(name, replicas, ns) as k8s.V1Deployment;

  beforeAll(async () => {
    t = await start();
    kc = t.kc;
    ns = t.namespace;
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  afterAll(async () => t?.stop());

  describe('CRUD, list and selectors', () => {
    it('creates, reads, lists by label and field, and reports the list resourceVersion', async () => {
      await core.createNamespacedPod({
        namespace: ns,
        body: pod('crud-a', { labels: { app: 'crud', tier: 'a' }, schedulerName: UNSCHEDULED }),
      });
      await core.createNamespacedPod({
        namespace: ns,
        body: pod('crud-b', { labels: { app: 'crud', tier: 'b' }, nodeName: 'n1' }),
      });
      const got = await core.readNamespacedPod({ namespace: ns, name: 'crud-a' });
      expect(got.metadata?.uid).toBeTruthy();
      expect(got.status?.phase).toBe('Pending');
      const byLabel = await core.listNamespacedPod({
        namespace: ns,
        labelSelector: 'app=crud,tier in (b,c)',
      });
      expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(['crud-b']);
      const byField = await core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.nodeName=n1' });
      expect(byField.items.map((p) => p.metadata?.name)).toEqual(['crud-b']);
      expect(Number(byLabel.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
        Number(got.metadata?.resourceVersion),
      );
      const bad = await failure(
        core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.containers=x' }),
      );
      expect(bad).toMatchObject({
        code: 400,
        message: expect.stringMatching(/field label not supported: spec\.containers$/),
      });
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
      expect(noManager).toMatchObject({
        code: 422,
        reason: 'Invalid',
        message:
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      });
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
      const evictionPut = await t.fetch(`/api/v1/namespaces/${ns}/pods/crud-a/eviction`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(evictionPut.status).toBe(405);
      const res = await t.fetch(`/api/v1/namespaces/${ns}/configmaps/occ`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'text/plain' },
        body: 'x',
      });
      expect(res.status).toBe(415);
    });
  });

  describe('preconditions and dry run', () => {
    it('deletes only with a matching uid and resourceVersion', async () => {
      const p = await core.createNamespacedPod({
        namespace: ns,
        body: pod('pre', { schedulerName: UNSCHEDULED }),
      });
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
        message: expect.stringContaining(
          'Operation cannot be fulfilled on Pod "pre": the UID in the precondition (not-the-uid) does not match the UID in record',
        ),
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
      const before = (await core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion;
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
      // Zero replicas: no controller writes to it (or makes pods) while we look.
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('dry-deploy', 0) });
      const settled = await waitFor(async () => {
        const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'dry-deploy' });
        return d.status?.observedGeneration === d.metadata?.generation && d;
      }, 'the Deployment controller to observe dry-deploy');
      await new Promise((r) => setTimeout(r, 500));
      const rv = (await apps.readNamespacedDeployment({ namespace: ns, name: 'dry-deploy' })).metadata
        ?.resourceVersion;
      const patched = await apps.patchNamespacedDeployment(
        { namespace: ns, name: 'dry-deploy', body: { spec: { replicas: 9 } }, dryRun: 'All' },
        merge,
      );
      expect(patched.spec?.replicas).toBe(9);
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'dry-deploy', dryRun: 'All' });
      const live = await apps.readNamespacedDeployment({ namespace: ns, name: 'dry-deploy' });
      expect(live.spec?.replicas).toBe(0);
      expect(live.metadata?.generation).toBe(settled.metadata?.generation);
      expect(live.metadata?.resourceVersion).toBe(rv);
      expect(Number(rv)).toBeGreaterThan(Number(before));
    });
  });

  describe('eviction and PodDisruptionBudgets', () => {
    const policy = () => kc.makeApiClient(k8s.PolicyV1Api);
    /** What the disruption controller (the sim's or kube-controller-manager's) says of the budget. */
    const budgetAllows = async (allowed: number): Promise<k8s.V1PodDisruptionBudget> =>
      waitFor(
        async () => {
          const pdb = await policy().readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guard' });
          return (
            pdb.status?.observedGeneration === pdb.metadata?.generation &&
            pdb.status?.disruptionsAllowed === allowed &&
            pdb
          );
        },
        `the PDB to allow ${allowed} disruptions`,
        30_000,
      );

    it('refuses with 429 when the budget allows no disruption, and evicts gracefully when it does', async () => {
      for (const n of ['guarded-1', 'guarded-2']) {
        await core.createNamespacedPod({
          namespace: ns,
          body: pod(n, { labels: { app: 'guarded' }, nodeName: t.node }),
        });
      }
      for (const n of ['guarded-1', 'guarded-2']) await podReady(t, ns, n);
      await policy().createNamespacedPodDisruptionBudget({
        namespace: ns,
        body: {
          metadata: { name: 'guard' },
          spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } },
        },
      });
      expect((await budgetAllows(0)).status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2 });
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

      await policy().patchNamespacedPodDisruptionBudget(
        { namespace: ns, name: 'guard', body: { spec: { minAvailable: 1 } } },
        merge,
      );
      await budgetAllows(1);
      const uid = (await core.readNamespacedPod({ namespace: ns, name: 'guarded-1' })).metadata!.uid!;
      // The eviction's own write to the budget is watched for: the disruption controller drops a
      // pod from disruptedPods as soon as it sees the pod terminating, so a later read may not
      // show it any more.
      const budgets: k8s.V1PodDisruptionBudget[] = [];
      const watching = await new k8s.Watch(kc).watch(
        `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`,
        { fieldSelector: 'metadata.name=guard' },
        (_type, obj: k8s.V1PodDisruptionBudget) => budgets.push(obj),
        () => undefined,
      );
      // The pod as the API server marks it terminating, seen through a watch: kwok, the real
      // cluster's kubelet, finishes a graceful deletion at once, so a later read may find nothing.
      const podStates: k8s.V1Pod[] = [];
      const watchingPod = await new k8s.Watch(kc).watch(
        `/api/v1/namespaces/${ns}/pods`,
        { fieldSelector: 'metadata.name=guarded-1' },
        (_type, obj: k8s.V1Pod) => podStates.push(obj),
        () => undefined,
      );
      await core.createNamespacedPodEviction({
        namespace: ns,
        name: 'guarded-1',
        body: { ...eviction, deleteOptions: { preconditions: { uid } } },
      });
      const terminating = await waitFor(
        () => podStates.find((p) => p.metadata?.deletionTimestamp),
        'guarded-1 to be marked terminating',
      );
      watchingPod.abort();
      expect(terminating.metadata?.deletionTimestamp).toBeDefined();
      expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
      const recorded = await waitFor(
        () => budgets.find((b) => Object.keys(b.status?.disruptedPods ?? {}).includes('guarded-1')),
        'the eviction to record guarded-1 in the budget',
      );
      watching.abort();
      expect(recorded.status?.disruptionsAllowed).toBe(0);
      expect(Object.keys(recorded.status?.disruptedPods ?? {})).toEqual(['guarded-1']);
      const pdb = await policy().readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guard' });
      expect(pdb.status?.disruptionsAllowed).toBe(0);
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

      // A stale uid precondition is refused with 409 — after the budget was checked and spent: a
      // real server records the pod in disruptedPods all the same (for the disruption controller's
      // two-minute timeout), and so does the sim.
      await policy().patchNamespacedPodDisruptionBudget(
        { namespace: ns, name: 'guard', body: { spec: { minAvailable: 0 } } },
        merge,
      );
      await budgetAllows(1);
      const wrongUid = await failure(
        core.createNamespacedPodEviction({
          namespace: ns,
          name: 'guarded-2',
          body: { metadata: { name: 'guarded-2' }, deleteOptions: { preconditions: { uid: 'stale' } } },
        }),
      );
      expect(wrongUid).toMatchObject({
        code: 409,
        reason: 'Conflict',
        message: expect.stringContaining(
          'the UID in the precondition (stale) does not match the UID in record',
        ),
      });
      expect(
        (await core.readNamespacedPod({ namespace: ns, name: 'guarded-2' })).metadata?.deletionTimestamp,
      ).toBeUndefined();
      const spent = await policy().readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guard' });
      expect(spent.status?.disruptionsAllowed).toBe(0);
      expect(Object.keys(spent.status?.disruptedPods ?? {})).toContain('guarded-2');
    });
  });

  describe('custom resources', () => {
    const custom = () => kc.makeApiClient(k8s.CustomObjectsApi);
    let group: string;
    const ref = () => ({ group, version: 'v1', namespace: ns, plural: 'widgets' });
    const crds = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
    let establishedAtOnce: boolean | undefined;

    beforeAll(async () => {
      group = `w${t.unique}.example.com`;
      // Through CustomObjectsApi: the typed ApiextensionsV1Api serialiser drops `default` and `enum`
      // from a plain-object schema (it expects `_default`/`_enum`).
      await custom().createClusterCustomObject({ ...crds, body: WIDGET_CRD(group) });
      const crd = await kc
        .makeApiClient(k8s.ApiextensionsV1Api)
        .readCustomResourceDefinition({ name: `widgets.${group}` });
      establishedAtOnce = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
    });
    afterAll(async () => {
      await custom()
        .deleteClusterCustomObject({ ...crds, name: `widgets.${group}` })
        .catch(() => undefined);
    });

    it('serves a new CRD, with defaults applied and status ignored on create', async () => {
      // The sim establishes a CRD inside its create call; the real apiextensions controller
      // takes a moment (docs/sim.md).
      if (t.sim) expect(establishedAtOnce).toBe(true);
      const crd = await waitFor(async () => {
        const c = await kc
          .makeApiClient(k8s.ApiextensionsV1Api)
          .readCustomResourceDefinition({ name: `widgets.${group}` });
        return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') && c;
      }, 'the CRD to be Established');
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
      const created = await waitFor(
        () =>
          custom().createNamespacedCustomObject({
            ...ref(),
            body: { ...widget('w1', { size: 2 }, ns, group), status: { phase: 'Hacked' } },
          }),
        'the new kind to be served',
      );
      expect(created.spec).toEqual({ size: 2, colour: 'red' });
      expect(created.status).toBeUndefined();
      const resources = JSON.parse((await t.fetch(`/apis/${group}/v1`)).text) as {
        resources: { name: string }[];
      };
      expect(resources.resources.map((r) => r.name)).toEqual(['widgets', 'widgets/status']);
    });

    it('separates the status subresource from the main resource', async () => {
      await custom().createNamespacedCustomObject({ ...ref(), body: widget('w2', { size: 1 }, ns, group) });
      const st = await custom().patchNamespacedCustomObjectStatus(
        { ...ref(), name: 'w2', body: { status: { phase: 'Ready' }, spec: { size: 50 } } },
        merge,
      );
      expect(st.status).toEqual({ phase: 'Ready' });
      expect(st.spec.size).toBe(1);
      expect(st.metadata.generation).toBe(1);
      const main = await custom().patchNamespacedCustomObject(
        { ...ref(), name: 'w2', body: { spec: { size: 3 }, status: { phase: 'Ignored' } } },
        merge,
      );
      expect(main.status).toEqual({ phase: 'Ready' });
      expect(main.metadata.generation).toBe(2);
    });

    it('rejects invalid objects with 422 naming each field, and strategic merge with 415', async () => {
      const bad = await failure(
        custom().createNamespacedCustomObject({
          ...ref(),
          body: widget('w3', { size: 0, colour: 'green' }, ns, group),
        }),
      );
      expect(bad.code).toBe(422);
      expect(bad.message).toContain(`Widget.${group} "w3" is invalid`);
      // Both fields, in no promised order (a real server lists spec.colour first, the sim spec.size).
      expect(bad.details?.causes?.map((c) => c.field).sort()).toEqual(['spec.colour', 'spec.size']);
      const missing = await failure(
        custom().createNamespacedCustomObject({ ...ref(), body: widget('w4', {}, ns, group) }),
      );
      expect(missing.details?.causes).toEqual([
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.size' },
      ]);
      const smp = await failure(
        custom().patchNamespacedCustomObject(
          { ...ref(), name: 'w1', body: { spec: { size: 3 } } },
          strategic,
        ),
      );
      expect(smp.code).toBe(415);
    });

    it('prints the CRD additionalPrinterColumns as a Table', async () => {
      const res = await t.fetch(`/apis/${group}/v1/namespaces/${ns}/widgets`, {
        headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
      });
      const table = JSON.parse(res.text) as {
        kind: string;
        columnDefinitions: { name: string }[];
        rows: { cells: unknown[] }[];
      };
      expect(table.kind).toBe('Table');
      expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Size', 'Colour', 'Phase', 'Age']);
      expect(table.rows.find((r) => r.cells[0] === 'w2')?.cells.slice(0, 4)).toEqual([
        'w2',
        3,
        'red',
        'Ready',
      ]);
    });
  });

  describe('garbage collection and finalizers', () => {
    it('deletes the ReplicaSets and Pods the Deployment controller made when the Deployment goes', async () => {
      const d = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('gc', 1) });
      const ownedBy = (o: { metadata?: k8s.V1ObjectMeta }, uid?: string): boolean =>
        Boolean(o.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid));
      const rs = await waitFor(async () => {
        const all = (await apps.listNamespacedReplicaSet({ namespace: ns })).items;
        return all.find((r) => ownedBy(r, d.metadata?.uid));
      }, 'the ReplicaSet of gc');
      const gcPod = await waitFor(async () => {
        const all = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gc' })).items;
        return all.find((p) => ownedBy(p, rs.metadata?.uid));
      }, 'the pod of gc');
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'gc', propagationPolicy: 'Background' });
      const rsGone = async (): Promise<boolean> =>
        (await failure(apps.readNamespacedReplicaSet({ namespace: ns, name: rs.metadata!.name! }))).code ===
        404;
      // The sim collects dependents inside the delete call; the real garbage collector does it
      // asynchronously (docs/sim.md).
      if (t.sim) expect(await rsGone()).toBe(true);
      await waitFor(rsGone, 'the ReplicaSet to be collected', 30_000);
      await waitFor(
        async () =>
          (await failure(core.readNamespacedPod({ namespace: ns, name: gcPod.metadata!.name! }))).code ===
          404,
        'the pod to be collected and gone',
        60_000,
      );
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
    it('serves PodMetrics and NodeMetrics for running pods and their node', async () => {
      const metrics = new k8s.Metrics(kc);
      await core.createNamespacedPod({
        namespace: ns,
        body: pod('measured', { labels: { app: 'measured' }, nodeName: t.node }),
      });
      await podReady(t, ns, 'measured');
      const usage = await waitFor(
        async () =>
          (await metrics.getPodMetrics(ns)).items.find((m) => m.metadata.name === 'measured')?.containers,
        'PodMetrics of the measured pod',
        90_000,
        1000,
      );
      expect(usage.map((c) => c.name)).toEqual(['app']);
      expect(usage[0]?.usage.cpu).toMatch(/^\d+[num]?$/);
      expect(usage[0]?.usage.memory).toMatch(/^\d+(Ki|Mi|Gi)?$/);
      const nodes = await metrics.getNodeMetrics();
      expect(nodes.items.map((n) => n.metadata.name)).toContain(t.node);
    });
  });
}
