// The only place ids and keys come from. Ids are business keys: the same policy, trigger, target
// and sequence number always give the same workflow id and HealingAction name, so a retried start
// or create finds the existing workflow or object instead of making a second one.
//
// Kubernetes namespaces, names and kinds never contain "/" or "#", so those characters separate
// the parts unambiguously. Trigger names are free text, so parsers take them as "whatever is left
// between the fixed parts".

// Since fleets (many clusters, one Temporal namespace) every id carries the operator's cluster name
// (--cluster-name) right after the `kubeskippy/` prefix: `kubeskippy/<cluster>/policy/...`. Ids of
// the format before that (`kubeskippy/policy/...`, no cluster) still parse, with `cluster`
// undefined, and are still built when the cluster is undefined: a workflow whose recorded input has
// no cluster must start the same child ids on replay as it did when it ran. The kinds `policy`,
// `action` and `cluster` are therefore reserved: no cluster may be named after them
// (RESERVED_CLUSTER_NAMES), so `kubeskippy/policy/...` is always the old format.

const PREFIX = 'kubeskippy/';
const POLICY = 'policy';
const ACTION = 'action';

/** Cluster names that would make an id ambiguous with the format from before clusters. */
export const RESERVED_CLUSTER_NAMES: readonly string[] = [POLICY, ACTION, 'cluster'];

export interface PolicyIdParts {
  /** Undefined only for an id of the format from before clusters. */
  cluster?: string | undefined;
  namespace: string;
  name: string;
}

export interface ActionIdParts {
  /** The operator's cluster name; undefined only to rebuild an id of the format from before clusters. */
  cluster: string | undefined;
  namespace: string;
  policy: string;
  trigger: string;
  targetKind: string;
  targetName: string;
  seq: number;
}

/** Anything that names a namespaced object. */
export interface KeyableRef {
  namespace: string;
  kind: string;
  name: string;
}

/** `kubeskippy/<cluster>/<kind>/` (or the old `kubeskippy/<kind>/` when cluster is undefined). */
function prefix(cluster: string | undefined, kind: string): string {
  return cluster === undefined ? `${PREFIX}${kind}/` : `${PREFIX}${cluster}/${kind}/`;
}

/** The cluster and the rest after `kubeskippy/[<cluster>/]<kind>/`, or undefined for another kind. */
function split(id: string, kind: string): { cluster: string | undefined; rest: string } | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const after = id.slice(PREFIX.length);
  if (after.startsWith(`${kind}/`)) return { cluster: undefined, rest: after.slice(kind.length + 1) };
  const slash = after.indexOf('/');
  const cluster = after.slice(0, slash);
  if (slash <= 0 || RESERVED_CLUSTER_NAMES.includes(cluster)) return undefined;
  const rest = after.slice(slash + 1);
  return rest.startsWith(`${kind}/`) ? { cluster, rest: rest.slice(kind.length + 1) } : undefined;
}

/**
 * `kubeskippy/cluster/<task-queue>`: the one workflow that owns the cluster's kill switch and budget.
 * One per task queue, not one per Temporal namespace: each operator (and each test engine) runs its
 * own task queue, and its policies must ask their own cluster, not a neighbour's. The task queue is
 * `kubeskippy-<cluster>` unless set, so the id names the cluster too; a fleet must give every
 * cluster its own task queue anyway, or one cluster's workers would run another's activities.
 */
export function clusterWorkflowId(taskQueue: string): string {
  return `kubeskippy/cluster/${taskQueue}`;
}

/** `kubeskippy/<cluster>/policy/<namespace>/<name>` (`kubeskippy/policy/...` when cluster is undefined). */
export function policyWorkflowId(cluster: string | undefined, namespace: string, name: string): string {
  return `${prefix(cluster, POLICY)}${namespace}/${name}`;
}

