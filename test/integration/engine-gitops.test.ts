// GitOps awareness end to end (sim + real Temporal + the operator), with minimal Argo CD and Flux
// CRDs (test/fixtures/gitops-crds.yaml) and no GitOps controller beyond what a case needs:
// - a scale of a Deployment an Argo CD Application syncs waits for approval, naming the field to
//   change in Git, and changes nothing meanwhile; approved, it lands and verification waits for
//   the Application to refresh and report Synced;
// - mode skip refuses a HelmRelease's Deployment (Skipped GitOpsManaged, an Event, the metric);
// - a Deployment nothing syncs is scaled at once;
// - with suspendSync, a Flux Kustomization is suspended while the scale runs and restored after,
//   watched through every write to it (the test answers the reconcile request as Flux would), and
//   restored too when the action is cancelled mid-way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../sim/contract.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  deploymentOf,
  describeActions,
  eventsWith,
  healingPolicy,
  refusalSeries,
  scrapeMetrics,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';
import { approveActionUpdate } from '../../workflows/messages.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
  const crds = parseAllDocuments(
    readFileSync(join(import.meta.dirname, '../fixtures/gitops-crds.yaml'), 'utf8'),
  );
  for (const d of crds)
    engine.sim.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', d.toJS());
});
afterAll(() => engine?.stop());

const KUSTOMIZATIONS = 'kustomize.toolkit.fluxcd.io/v1/kustomizations';

/** A Deployment of one replica whose own metadata carries `labels` / `annotations`. */
function app(
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): KObject {
  const d = deployment(name, { replicas: 1 });
  d.metadata.labels = { app: name, ...labels };
  d.metadata.annotations = annotations;
  return d;
}

function scalePolicy(
  name: string,
  gitops: Record<string, unknown>,
  verification: object = { enabled: false },
): KObject {
  return healingPolicy(engine.namespace, name, `${name}-app`, {
    triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
    actions: [
      {
        name: 'scale-up',
        type: 'scale',
        scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 3 },
      },
    ],
    safetyRules: { minReadyReplicas: 0, gitops },
    verification,
  });
}

const firstAction = (policy: string, phase: string) => async () => {
  const a = actionsOf(engine, policy)[0];
  return a?.status?.phase === phase ? a : undefined;
};

const APPLICATIONS = 'argoproj.io/v1alpha1/applications';

function application(name: string, syncPolicy: object): KObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: engine.namespace },
    spec: { project: 'default', source: { repoURL: 'https://git.example/shop', path: 'apps' }, syncPolicy },
  };
}

/** Argo CD, as far as a test needs it: a requested refresh is handled, and the app is Synced. */
function playArgo(name: string): void {
  const a = engine.sim.store.get(APPLICATIONS, engine.namespace, name);
  if (!a?.metadata.annotations?.['argocd.argoproj.io/refresh']) return;
  engine.sim.store.mutate(APPLICATIONS, engine.namespace, name, (o) => {
    delete o.metadata.annotations!['argocd.argoproj.io/refresh'];
    o.status = { sync: { status: 'Synced' }, health: { status: 'Healthy' } };
  });
}

