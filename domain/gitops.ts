// GitOps awareness: is the object an action changes synced from Git by Argo CD or Flux, and would
// that tool revert the change? Pure: it reads the labels and annotations the snapshot carries.
//
// How each tool marks what it applies (their documentation, resource tracking):
// - Argo CD, annotation tracking (the default since 3.0): `argocd.argoproj.io/tracking-id:
//   <app>:<group>/<kind>:<namespace>/<name>`, where <app> is `<namespace>_<name>` for an
//   Application outside Argo CD's own namespace. Argo CD ignores an annotation that names another
//   object (copied with a manifest), and so do we.
// - Argo CD, label tracking: the instance label (argocd-cm `application.instanceLabelKey`,
//   `app.kubernetes.io/instance` before 3.0, often set to `argocd.argoproj.io/instance`) holding
//   the Application's name. Helm charts set `app.kubernetes.io/instance` too, so that key counts
//   only when the policy says Argo CD uses it.
// - Flux: kustomize-controller labels what it applies `kustomize.toolkit.fluxcd.io/name` and
//   `/namespace`; helm-controller labels a release's objects `helm.toolkit.fluxcd.io/name` and
//   `/namespace`. A HelmRelease is the closer owner when both are present.
//
// Which changes a sync reverts: the fields a scale or patch sets on a synced object (spec.replicas,
// the template). A rollout restart's `kubectl.kubernetes.io/restartedAt` template annotation is
// not in Git: Argo CD's diff and Flux's server-side apply leave fields they do not manage alone
// (Argo CD's own "restart" resource action sets the same annotation), so it is not gated. Pod
// evictions and deletes change nothing the tool owns: the pod's controller recreates it.
import type { NormalizedAction } from './action-types.js';
import type { PlannedAction } from './plan-types.js';
import type { ClusterSnapshot, ObjectRef } from './snapshot.js';
import { findWorkload, refKey } from './targets.js';

export type GitOpsMode = 'approve' | 'suspendSync' | 'skip' | 'ignore';

/** safetyRules.gitops with its defaults (crds/policy-gitops.ts). */
export interface NormalizedGitOps {
  mode: GitOpsMode;
  argoCDNamespace: string;
  argoCDInstanceLabel: string;
  syncTimeoutMs: number;
}

export const GITOPS_DEFAULTS: NormalizedGitOps = {
  mode: 'approve',
  argoCDNamespace: 'argocd',
  argoCDInstanceLabel: 'argocd.argoproj.io/instance',
  syncTimeoutMs: 120_000,
};

export const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
const FLUX = {
  HelmRelease: { label: 'helm.toolkit.fluxcd.io', apiVersion: 'helm.toolkit.fluxcd.io/v2' },
  Kustomization: { label: 'kustomize.toolkit.fluxcd.io', apiVersion: 'kustomize.toolkit.fluxcd.io/v1' },
} as const;

/** The object that syncs a target from Git. */
export interface GitOpsOwner {
  tool: 'ArgoCD' | 'Flux';
  apiVersion: string;
  kind: 'Application' | 'Kustomization' | 'HelmRelease';
  namespace: string;
  name: string;
  /** The label or annotation it was recognised by. */
  via: string;
}

