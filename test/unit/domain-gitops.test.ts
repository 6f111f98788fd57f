// GitOps detection from the labels and annotations Argo CD and Flux really write, and the finding a
// planned action gets on a snapshot: which fields a sync would revert, and the words the approval
// and the record show. Actions are planned through the real schema, normalizePolicy and evaluatePolicy.
import { describe, expect, it } from 'vitest';
import { GitOpsRules } from '../../crds/healing-policy.js';
import { GITOPS_DEFAULTS, gitOpsFinding, gitOpsOwnerOf, type GitOpsOwner } from '../../domain/gitops.js';
import type { PlannedAction } from '../../domain/plan-types.js';
import type { ClusterSnapshot } from '../../domain/snapshot.js';
import { Driver } from '../fixtures/domain-run.js';
import {
  memoryTrigger,
  ownedBy,
  pod,
  policy,
  snapshot,
  withMemory,
  workload,
  workloadAnnotations,
  workloadLabels,
} from '../fixtures/domain-builders.js';

const deploymentMeta = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
  ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  labels,
  annotations,
});
const opts = { argoCDNamespace: 'argocd', argoCDInstanceLabel: 'argocd.argoproj.io/instance' };
const argo = (namespace: string, name: string, via: string): GitOpsOwner => ({
  tool: 'ArgoCD',
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  namespace,
  name,
  via,
});
const TRACKING = 'annotation argocd.argoproj.io/tracking-id';

