// The Deployment controller: one ReplicaSet per pod template (named "<deploy>-<pod-template-hash>",
// revision-annotated), rolling updates within maxSurge/maxUnavailable (or Recreate), scaling via
// spec.replicas, and the status fields and conditions `kubectl rollout status` waits on.
import type { KObject } from '../contract.js';
import type { ControllerContext } from './context.js';
import {
  DEPLOYMENTS,
  PODS,
  REPLICASETS,
  clone,
  ignoreNotFound,
  ownedBy,
  ownerRef,
  safeHash,
  splitKey,
} from './kube.js';
import { deploymentStatus, rollingBounds } from './deployment-status.js';

const REVISION = 'deployment.kubernetes.io/revision';

const replicasOf = (rs: KObject): number => Number(rs.spec?.replicas ?? 0);
/** Available pods, never more than the RS is asked for: its status may lag a scale-down. */
const availableOf = (rs: KObject): number =>
  Math.min(Number(rs.status?.availableReplicas ?? 0), replicasOf(rs));
const revisionOf = (rs: KObject): number => Number(rs.metadata.annotations?.[REVISION] ?? 0);
const createdAt = (o: KObject): number => Date.parse(o.metadata.creationTimestamp ?? '') || 0;

export function createDeploymentController(ctx: ControllerContext): (key: string) => number | undefined {
  const { store, events } = ctx;

  function scale(d: KObject, rs: KObject, to: number): void {
    const from = replicasOf(rs);
    if (from === to) return;
    const desired = Number(d.spec?.replicas ?? 1);
    const updated = ignoreNotFound(() =>
      store.mutate(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? '', (o) => {
        o.spec.replicas = to;
        o.metadata.annotations = {
          ...o.metadata.annotations,
          'deployment.kubernetes.io/desired-replicas': String(desired),
          'deployment.kubernetes.io/max-replicas': String(desired + rollingBounds(d).maxSurge),
        };
      }),
    );
    if (updated) Object.assign(rs, updated);
    events.record({
      object: d,
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`,
      component: 'deployment-controller',
    });
  }

  function newReplicaSet(d: KObject, hash: string, revision: number, replicas: number): KObject {
    const template = clone(d.spec.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
    };
    const selector = clone(d.spec.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, 'pod-template-hash': hash };
    return store.create(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: { [REVISION]: String(revision) },
        ownerReferences: [ownerRef(d)],
      },
      spec: { replicas, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    });
  }

  function rollingUpdate(d: KObject, newRS: KObject, oldRSs: KObject[]): void {
    const desired = Number(d.spec?.replicas ?? 1);
    const { maxSurge, maxUnavailable } = rollingBounds(d);
    const all = [newRS, ...oldRSs];
    if (replicasOf(newRS) > desired) scale(d, newRS, desired);
    else if (replicasOf(newRS) < desired) {
      const total = all.reduce((n, rs) => n + replicasOf(rs), 0);
      const room = Math.min(desired + maxSurge - total, desired - replicasOf(newRS));
      if (room > 0) scale(d, newRS, replicasOf(newRS) + room);
    }
    const minAvailable = desired - maxUnavailable;
    const allPods = all.reduce((n, rs) => n + replicasOf(rs), 0);
    const newUnavailable = replicasOf(newRS) - availableOf(newRS);
    let budget = allPods - minAvailable - newUnavailable;
    const oldest = [...oldRSs].filter((rs) => replicasOf(rs) > 0).sort((a, b) => createdAt(a) - createdAt(b));
    // First drop old pods that are not available anyway: that costs no availability.
    for (const rs of oldest) {
      const unhealthy = replicasOf(rs) - availableOf(rs);
      const down = Math.min(budget, unhealthy);
      if (down <= 0) continue;
      scale(d, rs, replicasOf(rs) - down);
      budget -= down;
    }
    // Then available old pods, as far as minAvailable allows.
    let spare = all.reduce((n, rs) => n + availableOf(rs), 0) - minAvailable;
    for (const rs of oldest) {
      const down = Math.min(spare, replicasOf(rs));
      if (down <= 0) continue;
      scale(d, rs, replicasOf(rs) - down);
      spare -= down;
    }
  }

  function recreate(d: KObject, newRS: KObject, oldRSs: KObject[]): void {
    for (const rs of oldRSs) scale(d, rs, 0);
    const oldPods = oldRSs.flatMap((rs) => ownedBy(store, PODS, rs));
    if (oldPods.length === 0) scale(d, newRS, Number(d.spec?.replicas ?? 1));
  }

  function cleanupHistory(d: KObject, oldRSs: KObject[]): void {
    const limit = Number(d.spec?.revisionHistoryLimit ?? 10);
    const idle = oldRSs
      .filter((rs) => replicasOf(rs) === 0 && Number(rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      ignoreNotFound(() => store.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? ''));
    }
  }

  return (key) => {
    const { namespace, name } = splitKey(key);
    const d = store.get(DEPLOYMENTS, namespace, name);
    if (!d || d.metadata.deletionTimestamp) return undefined;
    const hash = safeHash(d.spec?.template ?? {});
    const owned = ownedBy(store, REPLICASETS, d);
    let newRS = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const oldRSs = owned.filter((rs) => rs !== newRS);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    let created = false;
    if (!newRS) {
      // With nothing to replace, start at full size; during a rollout the surge rules decide.
      const start = oldRSs.some((rs) => replicasOf(rs) > 0) ? 0 : Number(d.spec?.replicas ?? 1);
      newRS = newReplicaSet(d, hash, maxRevision + 1, 0);
      created = true;
      if (start > 0 && (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate')
        scale(d, newRS, start);
    } else if (revisionOf(newRS) < maxRevision) {
      // Rolling back to an older template makes its ReplicaSet the newest revision again.
      newRS =
        ignoreNotFound(() =>
          store.mutate(REPLICASETS, namespace, newRS?.metadata.name ?? '', (o) => {
            o.metadata.annotations = { ...o.metadata.annotations, [REVISION]: String(maxRevision + 1) };
          }),
        ) ?? newRS;
    }
    if (!d.spec?.paused) {
      if ((d.spec?.strategy?.type ?? 'RollingUpdate') === 'Recreate') recreate(d, newRS, oldRSs);
      else rollingUpdate(d, newRS, oldRSs);
      cleanupHistory(d, oldRSs);
    }
    const revision = newRS.metadata.annotations?.[REVISION];
    if (revision && d.metadata.annotations?.[REVISION] !== revision) {
      ignoreNotFound(() =>
        store.mutate(DEPLOYMENTS, namespace, name, (o) => {
          o.metadata.annotations = { ...o.metadata.annotations, [REVISION]: revision };
        }),
      );
    }
    const fresh = store.get(DEPLOYMENTS, namespace, name);
    if (fresh) deploymentStatus(ctx, fresh, newRS, oldRSs, created);
    return undefined;
  };
}
