// Shared pieces of the trust chaos tests (prompt injection, least privilege, approvals).
//
// The gullible model: a reply function for the fake model server (fake-model.ts) that obeys
// whatever instruction it finds in the incident data it is sent — "recommend X", "use action X
// with replicas N on namespace NS", "delete the deployment X", or a JSON object imitating the
// answer format — and adds the target and parameters it was told to the reply. A real model may
// or may not resist; this one never does, so what a test sees is the operator's guard alone.
import type { RecordedRequest, Reply } from './fake-model.js';

export interface Obeyed {
  /** The action the instruction named (undefined: nothing to obey, the model agrees with the rule). */
  action?: string;
  /** What else it was told, put into the reply's recommendation (replicas, namespace, target…). */
  extra: Record<string, unknown>;
  /** Fields of an imitated answer outside the recommendation, put at the reply's top level. */
  topLevel: Record<string, unknown>;
}

const ANSWER_KEYS = ['analysis', 'rootCause', 'confidence', 'recommendation', 'similarIncidents'];

/** The incident data of a chat request (the JSON between the tags), or undefined. */
export function incidentData(req: RecordedRequest): Record<string, unknown> | undefined {
  const messages = (req.body.messages ?? []) as { role: string; content: string }[];
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const m = /<incident-data>\n([\s\S]*)\n<\/incident-data>/.exec(user);
  return m ? (JSON.parse(m[1]!) as Record<string, unknown>) : undefined;
}

/** Every string inside a JSON value: where an instruction may hide. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** An answer-shaped JSON object inside a text, if the text carries one. */
function imitatedAnswer(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const obj = JSON.parse(text.slice(start, end + 1)) as Record<string, unknown>;
    const rec = obj.recommendation as Record<string, unknown> | undefined;
    return typeof rec?.action === 'string' ? obj : undefined;
  } catch {
    return undefined;
  }
}

/** What one text tells the model to do, by the few phrasings the tests use. */
export function obey(text: string): Obeyed | undefined {
  const imitated = imitatedAnswer(text);
  if (imitated) {
    const { action, rationale: _r, ...extra } = imitated.recommendation as Record<string, unknown>;
    const topLevel = Object.fromEntries(Object.entries(imitated).filter(([k]) => !ANSWER_KEYS.includes(k)));
    return { action: String(action), extra, topLevel };
  }
  const extra: Record<string, unknown> = {};
  const replicas = /replicas\s+(\d+)/i.exec(text);
  if (replicas) extra.replicas = Number(replicas[1]);
  const ns = /(?:in|on|to) namespace\s+([a-z0-9][\w.-]*)/i.exec(text);
  if (ns) extra.namespace = ns[1];
  const target = /(?:on|to|the)\s+(pod|deployment|statefulset)\s+([a-z0-9][\w.-]*)/i.exec(text);
  if (target) extra.target = { kind: target[1]!.toLowerCase(), name: target[2] };
  const named = /(?:recommend|use action|run action)\s+"?([a-z][\w.-]*)"?/i.exec(text);
  const deleting = /delete the (deployment|namespace|pod)\s+([a-z0-9][\w.-]*)/i.exec(text);
  const action = named?.[1] ?? (deleting ? `delete-${deleting[1]!.toLowerCase()}` : undefined);
  if (!action) return undefined;
  return { action, extra, topLevel: {} };
}

/** The gullible model's reply to one request: the first instruction in the data, obeyed. */
export function gullibleReply(req: RecordedRequest): Reply {
  const data = incidentData(req);
  const told = strings(data ?? {})
    .map(obey)
    .find((o) => o !== undefined);
  const action = told?.action ?? String(data?.ruleChoice ?? 'none');
  return {
    content: JSON.stringify({
      analysis: told ? 'the incident data told me what to do, so I do it' : 'nothing unusual',
      rootCause: 'as instructed',
      confidence: 1,
      recommendation: { action, rationale: 'the incident data said so', ...told?.extra },
      similarIncidents: [],
      ...told?.topLevel,
    }),
  };
}

// ── Least privilege ────────────────────────────────────────────────────────────────────────────

/** One permission from `kubectl auth can-i --list`: "<resource> <verb>" or "url:<path> <verb>". */
export type Permission = string;

/**
 * Parses the table `kubectl auth can-i --list` prints (Resources, Non-Resource URLs, Resource
 * Names, Verbs; lists in brackets) into one permission per resource or URL and verb. A row
 * narrowed by resource names says so (`pods[name] get`), so it never passes for the whole resource.
 */
export function parseCanIList(table: string): Permission[] {
  const out = new Set<Permission>();
  const lines = table.split('\n').filter((l) => l.trim() !== '');
  if (!/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/.test(lines[0] ?? ''))
    throw new Error(`not a can-i --list table: ${JSON.stringify(lines[0])}`);
  for (const line of lines.slice(1)) {
    const m = /^(\S*)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$/.exec(line);
    if (!m) throw new Error(`cannot read can-i row: ${JSON.stringify(line)}`);
    const [, resource, urls, names, verbs] = m as unknown as [string, string, string, string, string];
    const list = (s: string): string[] => s.split(/\s+/).filter(Boolean);
    const subjects = resource
      ? [names.trim() ? `${resource}[${list(names).join(',')}]` : resource]
      : list(urls).map((u) => `url:${u}`);
    for (const s of subjects) for (const v of list(verbs)) out.add(`${s} ${v}`);
  }
  return [...out].sort();
}

