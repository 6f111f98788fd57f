// The GitOps sync activities against the simulated cluster over HTTP, with the minimal Argo CD and
// Flux CRDs of test/fixtures/gitops-crds.yaml: suspend and resume are idempotent (a retried call
// finds its own mark), restore exactly what they took, and leave alone a sync someone else suspended.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readSync,
  requestSync,
  resumeSync,
  SAVED_AUTOMATED_ANNOTATION,
  SUSPENDED_BY_ANNOTATION,
  suspendSync,
  type OwnerRef,
} from '../../activities/kube/gitops-sync.js';
import type { KObject } from '../../sim/contract.js';
import { startActivitySim, type ActivitySim } from '../support/activities-sim.js';

let env: ActivitySim;
beforeAll(async () => {
  env = await startActivitySim();
  const file = readFileSync(join(import.meta.dirname, '../fixtures/gitops-crds.yaml'), 'utf8');
  for (const d of parseAllDocuments(file))
    env.sim.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', d.toJS() as KObject);
});
afterAll(() => env?.stop());

const APPS = 'argoproj.io/v1alpha1/applications';
const RELEASES = 'helm.toolkit.fluxcd.io/v2/helmreleases';
const AUTOMATED = { prune: true, selfHeal: true, allowEmpty: false };

function application(ns: string, name: string, syncPolicy: object): KObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: { project: 'default', source: { repoURL: 'https://git.example/shop', path: 'apps' }, syncPolicy },
  };
}
const appRef = (ns: string, name: string): OwnerRef => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  namespace: ns,
  name,
});

describe('Argo CD Application', () => {
  it('suspend removes automated and keeps it; a retry changes nothing; resume puts it back exactly, once', async () => {
    const ns = env.namespace();
    env.apply(ns, [application(ns, 'shop', { automated: AUTOMATED, syncOptions: ['CreateNamespace=true'] })]);
    const input = { owner: appRef(ns, 'shop'), actionId: 'scale-web-1' };
    expect(await suspendSync(env.kube, input)).toEqual({
      outcome: 'suspended',
      message: `suspended spec.syncPolicy.automated of Application ${ns}/shop`,
    });
    const suspended = env.get(APPS, ns, 'shop')!;
    expect(suspended.spec?.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
    expect(suspended.metadata.annotations?.[SUSPENDED_BY_ANNOTATION]).toBe('scale-web-1');
    expect(JSON.parse(suspended.metadata.annotations![SAVED_AUTOMATED_ANNOTATION]!)).toEqual(AUTOMATED);

    expect((await suspendSync(env.kube, input)).outcome).toBe('suspended');
    expect(env.get(APPS, ns, 'shop')!.metadata.resourceVersion).toBe(suspended.metadata.resourceVersion);
    // Another action finds the sync suspended by this one, and takes nothing to restore.
    expect(await suspendSync(env.kube, { ...input, actionId: 'other' })).toMatchObject({
      outcome: 'not-needed',
    });

    expect((await resumeSync(env.kube, input)).resumed).toBe(true);
    const resumed = env.get(APPS, ns, 'shop')!;
    expect(resumed.spec?.syncPolicy).toEqual({ automated: AUTOMATED, syncOptions: ['CreateNamespace=true'] });
    expect(resumed.metadata.annotations?.[SUSPENDED_BY_ANNOTATION]).toBeUndefined();
    expect(resumed.metadata.annotations?.[SAVED_AUTOMATED_ANNOTATION]).toBeUndefined();
    expect((await resumeSync(env.kube, input)).resumed).toBe(false);
    expect(env.get(APPS, ns, 'shop')!.metadata.resourceVersion).toBe(resumed.metadata.resourceVersion);
  });

  it('an Application without automated sync is left alone', async () => {
    const ns = env.namespace();
    env.apply(ns, [application(ns, 'manual', {})]);
    const before = env.get(APPS, ns, 'manual')!.metadata.resourceVersion;
    const r = await suspendSync(env.kube, { owner: appRef(ns, 'manual'), actionId: 'a' });
    expect(r).toEqual({
      outcome: 'not-needed',
      message: `Application ${ns}/manual does not sync automatically`,
    });
    expect(env.get(APPS, ns, 'manual')!.metadata.resourceVersion).toBe(before);
  });

  it('an Application that is not in this cluster cannot be suspended, and has no sync to wait for', async () => {
    const ns = env.namespace();
    const owner = appRef(ns, 'elsewhere');
    expect((await suspendSync(env.kube, { owner, actionId: 'a' })).outcome).toBe('missing');
    await requestSync(env.kube, { owner, token: 'a' });
    expect(await readSync(env.kube, { owner, token: 'a' })).toMatchObject({ found: false, synced: false });
  });

  it('synced only once Argo CD handled the refresh and says Synced', async () => {
    const ns = env.namespace();
    env.apply(ns, [application(ns, 'shop', { automated: AUTOMATED })]);
    env.sim.store.mutate(APPS, ns, 'shop', (o) => {
      o.status = { sync: { status: 'Synced' }, health: { status: 'Healthy' } };
    });
    const input = { owner: appRef(ns, 'shop'), token: 'a' };
    await requestSync(env.kube, input);
    expect(env.get(APPS, ns, 'shop')!.metadata.annotations?.['argocd.argoproj.io/refresh']).toBe('normal');
    // The Synced from before the change does not count.
    expect(await readSync(env.kube, input)).toMatchObject({
      synced: false,
      message: `Application ${ns}/shop is not refreshed yet`,
    });
    env.sim.store.mutate(APPS, ns, 'shop', (o) => {
      delete o.metadata.annotations!['argocd.argoproj.io/refresh'];
    });
    expect(await readSync(env.kube, input)).toEqual({
      found: true,
      synced: true,
      message: `Application ${ns}/shop is Synced, health Healthy`,
    });
  });
});

describe('Flux HelmRelease', () => {
  const ref = (ns: string): OwnerRef => ({
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    namespace: ns,
    name: 'podinfo',
  });

  it('suspended by someone else: left suspended, and resume does not unsuspend it', async () => {
    const ns = env.namespace();
    env.apply(ns, [
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'podinfo', namespace: ns },
        spec: { interval: '10m', suspend: true, chart: { spec: { chart: 'podinfo' } } },
      },
    ]);
    const input = { owner: ref(ns), actionId: 'a' };
    expect(await suspendSync(env.kube, input)).toEqual({
      outcome: 'not-needed',
      message: `spec.suspend of HelmRelease ${ns}/podinfo is already true`,
    });
    expect((await resumeSync(env.kube, input)).resumed).toBe(false);
    expect(env.get(RELEASES, ns, 'podinfo')!.spec?.suspend).toBe(true);
  });

  it('suspend sets spec.suspend with our mark; resume removes both', async () => {
    const ns = env.namespace();
    env.apply(ns, [
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'podinfo', namespace: ns },
        spec: { interval: '10m', chart: { spec: { chart: 'podinfo' } } },
      },
    ]);
    const input = { owner: ref(ns), actionId: 'a' };
    expect((await suspendSync(env.kube, input)).outcome).toBe('suspended');
    const suspended = env.get(RELEASES, ns, 'podinfo')!;
    expect(suspended.spec?.suspend).toBe(true);
    expect(suspended.metadata.annotations?.[SUSPENDED_BY_ANNOTATION]).toBe('a');
    await resumeSync(env.kube, input);
    const resumed = env.get(RELEASES, ns, 'podinfo')!;
    expect(resumed.spec?.suspend).toBeUndefined();
    expect(resumed.metadata.annotations?.[SUSPENDED_BY_ANNOTATION]).toBeUndefined();
  });
});
