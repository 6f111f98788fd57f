// The StatefulSet controller: pods "<name>-0" … "<name>-(N-1)" with stable names. OrderedReady
// (the default) creates one pod at a time once every lower ordinal is Running and Ready, removes
// from the highest ordinal down, and rolls template changes from the highest ordinal down; a
// deleted pod comes back under the same name. Parallel creates and deletes without waiting.
import type { KObject } from '../contract.js';
import type { ControllerContext } from './context.js';
import { podFromTemplate } from './replicaset.js';
import {
  PODS,
  STATEFULSETS,
  ignoreNotFound,
  isActivePod,
  isPodAvailable,
  isPodReady,
  ownedView,
  safeHash,
  sameJson,
  splitKey,
} from './kube.js';

const REVISION_LABEL = 'controller-revision-hash';

function ordinalOf(setName: string, pod: KObject): number {
  const suffix = (pod.metadata.name ?? '').slice(setName.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

export function createStatefulSetController(ctx: ControllerContext): (key: string) => number | undefined {
  const { store, events } = ctx;
  const record = (sts: KObject, reason: string, message: string): void =>
    events.record({ object: sts, type: 'Normal', reason, message, component: 'statefulset-controller' });

  return (key) => {
    const { namespace, name } = splitKey(key);
    const sts = store.get(STATEFULSETS, namespace, name);
    if (!sts || sts.metadata.deletionTimestamp) return undefined;
    const desired = Number(sts.spec?.replicas ?? 1);
    const ordered = (sts.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const revision = `${name}-${safeHash(sts.spec?.template ?? {})}`;
    const pods = ownedView(store, PODS, sts);
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(name, p), p]));
    const healthy = (p: KObject | undefined): boolean =>
      !!p && isActivePod(p) && p.status?.phase === 'Running' && isPodReady(p);

    // Create missing pods below `desired`; OrderedReady stops at the first one not yet healthy.
    for (let i = 0; i < desired; i++) {
      const pod = byOrdinal.get(i);
      if (!pod) {
        const podName = `${name}-${i}`;
        const fresh = podFromTemplate(sts, sts.spec?.template, {
          name: podName,
          labels: {
            'statefulset.kubernetes.io/pod-name': podName,
            'apps.kubernetes.io/pod-index': String(i),
            [REVISION_LABEL]: revision,
          },
        });
        fresh.spec.hostname = podName;
        if (sts.spec?.serviceName) fresh.spec.subdomain = sts.spec.serviceName;
        // A terminating pod of the same name still holds the name: wait for it to go.
        if (store.get(PODS, namespace, podName)) break;
        const created = store.create(PODS, fresh);
        byOrdinal.set(i, created);
        record(sts, 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${name} successful`);
        if (ordered) break;
        continue;
      }
      if (!pod.metadata.deletionTimestamp && !isActivePod(pod)) {
        // A finished pod is deleted so it can be recreated under its stable name.
        ignoreNotFound(() => store.delete(PODS, namespace, pod.metadata.name ?? ''));
        record(sts, 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${name} successful`);
      }
      if (ordered && !healthy(pod)) break;
    }

    const allHealthy = [...Array(Math.min(desired, byOrdinal.size)).keys()].every((i) =>
      healthy(byOrdinal.get(i)),
    );
    // Scale down from the highest ordinal, one at a time when ordered.
    const surplus = pods
      .filter((p) => ordinalOf(name, p) >= desired && isActivePod(p))
      .sort((a, b) => ordinalOf(name, b) - ordinalOf(name, a));
    for (const pod of ordered ? surplus.slice(0, 1) : surplus) {
      if (ordered && !allHealthy) break;
      ignoreNotFound(() => store.delete(PODS, namespace, pod.metadata.name ?? ''));
      record(sts, 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${name} successful`);
    }

    // Rolling update: replace the highest-ordinal outdated pod once all pods are healthy.
    const strategy = sts.spec?.updateStrategy?.type ?? 'RollingUpdate';
    const terminating = pods.some((p) => p.metadata.deletionTimestamp);
    if (strategy === 'RollingUpdate' && allHealthy && !terminating && surplus.length === 0) {
      const outdated = [...byOrdinal.entries()]
        .filter(([i, p]) => i >= 0 && i < desired && p.metadata.labels?.[REVISION_LABEL] !== revision)
        .sort(([a], [b]) => b - a)[0];
      if (outdated) {
        ignoreNotFound(() => store.delete(PODS, namespace, outdated[1].metadata.name ?? ''));
        record(
          sts,
          'SuccessfulDelete',
          `delete Pod ${outdated[1].metadata.name} in StatefulSet ${name} successful`,
        );
      }
    }

    const current = ownedView(store, PODS, sts).filter(isActivePod);
    const now = store.now();
    const minReadyMs = ctx.ms(Number(sts.spec?.minReadySeconds ?? 0));
    const updated = current.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
    const status = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: current.length,
      readyReplicas: current.filter(isPodReady).length,
      availableReplicas: current.filter((p) => isPodAvailable(p, minReadyMs, now)).length,
      currentReplicas: updated === current.length ? current.length : current.length - updated,
      updatedReplicas: updated,
      currentRevision: updated === current.length ? revision : (sts.status?.currentRevision ?? revision),
      updateRevision: revision,
      collisionCount: 0,
    };
    if (!sameJson({ ...sts.status, ...status }, sts.status ?? {})) {
      ignoreNotFound(() =>
        store.mutate(STATEFULSETS, namespace, name, (o) => void (o.status = { ...o.status, ...status }), {
          subresource: 'status',
        }),
      );
    }
    return undefined;
  };
}