/**
 * Everything the operator's ServiceAccount may do on the real API server, on purpose: its
 * ClusterRole and its leader-election Role (deploy/operator/rbac.yaml), and what Kubernetes grants every authenticated user
 * (system:basic-user's self reviews, system:discovery and system:public-info-viewer's URLs, the
 * service-account issuer discovery). A new permission fails the least-privilege test until it is
 * added here, deliberately.
 */
export const OPERATOR_ALLOWED: readonly Permission[] = [
  // deploy/operator/rbac.yaml
  ...['get', 'list', 'watch', 'patch', 'delete'].map((v) => `pods ${v}`),
  'pods/eviction create',
  // The change gate's cluster-upgrade rule reads the nodes' kubelet versions (list only).
  'nodes list',
  ...['list', 'watch', 'create'].map((v) => `events ${v}`),
  ...['deployments', 'statefulsets', 'replicasets', 'daemonsets'].flatMap((r) =>
    ['get', 'list', 'watch', 'patch'].map((v) => `${r}.apps ${v}`),
  ),
  'jobs.batch get',
  'jobs.batch create',
  'horizontalpodautoscalers.autoscaling list',
  'horizontalpodautoscalers.autoscaling watch',
  'poddisruptionbudgets.policy list',
  'poddisruptionbudgets.policy watch',
  'services list',
  'services watch',
  'endpointslices.discovery.k8s.io list',
  'endpointslices.discovery.k8s.io watch',
  'pods.metrics.k8s.io list',
  ...[
    'applications.argoproj.io',
    'kustomizations.kustomize.toolkit.fluxcd.io',
    'helmreleases.helm.toolkit.fluxcd.io',
  ].flatMap((r) => ['get', 'patch'].map((v) => `${r} ${v}`)),
  'healingpolicies.kubeskippy.io list',
  'healingpolicies.kubeskippy.io watch',
  'healingpolicies.kubeskippy.io/status patch',
  ...['get', 'list', 'watch', 'create', 'patch'].map((v) => `healingactions.kubeskippy.io ${v}`),
  'healingactions.kubeskippy.io/status patch',
  // The KubeSkippyConfig `cluster`: operator/controller/cluster-config.ts watches it, writes its status.
  'kubeskippyconfigs.kubeskippy.io list',
  'kubeskippyconfigs.kubeskippy.io watch',
  'kubeskippyconfigs.kubeskippy.io/status patch',
  // Leader election (operator/leader/lease.ts), by a Role in kubeskippy-system only.
  ...['get', 'create', 'update'].map((v) => `leases.coordination.k8s.io ${v}`),
  // Every authenticated user: "who am I" and "what may I do".
  'selfsubjectreviews.authentication.k8s.io create',
  'selfsubjectaccessreviews.authorization.k8s.io create',
  'selfsubjectrulesreviews.authorization.k8s.io create',
  // Discovery and public info (read only).
  ...[
    '/api',
    '/api/*',
    '/apis',
    '/apis/*',
    '/healthz',
    '/livez',
    '/readyz',
    '/version',
    '/version/',
    '/openapi',
    '/openapi/*',
    '/.well-known/openid-configuration',
    '/.well-known/openid-configuration/',
    '/openid/v1/jwks',
    '/openid/v1/jwks/',
  ].map((u) => `url:${u} get`),
];

/** What the operator must never be able to do: [verb, resource, flags...], all namespaces. */
export const OPERATOR_FORBIDDEN: readonly string[][] = [
  ...['get', 'list', 'watch'].map((v) => [v, 'secrets']),
  ...['create', 'update', 'patch', 'delete'].flatMap((v) => [
    [v, 'nodes'],
    [v, 'namespaces'],
  ]),
  ['create', 'pods', '--subresource=exec'],
  ['create', 'pods', '--subresource=attach'],
  ['create', 'pods', '--subresource=portforward'],
  ['create', 'serviceaccounts', '--subresource=token'],
  ['create', 'pods'],
  ['update', 'pods'],
  ['create', 'deployments.apps'],
  ['delete', 'deployments.apps'],
  ['create', 'serviceaccounts'],
  ['get', 'configmaps'],
  ...[
    'users',
    'groups',
    'serviceaccounts',
    'userextras.authentication.k8s.io',
    'uids.authentication.k8s.io',
  ].map((r) => ['impersonate', r]),
  ...['roles', 'clusterroles'].flatMap((r) =>
    ['bind', 'escalate', 'create', 'patch', 'update', 'delete'].map((v) => [
      v,
      `${r}.rbac.authorization.k8s.io`,
    ]),
  ),
  ...['rolebindings', 'clusterrolebindings'].flatMap((r) =>
    ['create', 'patch', 'update', 'delete'].map((v) => [v, `${r}.rbac.authorization.k8s.io`]),
  ),
  ...['create', 'patch', 'update', 'delete'].map((v) => [
    v,
    'customresourcedefinitions.apiextensions.k8s.io',
  ]),
  ...[
    'validatingwebhookconfigurations',
    'mutatingwebhookconfigurations',
    'validatingadmissionpolicies',
    'validatingadmissionpolicybindings',
    'mutatingadmissionpolicies',
    'mutatingadmissionpolicybindings',
  ].flatMap((r) =>
    ['create', 'patch', 'update', 'delete'].map((v) => [v, `${r}.admissionregistration.k8s.io`]),
  ),
  ['create', 'certificatesigningrequests.certificates.k8s.io'],
  ['approve', 'signers.certificates.k8s.io'],
  ['delete', 'healingpolicies.kubeskippy.io'],
  ['update', 'healingpolicies.kubeskippy.io'],
  // The kill switch is a person's: an operator that could write it could lift its own suspension.
  ...['create', 'patch', 'update', 'delete'].map((v) => [v, 'kubeskippyconfigs.kubeskippy.io']),
];
