// Counting the operator's requests at the real kube-apiserver.
//
// `apiserver_request_total{verb,resource}` has no user label, and the control plane's own
// components (controller-manager, scheduler, kwok, metrics-server, the load spreader) keep talking
// to the API server all the time, so a before/after delta of it is mostly not ours; subtracting a
// baseline window with the operator stopped would leave their noise in the figure. An audit log
// would need a bench-only API server flag and cannot be turned on in a cluster we reuse
// (KUBESKIPPY_REAL_KUBECONFIG). Instead we use API Priority and Fairness, which every API server
// runs: a FlowSchema classifies each request by who sends it (and what it is for), and
// `apiserver_flowcontrol_dispatched_requests_total{flow_schema}` counts every request it classified
// — lists, gets, patches, creates and each watch (checked by hand: 3 lists + `get -w` = 5). So the
// bench installs FlowSchemas that match only the operator's ServiceAccount, one per resource it
// reads or writes plus one for the rest, ahead of the built-in `service-accounts` schema, sending
// them to the same priority level that schema uses (`workload-low`): the operator is queued exactly
// as it would be without them. The delta of their counters over the measured window is the
// operator's requests, exactly, by resource. Scraped with the admin kubeconfig (/metrics).
import type { RequestOptions } from 'node:https';
import { request } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { createKube, loadKubeConfig } from '../activities/kube/clients.js';

const PREFIX = 'kubeskippy-bench-';
/** What the operator touches (deploy/operator/rbac.yaml): FlowSchema suffix → resources. */
const RESOURCES: Record<string, { groups: string[]; resources: string[] }> = {
  pods: { groups: [''], resources: ['pods', 'pods/eviction'] },
  events: { groups: ['', 'events.k8s.io'], resources: ['events'] },
  replicasets: { groups: ['apps'], resources: ['replicasets'] },
  deployments: { groups: ['apps'], resources: ['deployments'] },
  statefulsets: { groups: ['apps'], resources: ['statefulsets'] },
  daemonsets: { groups: ['apps'], resources: ['daemonsets'] },
  hpas: { groups: ['autoscaling'], resources: ['horizontalpodautoscalers'] },
  pdbs: { groups: ['policy'], resources: ['poddisruptionbudgets'] },
  metrics: { groups: ['metrics.k8s.io'], resources: ['pods'] },
  healingpolicies: { groups: ['kubeskippy.io'], resources: ['healingpolicies', 'healingpolicies/status'] },
  healingactions: { groups: ['kubeskippy.io'], resources: ['healingactions', 'healingactions/status'] },
};

/** `system:serviceaccount:<ns>:<name>` of the operator's kubeconfig. */
function serviceAccountOf(operatorKubeconfig: string): { namespace: string; name: string } {
  const kc = new KubeConfig();
  kc.loadFromFile(operatorKubeconfig);
  const [, , namespace, name] = (kc.getCurrentUser()?.name ?? '').split(':');
  if (!namespace || !name) throw new Error(`${operatorKubeconfig} is not a ServiceAccount's kubeconfig`);
  return { namespace, name };
}

function flowSchema(suffix: string, precedence: number, subject: object, rule: object): object {
  return {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: `${PREFIX}${suffix}` },
    spec: {
      matchingPrecedence: precedence,
      priorityLevelConfiguration: { name: 'workload-low' },
      distinguisherMethod: { type: 'ByUser' },
      rules: [{ subjects: [subject], ...rule }],
    },
  };
}

/** Installs (or updates) the operator's FlowSchemas with the admin kubeconfig. */
export async function installRequestCounters(
  adminKubeconfig: string,
  operatorKubeconfig: string,
): Promise<void> {
  const kube = createKube(loadKubeConfig(adminKubeconfig));
  const subject = { kind: 'ServiceAccount', serviceAccount: serviceAccountOf(operatorKubeconfig) };
  const scope = { namespaces: ['*'], clusterScope: true, verbs: ['*'] };
  const schemas = Object.entries(RESOURCES).map(([suffix, r], i) =>
    flowSchema(suffix, 1000 + i, subject, {
      resourceRules: [{ ...scope, apiGroups: r.groups, resources: r.resources }],
    }),
  );
  schemas.push(
    flowSchema('other', 1100, subject, {
      resourceRules: [{ ...scope, apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    }),
  );
  for (const s of schemas)
    await kube.objects.patch(
      s as never,
      undefined,
      undefined,
      'kubeskippy-bench',
      true,
      'application/apply-patch+yaml',
    );
}

/** The operator's requests so far by FlowSchema suffix (resource), from the API server's /metrics. */
export async function operatorRequestCounts(adminKubeconfig: string): Promise<Record<string, number>> {
  const kc = loadKubeConfig(adminKubeconfig);
  const url = `${kc.getCurrentCluster()!.server}/metrics`;
  const opts: RequestOptions = { method: 'GET' };
  await kc.applyToHTTPSOptions(opts);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
  const counts: Record<string, number> = {};
  const line =
    /^apiserver_flowcontrol_dispatched_requests_total\{[^}]*flow_schema="kubeskippy-bench-([^"]+)"[^}]*\} (\S+)$/;
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (m) counts[m[1]!] = (counts[m[1]!] ?? 0) + Number(m[2]);
  }
  return counts;
}

/** after − before, per resource and in total. */
export function requestDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): { total: number; byResource: Record<string, number> } {
  const byResource: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) byResource[k] = v - (before[k] ?? 0);
  return { total: Object.values(byResource).reduce((a, b) => a + b, 0), byResource };
}