interface Meta {
  ref: Pick<ObjectRef, 'apiVersion' | 'kind' | 'namespace' | 'name'>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** An Argo CD app instance value: `name`, or `namespace_name` outside Argo CD's namespace. */
function argoApp(value: string, defaultNamespace: string, via: string): GitOpsOwner | undefined {
  const [namespace, name] = value.includes('_') ? value.split('_', 2) : [defaultNamespace, value];
  if (!namespace || !name) return undefined;
  return { tool: 'ArgoCD', apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace, name, via };
}

/** The tracking id's application, when the id names this very object. */
function argoTracking(obj: Meta, opts: Pick<NormalizedGitOps, 'argoCDNamespace'>): GitOpsOwner | undefined {
  const id = obj.annotations?.[ARGO_TRACKING_ANNOTATION];
  const m = id && /^([^:]+):([^/:]*)\/([^:]+):([^/]*)\/(.+)$/.exec(id);
  if (!m) return undefined;
  const [, app, group, kind, namespace, name] = m as unknown as string[];
  const slash = obj.ref.apiVersion.indexOf('/');
  const objGroup = slash < 0 ? '' : obj.ref.apiVersion.slice(0, slash);
  if (group !== objGroup || kind !== obj.ref.kind || name !== obj.ref.name) return undefined;
  if (namespace && namespace !== obj.ref.namespace) return undefined;
  return argoApp(app!, opts.argoCDNamespace, `annotation ${ARGO_TRACKING_ANNOTATION}`);
}

function fluxOwner(labels: Record<string, string>): GitOpsOwner | undefined {
  for (const kind of ['HelmRelease', 'Kustomization'] as const) {
    const { label, apiVersion } = FLUX[kind];
    const name = labels[`${label}/name`];
    const namespace = labels[`${label}/namespace`];
    if (name && namespace)
      return { tool: 'Flux', apiVersion, kind, namespace, name, via: `label ${label}/name` };
  }
  return undefined;
}

/** The GitOps owner of one object, from its own labels and annotations; undefined when none. */
export function gitOpsOwnerOf(
  obj: Meta,
  opts: Pick<NormalizedGitOps, 'argoCDNamespace' | 'argoCDInstanceLabel'>,
): GitOpsOwner | undefined {
  const tracked = argoTracking(obj, opts);
  if (tracked) return tracked;
  const labels = obj.labels ?? {};
  const instance = labels[opts.argoCDInstanceLabel];
  if (instance) return argoApp(instance, opts.argoCDNamespace, `label ${opts.argoCDInstanceLabel}`);
  return fluxOwner(labels);
}

/** The fields of the target the action sets that a sync would put back; empty: nothing to revert. */
export function gitOpsFields(action: NormalizedAction): string[] {
  if (action.type === 'scale') return ['spec.replicas'];
  if (action.type === 'patch')
    return action.patchAction.allowedPaths.map((p) => p.replace(/^\//, '').replaceAll('/', '.'));
  return [];
}

const TOOL_NAME = { ArgoCD: 'Argo CD', Flux: 'Flux' } as const;

export const describeOwner = (o: Pick<GitOpsOwner, 'tool' | 'kind' | 'namespace' | 'name'>): string =>
  `${TOOL_NAME[o.tool]} ${o.kind} ${o.namespace}/${o.name}`;

/** What the record says about a GitOps-managed target; `gitChange` names what must change in Git. */
export interface GitOpsFinding {
  mode: GitOpsMode;
  owner: GitOpsOwner;
  fields: string[];
  /** "spec.replicas of Deployment shop/web, managed by Argo CD Application argocd/shop". */
  gitChange: string;
}

/**
 * The finding for a planned action on a fresh snapshot: undefined when the policy ignores GitOps
 * (or was planned before the rule existed), the action changes nothing a sync reverts, or nothing
 * marks the target (or, for a pod, its owning workload) as synced from Git.
 */
export function gitOpsFinding(input: {
  action: PlannedAction;
  snapshot: ClusterSnapshot;
}): GitOpsFinding | undefined {
  const { action, snapshot } = input;
  const rules = action.safety.gitops;
  if (!rules || rules.mode === 'ignore') return undefined;
  const fields = gitOpsFields(action.action);
  if (fields.length === 0) return undefined;
  const target = action.onOwner
    ? findWorkload(snapshot, action.target)
    : snapshot.pods.find((p) => refKey(p.ref) === refKey(action.target));
  if (!target) return undefined;
  const owner = gitOpsOwnerOf(target, rules);
  if (!owner) return undefined;
  const { kind, namespace, name } = target.ref;
  const gitChange = `${fields.join(', ')} of ${kind} ${namespace}/${name}, managed by ${describeOwner(owner)}`;
  return { mode: rules.mode, owner, fields, gitChange };
}

/** Why the action waits for approval (mode approve). */
export const approvalNote = (f: GitOpsFinding): string =>
  `${f.gitChange}, which would revert a live change: change it in Git, or approve to apply it live until the next sync`;

/** Why the action is refused (mode skip). */
export const skipNote = (f: GitOpsFinding): string =>
  `${f.gitChange}, which would revert a live change; not applied (safetyRules.gitops.mode skip): change it in Git`;