export function parsePolicyWorkflowId(id: string): PolicyIdParts | undefined {
  const found = split(id, POLICY);
  if (!found) return undefined;
  const parts = found.rest.split('/');
  const [namespace, name] = parts;
  if (parts.length !== 2 || !namespace || !name) return undefined;
  return { ...(found.cluster !== undefined ? { cluster: found.cluster } : {}), namespace, name };
}

/** `kubeskippy/<cluster>/action/<namespace>/<policy>/<trigger>/<target-kind>/<target-name>/<seq>` */
export function actionWorkflowId(parts: ActionIdParts): string {
  const { cluster, namespace, policy, trigger, targetKind, targetName, seq } = parts;
  return `${prefix(cluster, ACTION)}${namespace}/${policy}/${trigger}/${targetKind}/${targetName}/${seq}`;
}

export function parseActionWorkflowId(id: string): ActionIdParts | undefined {
  const found = split(id, ACTION);
  if (!found) return undefined;
  const parts = found.rest.split('/');
  if (parts.length < 6) return undefined;
  const [namespace = '', policy = ''] = parts;
  const [targetKind = '', targetName = '', seqText = ''] = parts.slice(-3);
  const trigger = parts.slice(2, -3).join('/');
  if (!namespace || !policy || !trigger || !targetKind || !targetName || !/^[0-9]+$/.test(seqText)) {
    return undefined;
  }
  const { cluster } = found;
  return { cluster, namespace, policy, trigger, targetKind, targetName, seq: Number(seqText) };
}

/** FNV-1a, 32 bit: a tiny, well-known, pure hash (node:crypto is not allowed in workflow code). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** 7 base-36 characters (36^7 > 2^32, so every 32-bit value fits and the length is fixed). */
export function shortHash(text: string): string {
  return fnv1a32(text).toString(36).padStart(7, '0');
}

const MAX_NAME = 63;
const HASH_LENGTH = 7;

/** Lowercase, only [a-z0-9-], no leading/trailing/double dashes. */
export function sanitizeDnsLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The HealingAction CR name for an action workflow: a readable prefix `<policy>-<action>-<target>`
 * (sanitised, truncated) + "-" + a hash of the whole workflow id. It is a valid DNS-1123 label
 * (≤ 63 chars, [a-z0-9-], alphanumeric at both ends), so it is also a valid subdomain name.
 * The hash is over the workflow id, which includes the sequence number, so two actions never share a
 * name unless their 32-bit hashes collide *and* their prefixes are equal (odds ~2^-32 per pair).
 */
export function healingActionName(workflowId: string, actionName: string): string {
  const parsed = parseActionWorkflowId(workflowId);
  const readable = parsed ? `${parsed.policy}-${actionName}-${parsed.targetName}` : actionName;
  const prefix = sanitizeDnsLabel(sanitizeDnsLabel(readable).slice(0, MAX_NAME - HASH_LENGTH - 1));
  const hash = shortHash(workflowId);
  return prefix ? `${prefix}-${hash}` : `action-${hash}`;
}

/** `<namespace>/<kind>/<name>`: the key of a target (pod or workload) in state and results. */
export function targetKey(ref: KeyableRef): string {
  return `${ref.namespace}/${ref.kind}/${ref.name}`;
}

export function parseTargetKey(key: string): KeyableRef | undefined {
  const parts = key.split('/');
  const [namespace, kind, name] = parts;
  if (parts.length !== 3 || !namespace || !kind || !name) return undefined;
  return { namespace, kind, name };
}

/** `<targetKey>#<trigger>`: per (trigger, target) state such as `for` windows and cooldowns. */
export function triggerTargetKey(trigger: string, target: string): string {
  return `${target}#${trigger}`;
}

export function parseTriggerTargetKey(key: string): { trigger: string; targetKey: string } | undefined {
  const at = key.indexOf('#');
  if (at <= 0 || at === key.length - 1) return undefined;
  return { targetKey: key.slice(0, at), trigger: key.slice(at + 1) };
}
