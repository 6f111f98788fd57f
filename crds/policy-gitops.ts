// safetyRules.gitops: what an action does when its target is managed by Argo CD or Flux, which
// would revert a live change to a field that Git owns (a scale's spec.replicas, a patch of the
// template). Detection is in domain/gitops.ts; the suspension in activities/kube/gitops-sync.ts.
import { z } from 'zod';
import { Duration } from './common.js';

export const GitOpsMode = z
  .enum(['approve', 'suspendSync', 'skip', 'ignore'])
  .describe(
    'approve (default): ask for approval, naming the owner and the field to change in Git; ' +
      'suspendSync: suspend the Flux Kustomization/HelmRelease (spec.suspend) or the Argo CD ' +
      "Application's automated sync for the duration of the action, then restore it; " +
      'skip: refuse (reason GitOpsManaged); ignore: act as if the target were not GitOps-managed.',
  );
export type GitOpsMode = z.infer<typeof GitOpsMode>;

// A label key: an optional DNS-subdomain prefix and a name (apimachinery's qualified name).
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const GitOpsRules = z.object({
  mode: GitOpsMode.default('approve'),
  argoCDNamespace: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name')
    .default('argocd')
    .describe(
      "Namespace of Argo CD's Applications when the tracking label or annotation names none " +
        '(an Application elsewhere is tracked as <namespace>_<name>). Default argocd.',
    ),
  argoCDInstanceLabel: z
    .string()
    .max(317)
    .regex(LABEL_KEY, 'must be a label key such as argocd.argoproj.io/instance')
    .default('argocd.argoproj.io/instance')
    .describe(
      "The label Argo CD's label tracking writes (argocd-cm application.instanceLabelKey). Set " +
        'app.kubernetes.io/instance only if Argo CD uses that label: Helm charts set it too. The ' +
        'argocd.argoproj.io/tracking-id annotation is always read.',
    ),
  syncTimeout: Duration.default('2m').describe(
    'After an approved live change, or once sync is restored, how long to wait for the GitOps tool ' +
      'to report the owner in sync (Argo CD sync status Synced, Flux Ready) before going on.',
  ),
});
export type GitOpsRules = z.infer<typeof GitOpsRules>;

/** HealingAction status.gitops: the target's GitOps owner and what the action did about it. */
export const GitOpsRecord = z.object({
  tool: z.enum(['ArgoCD', 'Flux']).describe('The GitOps tool that syncs the target.'),
  owner: z
    .object({
      apiVersion: z.string().describe('e.g. argoproj.io/v1alpha1, kustomize.toolkit.fluxcd.io/v1.'),
      kind: z.string().describe('Application, Kustomization or HelmRelease.'),
      namespace: z.string().describe('Its namespace.'),
      name: z.string().describe('Its name.'),
    })
    .describe('The object that syncs the target from Git.'),
  via: z.string().describe('The label or annotation on the target that names the owner.'),
  fields: z.array(z.string()).describe('The fields the action sets that a sync would put back.'),
  gitChange: z
    .string()
    .describe(
      'What must change in Git to keep the change, e.g. "spec.replicas of Deployment shop/web, ' +
        'managed by Argo CD Application argocd/shop".',
    ),
  handling: z
    .enum(['Approval', 'SyncSuspended', 'Skipped', 'DryRun'])
    .describe(
      'Approval: asked before a live change; SyncSuspended: sync was suspended while the action ran; ' +
        'Skipped: refused (GitOpsManaged); DryRun: recorded only.',
    ),
  suspendedAt: z.string().optional().describe('When sync was suspended (RFC 3339).'),
  resumedAt: z.string().optional().describe('When sync was restored (RFC 3339).'),
  suspension: z
    .string()
    .optional()
    .describe('What was suspended and restored, e.g. "spec.suspend of Kustomization flux-system/shop".'),
  synced: z
    .boolean()
    .optional()
    .describe('Whether the owner reported in sync (Argo CD Synced, Flux Ready) within syncTimeout.'),
  syncMessage: z.string().optional().describe("The owner's sync state as last read, in words."),
});
export type GitOpsRecord = z.infer<typeof GitOpsRecord>;
