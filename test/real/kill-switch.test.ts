// The kill switch outside the operator, on the real API server: deploy/admission/kill-switch.yaml
// (a ValidatingAdmissionPolicy whose param is the KubeSkippyConfig named `cluster`) installed as
// `kubectl apply -k deploy/admission` would. While spec.suspended is true, every write the
// operator's ServiceAccount may make to pods, workloads and Jobs is denied by the API server with
// a message saying why; resumed, the same writes go through; an admin is never affected. Each
// denied write is a real request (not a dry run) made with the operator's own token.
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKube, loadKubeConfig, type Kube } from '../../activities/kube/clients.js';
import { httpStatus, statusBody } from '../../activities/kube/errors.js';
import { createActivities } from '../../activities/index.js';
import { CLUSTER_NAME_MESSAGE } from '../../crds/cluster-config.js';
import type { KObject } from '../../sim/contract.js';
import { normalizedAction } from '../fixtures/domain-builders.js';
import { inActivityContext, input, refOf } from '../support/activities-sim.js';
import { applyAll, readManifests } from '../../tools/demo/cluster.js';
import { eventually } from '../support/engine-harness.js';
import { realKubeconfig } from './kubeconfig.js';

const CONFIG = { group: 'kubeskippy.io', version: 'v1alpha1', plural: 'kubeskippyconfigs', name: 'cluster' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const POLICY = 'kubeskippy-kill-switch';

let admin: Kube;
let operator: Kube;
const namespace = `ks-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  admin = createKube(loadKubeConfig(realKubeconfig()));
  operator = createKube(loadKubeConfig(inject('realOperatorKubeconfig')));
  await applyAll(admin, await readManifests('deploy/admission/kill-switch.yaml'));
  await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
  await admin.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'registry.example/web:1' }] },
        },
      },
    },
  });
});

afterAll(async () => {
  await admin?.custom.deleteClusterCustomObject(CONFIG).catch(() => undefined);
  const reg = admin?.objects;
  for (const kind of ['ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy'])
    await reg
      ?.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: POLICY } })
      .catch(() => undefined);
  await admin?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

async function setSuspended(suspended: boolean, reason?: string): Promise<void> {
  const spec = { suspended, ...(reason ? { reason } : {}) };
  const exists = await admin.custom.getClusterCustomObject(CONFIG).then(
    () => true,
    () => false,
  );
  if (exists) await admin.custom.patchClusterCustomObject({ ...CONFIG, body: { spec } }, merge);
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

async function pod(name: string): Promise<void> {
  const body: V1Pod = {
    metadata: { name, labels: { app: 'loose' } },
    spec: { containers: [{ name: 'app', image: 'registry.example/loose:1' }] },
  };
  await admin.core.createNamespacedPod({ namespace, body });
}

/** The answer to one request: 'allowed', or the status code and message of the refusal. */
async function answer(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'allowed';
  } catch (err) {
    return `${httpStatus(err)}: ${statusBody(err).message ?? (err as Error).message}`;
  }
}

/** The operator's writes, one of each kind the admission policy covers. */
function writes(as: Kube, podName: string) {
  return {
    'delete pod': () => as.core.deleteNamespacedPod({ namespace, name: podName, gracePeriodSeconds: 0 }),
    'evict pod': () =>
      as.core.createNamespacedPodEviction({
        namespace,
        name: podName,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: podName, namespace } },
      }),
    'patch pod': () =>
      as.core.patchNamespacedPod(
        { namespace, name: podName, body: { metadata: { annotations: { 'kubeskippy.io/probe': '1' } } } },
        merge,
      ),
    'patch deployment': () =>
      as.apps.patchNamespacedDeployment(
        {
          namespace,
          name: 'web',
          body: {
            spec: { template: { metadata: { annotations: { 'kubeskippy.io/restartedAt': podName } } } },
          },
        },
        merge,
      ),
    'create job': () =>
      as.batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name: `job-${podName}` },
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.example/job:1' }] },
            },
          },
        },
      }),
  };
}

describe('the kill switch on the real API server (ValidatingAdmissionPolicy, deploy/admission)', () => {
  it(
    'denies the operator every write while suspended, allows it once resumed, never touches an admin',
    { timeout: 120_000 },
    async () => {
      const started = Date.now();
      // The singleton: the CRD's root CEL rule refuses any other name at admission.
      const other = await answer(() =>
        admin.custom.createClusterCustomObject({
          ...CONFIG,
          body: {
            apiVersion: 'kubeskippy.io/v1alpha1',
            kind: 'KubeSkippyConfig',
            metadata: { name: 'other' },
            spec: {},
          },
        }),
      );
      expect(other).toMatch(/^422: /);
      expect(other).toContain(CLUSTER_NAME_MESSAGE);
      await setSuspended(true, 'cluster upgrade');
      // The API server loads a new policy and its param asynchronously: wait (with a dry run, which
      // admission judges the same way) until it denies, so no real write slips through first.
      await pod('probe');
      await eventually(
        'the admission policy to deny the operator',
        async () =>
          (
            await answer(() => operator.core.deleteNamespacedPod({ namespace, name: 'probe', dryRun: 'All' }))
          ).startsWith('403'),
        60_000,
        500,
      );

      const denied: Record<string, string> = {};
      for (const [what, call] of Object.entries(writes(operator, 'victim'))) {
        if (what !== 'create job') await pod('victim').catch(() => undefined);
        denied[what] = await answer(call);
      }
      for (const [what, said] of Object.entries(denied)) {
        expect(said, what).toMatch(/^403: /);
        expect(said, what).toContain(`ValidatingAdmissionPolicy '${POLICY}'`);
        expect(said, what).toContain(
          'KubeSkippy is suspended cluster-wide (KubeSkippyConfig cluster spec.suspended: cluster upgrade)',
        );
      }
      expect(denied['evict pod']).toContain('the operator may not create pods/eviction');
      expect(denied['delete pod']).toContain('the operator may not delete pods');
      expect(denied['patch deployment']).toContain('the operator may not update deployments');
      // Nothing happened: the pod is still there, the deployment's template unchanged.
      expect(
        (await admin.core.readNamespacedPod({ namespace, name: 'victim' })).metadata?.deletionTimestamp,
      ).toBeUndefined();

      // Anyone else: an admin patches and deletes while suspended.
      expect(await answer(writes(admin, 'probe')['patch pod'])).toBe('allowed');
      expect(await answer(writes(admin, 'probe')['delete pod'])).toBe('allowed');

      await setSuspended(false);
      await eventually(
        'the admission policy to allow the operator again',
        async () =>
          (await answer(() =>
            operator.core.patchNamespacedPod(
              { namespace, name: 'victim', body: { metadata: { labels: { probe: 'x' } } }, dryRun: 'All' },
              merge,
            ),
          )) === 'allowed',
        60_000,
        500,
      );
      const allowed: Record<string, string> = {};
      const calls = writes(operator, 'victim');
      for (const what of ['patch pod', 'patch deployment', 'create job', 'evict pod'] as const) {
        allowed[what] = await answer(calls[what]);
      }
      await pod('victim-2');
      allowed['delete pod'] = await answer(writes(operator, 'victim-2')['delete pod']);
      expect(allowed).toEqual({
        'patch pod': 'allowed',
        'patch deployment': 'allowed',
        'create job': 'allowed',
        'evict pod': 'allowed',
        'delete pod': 'allowed',
      });
      console.log(
        `kill switch (real API server): ${Object.keys(denied).length} operator writes denied while suspended, ` +
          `${Object.keys(allowed).length} allowed after resume, admin unaffected (${Date.now() - started} ms)`,
      );
    },
  );

  it(
    "stops the operator's own executor, should it ignore the switch: KubeForbidden naming the policy",
    { timeout: 90_000 },
    async () => {
      await setSuspended(true, 'executor check');
      await pod('target');
      const target = (await admin.core.readNamespacedPod({
        namespace,
        name: 'target',
      })) as unknown as KObject;
      target.apiVersion = 'v1';
      target.kind = 'Pod';
      await eventually(
        'the admission policy to deny the operator',
        async () =>
          (
            await answer(() =>
              operator.core.deleteNamespacedPod({ namespace, name: 'target', dryRun: 'All' }),
            )
          ).startsWith('403'),
        60_000,
        500,
      );
      // The executors the worker runs, with the operator's credentials, as an action past its
      // safe step would call them.
      const activities = inActivityContext(
        createActivities({ kube: operator, temporalUiUrl: 'http://ui.test', temporalNamespace: 'default' }),
      );
      const evict = normalizedAction('restart', {
        restartAction: { strategy: 'evict', gracePeriodSeconds: 0 },
      });
      const failure = await activities.executeAction(input(refOf(target), evict)).then(
        () => undefined,
        (err: unknown) => err as { type?: string; nonRetryable?: boolean; message: string },
      );
      expect(failure).toMatchObject({ type: 'KubeForbidden', nonRetryable: true });
      expect(failure?.message).toContain('KubeSkippy is suspended cluster-wide');
      const still = await admin.core.readNamespacedPod({ namespace, name: 'target' });
      expect(still.metadata?.uid).toBe(target.metadata.uid);
      expect(still.metadata?.deletionTimestamp).toBeUndefined();
      await setSuspended(false);
    },
  );
});