describe('a GitOps-managed target', () => {
  it('Argo CD: the scale asks for approval naming spec.replicas and the Application; a non-GitOps one runs', async () => {
    const ns = engine.namespace;
    engine.apply([
      app('argo-app', { 'argocd.argoproj.io/instance': 'shop' }),
      app('helm-app', { 'helm.toolkit.fluxcd.io/name': 'podinfo', 'helm.toolkit.fluxcd.io/namespace': ns }),
      app('plain-app', {}),
      scalePolicy('argo', { argoCDNamespace: ns }),
      scalePolicy('helm', { mode: 'skip' }),
      scalePolicy('plain', {}),
    ]);
    const gitChange = `spec.replicas of Deployment ${ns}/argo-app, managed by Argo CD Application ${ns}/shop`;
    const waiting = await eventually(
      () => `argo awaiting approval: ${describeActions(engine, 'argo')}`,
      firstAction('argo', 'AwaitingApproval'),
      40_000,
    );
    expect(waiting.status?.reason).toBe('GitOpsManaged');
    expect(waiting.status?.message).toContain(gitChange);
    expect(waiting.status?.gitops).toMatchObject({
      tool: 'ArgoCD',
      owner: { kind: 'Application', namespace: ns, name: 'shop' },
      fields: ['spec.replicas'],
      gitChange,
      handling: 'Approval',
    });
    const asked = await eventually('an AwaitingApproval Event naming the field', () =>
      eventsWith(engine, 'AwaitingApproval').find((e) => String(e.message).includes(gitChange)),
    );
    expect(asked).toBeDefined();
    expect(deploymentOf(engine, 'argo-app').spec?.replicas).toBe(1);

    // Approved (say, after the change was made in Git): the scale lands, the Application is asked to
    // refresh, and verification waits until Argo CD (played here) has refreshed and says Synced.
    engine.apply([application('shop', { automated: { selfHeal: true } })]);
    const argo = setInterval(() => playArgo('shop'), 200);
    try {
      await engine.client.workflow.getHandle(waiting.status!.workflowId!).executeUpdate(approveActionUpdate, {
        args: [{ decision: 'approve', by: 'alice', comment: 'in Git too' }],
      });
      const done = await eventually(
        () => `argo succeeded: ${describeActions(engine, 'argo')}`,
        firstAction('argo', 'Succeeded'),
        40_000,
      );
      expect(deploymentOf(engine, 'argo-app').spec?.replicas).toBe(2);
      expect(done.status?.gitops).toMatchObject({
        handling: 'Approval',
        synced: true,
        syncMessage: `Application ${ns}/shop is Synced, health Healthy`,
      });
    } finally {
      clearInterval(argo);
    }

    const skipped = await eventually(
      () => `helm skipped: ${describeActions(engine, 'helm')}`,
      firstAction('helm', 'Skipped'),
      40_000,
    );
    expect(skipped.status?.reason).toBe('GitOpsManaged');
    expect(skipped.status?.message).toContain(`managed by Flux HelmRelease ${ns}/podinfo`);
    expect(skipped.status?.gitops?.handling).toBe('Skipped');
    expect(deploymentOf(engine, 'helm-app').spec?.replicas).toBe(1);
    await eventually('a HealingSkipped Event', () =>
      eventsWith(engine, 'HealingSkipped').find((e) => String(e.message).includes('podinfo')),
    );
    const series = refusalSeries(engine, 'helm', 'GitOpsManaged');
    await eventually(
      'GitOpsManaged counted once in /metrics',
      async () => series.exec(await scrapeMetrics(engine))?.[1] === '1',
    );

    const plain = await eventually(
      () => `plain succeeded: ${describeActions(engine, 'plain')}`,
      firstAction('plain', 'Succeeded'),
      40_000,
    );
    expect(plain.status?.gitops).toBeUndefined();
    expect(plain.spec.approvalRequired).toBe(false);
    expect(deploymentOf(engine, 'plain-app').spec?.replicas).toBe(2);
  });

  it('Flux with suspendSync: the Kustomization is suspended while the scale runs, and restored after', async () => {
    const ns = engine.namespace;
    // Every write to the Kustomization and the Deployment, in order.
    const seen: string[] = [];
    const unsubscribe = engine.sim.store.subscribe((ev) => {
      if (ev.object.metadata.namespace !== ns) return;
      if (ev.resource === KUSTOMIZATIONS) seen.push(`suspend=${ev.object.spec?.suspend === true}`);
      if (ev.resource === 'apps/v1/deployments' && ev.object.metadata.name === 'flux-app')
        seen.push(`replicas=${ev.object.spec?.replicas}`);
    });
    // Flux, as far as this test needs it: answer a reconcile request unless suspended.
    const flux = setInterval(() => {
      const k = engine.sim.store.get(KUSTOMIZATIONS, ns, 'apps');
      const requested = k?.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
      if (!k || !requested || k.spec?.suspend === true || k.status?.lastHandledReconcileAt === requested)
        return;
      engine.sim.store.mutate(
        KUSTOMIZATIONS,
        ns,
        'apps',
        (o) => {
          o.status = {
            lastHandledReconcileAt: requested,
            observedGeneration: o.metadata.generation,
            conditions: [
              { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied' },
            ],
          };
        },
        { subresource: 'status' },
      );
    }, 200);
    try {
      engine.apply([
        {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          metadata: { name: 'apps', namespace: ns },
          spec: {
            interval: '10m',
            path: './apps',
            prune: true,
            sourceRef: { kind: 'GitRepository', name: 'repo' },
          },
        },
        app('flux-app', {
          'kustomize.toolkit.fluxcd.io/name': 'apps',
          'kustomize.toolkit.fluxcd.io/namespace': ns,
        }),
        scalePolicy(
          'flux',
          { mode: 'suspendSync', syncTimeout: '20s' },
          { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
        ),
      ]);
      const done = await eventually(
        () => `flux succeeded: ${describeActions(engine, 'flux')}`,
        firstAction('flux', 'Succeeded'),
        60_000,
      );
      // Suspended before the scale, restored after it (and never before).
      const first = seen.indexOf('suspend=true');
      const scaled = seen.indexOf('replicas=2');
      expect(first, seen.join(' ')).toBeGreaterThanOrEqual(0);
      expect(scaled, seen.join(' ')).toBeGreaterThan(first);
      expect(
        seen.slice(first, scaled).every((s) => s !== 'suspend=false'),
        seen.join(' '),
      ).toBe(true);
      expect(seen.indexOf('suspend=false', scaled), seen.join(' ')).toBeGreaterThan(scaled);
      const k = engine.sim.store.get(KUSTOMIZATIONS, ns, 'apps')!;
      expect(k.spec?.suspend).toBeUndefined();
      expect(k.metadata.annotations?.['kubeskippy.io/sync-suspended-by']).toBeUndefined();
      expect(done.status?.gitops).toMatchObject({
        tool: 'Flux',
        owner: { kind: 'Kustomization', namespace: ns, name: 'apps' },
        gitChange: `spec.replicas of Deployment ${ns}/flux-app, managed by Flux Kustomization ${ns}/apps`,
        handling: 'SyncSuspended',
        suspension: `suspended spec.suspend of Kustomization ${ns}/apps`,
        synced: true,
      });
      expect(done.status?.gitops?.suspendedAt).toBeDefined();
      expect(done.status?.gitops?.resumedAt).toBeDefined();
      for (const reason of ['GitOpsSyncSuspended', 'GitOpsSyncResumed'])
        await eventually(`a ${reason} Event`, () => eventsWith(engine, reason).length > 0);
    } finally {
      clearInterval(flux);
      unsubscribe();
    }
  });
  it('suspendSync: cancelling the action while it verifies still restores the sync', async () => {
    const ns = engine.namespace;
    engine.apply([
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps-2', namespace: ns },
        spec: { interval: '10m', path: './apps', sourceRef: { kind: 'GitRepository', name: 'repo' } },
      },
      app('cancel-app', {
        'kustomize.toolkit.fluxcd.io/name': 'apps-2',
        'kustomize.toolkit.fluxcd.io/namespace': ns,
      }),
      // The trigger keeps holding, so verification goes on until its timeout: time to cancel.
      scalePolicy(
        'cancel',
        { mode: 'suspendSync', syncTimeout: '1s' },
        { delay: '1s', timeout: '5m', interval: '1s' },
      ),
    ]);
    const verifying = await eventually(
      () => `cancel verifying: ${describeActions(engine, 'cancel')}`,
      firstAction('cancel', 'Verifying'),
      40_000,
    );
    expect(engine.sim.store.get(KUSTOMIZATIONS, ns, 'apps-2')?.spec?.suspend).toBe(true);
    await engine.client.workflow.getHandle(verifying.status!.workflowId!).cancel();
    await eventually('the Kustomization restored after the cancel', () => {
      const k = engine.sim.store.get(KUSTOMIZATIONS, ns, 'apps-2');
      return (
        k && k.spec?.suspend === undefined && !k.metadata.annotations?.['kubeskippy.io/sync-suspended-by']
      );
    });
    await eventually('a GitOpsSyncResumed Event', () =>
      eventsWith(engine, 'GitOpsSyncResumed').some((e) => String(e.message).includes('apps-2')),
    );
  });
});