describe('gitOpsOwnerOf', () => {
  const cases: [string, ReturnType<typeof deploymentMeta>, GitOpsOwner | undefined][] = [
    [
      'Argo CD annotation tracking (the default since 3.0)',
      deploymentMeta({}, { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/web' }),
      argo('argocd', 'shop', TRACKING),
    ],
    [
      'an Application outside Argo CD’s namespace (<namespace>_<name>)',
      deploymentMeta({}, { 'argocd.argoproj.io/tracking-id': 'team-a_shop:apps/Deployment:shop/web' }),
      argo('team-a', 'shop', TRACKING),
    ],
    [
      'a tracking id copied from another object is not ownership (Argo CD ignores it too)',
      deploymentMeta({}, { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/api' }),
      undefined,
    ],
    [
      'Argo CD label tracking with the custom key',
      deploymentMeta({ 'argocd.argoproj.io/instance': 'shop' }),
      argo('argocd', 'shop', 'label argocd.argoproj.io/instance'),
    ],
    [
      'app.kubernetes.io/instance alone is what every Helm chart sets: not Argo CD unless configured',
      deploymentMeta({ 'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/managed-by': 'Helm' }),
      undefined,
    ],
    [
      'Flux kustomize-controller',
      deploymentMeta({
        'kustomize.toolkit.fluxcd.io/name': 'apps',
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      }),
      {
        tool: 'Flux',
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: 'apps',
        via: 'label kustomize.toolkit.fluxcd.io/name',
      },
    ],
    [
      'Flux helm-controller (the closer owner when a Kustomization label came along)',
      deploymentMeta({
        'helm.toolkit.fluxcd.io/name': 'podinfo',
        'helm.toolkit.fluxcd.io/namespace': 'shop',
        'kustomize.toolkit.fluxcd.io/name': 'apps',
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      }),
      {
        tool: 'Flux',
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        namespace: 'shop',
        name: 'podinfo',
        via: 'label helm.toolkit.fluxcd.io/name',
      },
    ],
    [
      'a Flux name label without its namespace label is not enough',
      deploymentMeta({ 'kustomize.toolkit.fluxcd.io/name': 'apps' }),
      undefined,
    ],
    ['no marks', deploymentMeta({ app: 'web' }), undefined],
  ];
  it.each(cases)('%s', (_what, meta, expected) => {
    expect(gitOpsOwnerOf(meta, opts)).toEqual(expected);
  });

  it('reads app.kubernetes.io/instance when the policy says Argo CD tracks by it', () => {
    const meta = deploymentMeta({ 'app.kubernetes.io/instance': 'shop' });
    expect(gitOpsOwnerOf(meta, { ...opts, argoCDInstanceLabel: 'app.kubernetes.io/instance' })).toEqual(
      argo('argocd', 'shop', 'label app.kubernetes.io/instance'),
    );
  });

  it('a core-group object has an empty group in its tracking id', () => {
    const meta = {
      ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'solo' },
      annotations: { 'argocd.argoproj.io/tracking-id': 'shop:/Pod:shop/solo' },
    };
    expect(gitOpsOwnerOf(meta, opts)?.name).toBe('shop');
  });
});

const ARGO_LABELS = { 'argocd.argoproj.io/instance': 'shop' };
const scaleUp = {
  name: 'scale-up',
  type: 'scale',
  scaleAction: { direction: 'up', replicas: 1, maxReplicas: 5 },
};
const patchLimits = {
  name: 'more-memory',
  type: 'patch',
  patchAction: {
    type: 'strategic',
    patch:
      '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"1Gi"}}}]}}}}',
  },
};
const rollout = { name: 'rollout', type: 'restart', restartAction: { strategy: 'rollout' } };

/** The first action planned for the leaking pod of Deployment web, and the snapshot it saw. */
function planned(
  action: Record<string, unknown>,
  safetyRules: Record<string, unknown> = {},
  labels: Record<string, string> = ARGO_LABELS,
): { action: PlannedAction; snapshot: ClusterSnapshot } {
  const web = workload('web', workloadLabels(labels));
  const snap = snapshot(0, [pod('web-1', withMemory(0.9), ownedBy('Deployment', 'web'))], {
    workloads: [web],
  });
  const p = policy({ triggers: [memoryTrigger(85)], actions: [action], safetyRules });
  const [first] = new Driver(p).tick(snap).planned;
  if (!first) throw new Error('nothing planned');
  return { action: first, snapshot: snap };
}

describe('gitOpsFinding', () => {
  it('a scale of an Argo CD-managed Deployment names spec.replicas, the workload and the Application', () => {
    const f = gitOpsFinding(planned(scaleUp));
    expect(f).toMatchObject({ mode: 'approve', fields: ['spec.replicas'] });
    expect(f?.gitChange).toBe(
      'spec.replicas of Deployment demo/web, managed by Argo CD Application argocd/shop',
    );
  });

  it('a template patch names the paths it may change', () => {
    const f = gitOpsFinding(planned(patchLimits, { gitops: { mode: 'suspendSync' } }));
    expect(f).toMatchObject({ mode: 'suspendSync', fields: ['spec.template'] });
  });

  it('reads the tracking annotation off the workload the snapshot carries', () => {
    const input = planned(scaleUp, {}, {});
    workloadAnnotations({ 'argocd.argoproj.io/tracking-id': 'team-a_shop:apps/Deployment:demo/web' })(
      input.snapshot.workloads[0]!,
    );
    expect(gitOpsFinding(input)?.owner).toMatchObject({ namespace: 'team-a', name: 'shop' });
  });

  it.each([
    ['a rollout restart (its restartedAt annotation is not in Git)', rollout, {}, ARGO_LABELS],
    ['mode ignore', scaleUp, { gitops: { mode: 'ignore' } }, ARGO_LABELS],
    ['a Deployment nothing syncs', scaleUp, {}, { app: 'web' }],
  ])('none for %s', (_what, action, rules, labels) => {
    expect(gitOpsFinding(planned(action, rules, labels))).toBeUndefined();
  });

  it('none for an action planned before the rule existed (no safety.gitops in its history)', () => {
    const input = planned(scaleUp);
    delete input.action.safety.gitops;
    expect(gitOpsFinding(input)).toBeUndefined();
  });
});

describe('safetyRules.gitops schema', () => {
  it('its defaults are the ones a policy without the block gets', () => {
    const parsed = GitOpsRules.parse({});
    expect(parsed).toEqual({
      mode: GITOPS_DEFAULTS.mode,
      argoCDNamespace: GITOPS_DEFAULTS.argoCDNamespace,
      argoCDInstanceLabel: GITOPS_DEFAULTS.argoCDInstanceLabel,
      syncTimeout: '2m',
    });
    expect(policy().safety.gitops).toEqual(GITOPS_DEFAULTS);
  });

  it('refuses an unknown mode and a label key that is not one, naming the field', () => {
    expect(() => policy({ safetyRules: { gitops: { mode: 'revert' } } })).toThrow(/gitops\.mode/);
    expect(() => policy({ safetyRules: { gitops: { argoCDInstanceLabel: 'not a key' } } })).toThrow(
      /argoCDInstanceLabel/,
    );
  });
});
