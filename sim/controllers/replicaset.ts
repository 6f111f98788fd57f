// The ReplicaSet controller: keeps spec.replicas active pods (creating from the template with
// generateName "<rs>-", deleting the least useful first), and publishes status counters.
import type { KObject } from '../contract.js';
import type { ControllerContext } from './context.js';
import {
  PODS,
  REPLICASETS,
  clone,
  ignoreNotFound,
  isActivePod,
  isPodAvailable,
  isPodReady,
  matchesSelector,
  ownedView,
  ownerRef,
  podCondition,
  sameJson,
  splitKey,
} from './kube.js';

/** Pod spec from a template, with the defaults the API server would fill in. */
export function podFromTemplate(
  owner: KObject,
  template: KObject['spec'],
  extra: { name?: string; generateName?: string; labels?: Record<string, string> },
): KObject {
  const spec = clone(template?.spec ?? {});
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.dnsPolicy ??= 'ClusterFirst';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(extra.name ? { name: extra.name } : { generateName: extra.generateName }),
      namespace: owner.metadata.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      ...(template?.metadata?.annotations ? { annotations: clone(template.metadata.annotations) } : {}),
      ownerReferences: [ownerRef(owner)],
    },
    spec,
    status: { phase: 'Pending' },
  };
}

/** Deletion order (kube's ActivePods ranking): unscheduled, pending, not ready, most restarts, newest. */
function deletionRank(a: KObject, b: KObject): number {
  const scheduled = (p: KObject): number => (p.spec?.nodeName ? 1 : 0);
  const running = (p: KObject): number => (p.status?.phase === 'Running' ? 1 : 0);
  const ready = (p: KObject): number => (isPodReady(p) ? 1 : 0);
  const restarts = (p: KObject): number =>
    ((p.status?.containerStatuses ?? []) as { restartCount?: number }[]).reduce(
      (n, c) => n + (c.restartCount ?? 0),
      0,
    );
  const created = (p: KObject): number => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return (
    scheduled(a) - scheduled(b) ||
    running(a) - running(b) ||
    ready(a) - ready(b) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}

export function createReplicaSetController(ctx: ControllerContext): (key: string) => number | undefined {
  const { store, events } = ctx;
  return (key) => {
    const { namespace, name } = splitKey(key);
    const rs = store.get(REPLICASETS, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return undefined;
    const desired = Number(rs.spec?.replicas ?? 1);
    const pods = ownedView(store, PODS, rs).filter(isActivePod);
    if (pods.length < desired) {
      for (let i = pods.length; i < desired; i++) {
        const created = store.create(
          PODS,
          podFromTemplate(rs, rs.spec?.template, { generateName: `${name}-` }),
        );
        pods.push(created);
        events.record({
          object: rs,
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created pod: ${created.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
    } else if (pods.length > desired) {
      const victims = [...pods].sort(deletionRank).slice(0, pods.length - desired);
      for (const pod of victims) {
        ignoreNotFound(() =>
          store.delete(PODS, namespace, pod.metadata.name ?? '', {
            preconditions: { uid: pod.metadata.uid },
          }),
        );
        pods.splice(pods.indexOf(pod), 1);
        events.record({
          object: rs,
          type: 'Normal',
          reason: 'SuccessfulDelete',
          message: `Deleted pod: ${pod.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
    }

    const now = store.now();
    const minReadyMs = ctx.ms(Number(rs.spec?.minReadySeconds ?? 0));
    const status = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) => matchesSelector(rs.spec?.selector, p.metadata.labels)).length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReadyMs, now)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const current = rs.status ?? {};
    if (!sameJson({ ...current, ...status }, current)) {
      ignoreNotFound(() =>
        store.mutate(REPLICASETS, namespace, name, (o) => void (o.status = { ...o.status, ...status }), {
          subresource: 'status',
        }),
      );
    }
    // A ready-but-not-yet-available pod becomes available later without any event: look again then.
    const waiting = pods.filter((p) => isPodReady(p) && !isPodAvailable(p, minReadyMs, now));
    if (waiting.length === 0) return undefined;
    const since = Math.min(
      ...waiting.map((p) => Date.parse(podCondition(p, 'Ready')?.lastTransitionTime ?? '') || now),
    );
    return Math.max(50, since + minReadyMs - now);
  };
}
