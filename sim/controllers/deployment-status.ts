// Deployment status as kube-controller-manager computes it (calculateStatus + conditions), which is
// exactly what `kubectl rollout status` reads: observedGeneration, updated/ready/available counts,
// and the Available and Progressing conditions.
import type { KObject } from '../contract.js';
import type { ControllerContext } from './context.js';
import { DEPLOYMENTS, ignoreNotFound, sameJson } from './kube.js';
import { resolveIntOrPercent } from './quantity.js';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

const num = (v: unknown): number => Number(v ?? 0);

export function rollingBounds(d: KObject): { maxSurge: number; maxUnavailable: number } {
  const desired = Number(d.spec?.replicas ?? 1);
  const rolling = d.spec?.strategy?.rollingUpdate ?? {};
  const maxSurge = resolveIntOrPercent(rolling.maxSurge ?? '25%', desired, true) ?? 1;
  let maxUnavailable = resolveIntOrPercent(rolling.maxUnavailable ?? '25%', desired, false) ?? 0;
  // Both zero would never make progress; the API forbids it, the controller treats it as 1.
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export function deploymentStatus(
  ctx: ControllerContext,
  d: KObject,
  newRS: KObject,
  oldRSs: KObject[],
  created: boolean,
): void {
  const { store } = ctx;
  const all = [newRS, ...oldRSs];
  const desired = num(d.spec?.replicas ?? 1);
  const sum = (pick: (rs: KObject) => number): number => all.reduce((n, rs) => n + pick(rs), 0);
  const replicas = sum((rs) => num(rs.status?.replicas));
  const updatedReplicas = num(newRS.status?.replicas);
  const readyReplicas = sum((rs) => num(rs.status?.readyReplicas));
  const availableReplicas = sum((rs) => num(rs.status?.availableReplicas));
  const unavailableReplicas = Math.max(0, sum((rs) => num(rs.spec?.replicas)) - availableReplicas);
  const complete =
    updatedReplicas === desired &&
    replicas === desired &&
    availableReplicas === desired &&
    num(newRS.spec?.replicas) === desired;

  const { maxUnavailable } = rollingBounds(d);
  const rsName = newRS.metadata.name;
  const before = (d.status?.conditions ?? []) as Condition[];
  const prevProgressing = before.find((c) => c.type === 'Progressing');
  // The real controller (syncRolloutStatus) leaves a finished rollout's condition alone while all
  // pods are of the new ReplicaSet: a pod that crashes later, or a scale, is no new rollout.
  const stillComplete =
    !created && prevProgressing?.reason === 'NewReplicaSetAvailable' && replicas === updatedReplicas;
  const progressing: Omit<Condition, 'type' | 'status'> = stillComplete
    ? { reason: prevProgressing.reason, message: prevProgressing.message }
    : complete
      ? { reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
      : created
        ? { reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }
        : { reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
  const available =
    availableReplicas >= desired - maxUnavailable
      ? {
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        };

  const nowIso = new Date(store.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (c: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>): Condition => {
    const prev = before.find((p) => p.type === c.type);
    const same = prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message;
    if (same) return prev;
    return {
      ...c,
      lastUpdateTime: nowIso,
      lastTransitionTime: prev?.status === c.status ? (prev.lastTransitionTime ?? nowIso) : nowIso,
    };
  };

  const status = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas,
    updatedReplicas,
    readyReplicas,
    availableReplicas,
    unavailableReplicas,
    conditions: [
      condition({ type: 'Available', ...available }),
      condition({ type: 'Progressing', status: 'True', ...progressing }),
    ],
  };
  // Omit zero counters like the real API does (they are omitempty), so `kubectl get` reads naturally.
  const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== 0)) as Record<
    string,
    unknown
  >;
  clean['observedGeneration'] = status.observedGeneration;
  if (sameJson(clean, d.status ?? {})) return;
  ignoreNotFound(() =>
    store.mutate(DEPLOYMENTS, d.metadata.namespace, d.metadata.name ?? '', (o) => void (o.status = clean), {
      subresource: 'status',
    }),
  );
}
