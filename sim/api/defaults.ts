// Defaulting of built-in kinds (a subset of pkg/apis/*/v1/defaults.go). Defaults matter beyond
// looks: a PUT that omits them must not count as a spec change, and requests default to limits.
import type { KObject } from '../contract.js';

type Obj = Record<string, unknown>;
const setDefault = (o: Obj, k: string, v: unknown): void => {
  if (o[k] === undefined) o[k] = v;
};

function defaultContainer(c: Obj): void {
  const image = String(c.image ?? '');
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
  setDefault(c, 'imagePullPolicy', tagged || image.includes('@') ? 'IfNotPresent' : 'Always');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  const res = c.resources as Obj;
  // A container with limits but no requests gets requests equal to its limits.
  if (res.limits && !res.requests) res.requests = { ...(res.limits as Obj) };
  for (const p of (c.ports as Obj[] | undefined) ?? []) setDefault(p, 'protocol', 'TCP');
}

export function defaultPodSpec(spec: Obj | undefined): void {
  if (!spec) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const c of [...((spec.containers as Obj[]) ?? []), ...((spec.initContainers as Obj[]) ?? [])])
    defaultContainer(c);
}

export function defaultPod(pod: KObject): void {
  pod.spec ??= {};
  defaultPodSpec(pod.spec);
  setDefault(pod.spec, 'enableServiceLinks', true);
  setDefault(pod.spec, 'priority', 0);
  pod.status ??= {};
  setDefault(pod.status, 'phase', 'Pending');
}

export function defaultDeployment(d: KObject): void {
  d.spec ??= {};
  setDefault(d.spec, 'replicas', 1);
  setDefault(d.spec, 'revisionHistoryLimit', 10);
  setDefault(d.spec, 'progressDeadlineSeconds', 600);
  setDefault(d.spec, 'strategy', {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
  });
  defaultPodSpec(d.spec.template?.spec);
}

export function defaultReplicaSet(rs: KObject): void {
  rs.spec ??= {};
  setDefault(rs.spec, 'replicas', 1);
  defaultPodSpec(rs.spec.template?.spec);
}

export function defaultStatefulSet(s: KObject): void {
  s.spec ??= {};
  setDefault(s.spec, 'replicas', 1);
  setDefault(s.spec, 'podManagementPolicy', 'OrderedReady');
  setDefault(s.spec, 'revisionHistoryLimit', 10);
  setDefault(s.spec, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  defaultPodSpec(s.spec.template?.spec);
}

/**
 * batch/v1 Job defaults as the API server sets them on create: one completion, backoffLimit 6,
 * and (without manualSelector) a selector on the Job's uid that its pod template also carries,
 * with the job-name labels kubectl and users select by.
 */
export function defaultJob(j: KObject): void {
  j.spec ??= {};
  const spec = j.spec;
  setDefault(spec, 'completions', 1);
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  const uid = j.metadata.uid;
  if (uid && !spec.manualSelector && !spec.selector) {
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    spec.template ??= {};
    spec.template.metadata ??= {};
    spec.template.metadata.labels = {
      ...spec.template.metadata.labels,
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': j.metadata.name!,
      'controller-uid': uid,
      'job-name': j.metadata.name!,
    };
  }
  defaultPodSpec(spec.template?.spec);
}

let nextIp = 1;
export function defaultService(s: KObject): void {
  s.spec ??= {};
  setDefault(s.spec, 'type', 'ClusterIP');
  setDefault(s.spec, 'sessionAffinity', 'None');
  if (s.spec.clusterIP === undefined && s.spec.type !== 'ExternalName') {
    const n = nextIp++;
    s.spec.clusterIP = `10.96.${(n >> 8) & 255}.${n & 255}`;
    s.spec.clusterIPs = [s.spec.clusterIP];
  }
  for (const p of (s.spec.ports as Obj[] | undefined) ?? []) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'targetPort', p.port);
  }
}

export function defaultNamespace(ns: KObject): void {
  ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name! };
  ns.spec ??= {};
  setDefault(ns.spec, 'finalizers', ['kubernetes']);
  ns.status ??= {};
  setDefault(ns.status, 'phase', 'Active');
}
