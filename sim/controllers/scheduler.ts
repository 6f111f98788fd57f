// The scheduler: binds each pending pod to the ready node with the fewest pods (honouring
// spec.nodeSelector and spec.unschedulable), and records PodScheduled plus a `Scheduled` event.
// Pods that name another scheduler (spec.schedulerName) are left alone, as default-scheduler does.
// Like kube-scheduler's own cache, the pods per node are counted as pod events go by (`observe`),
// not by listing every pod for each one scheduled: that made N pods cost O(N²).
import type { KObject, StoreEvent } from '../contract.js';
import type { ControllerContext } from './context.js';
import { NODES, PODS, ignoreNotFound, isActivePod, mutatePodStatus, nsName, splitKey } from './kube.js';

function schedulable(node: KObject, pod: KObject): boolean {
  if (node.spec?.unschedulable) return false;
  const ready = (node.status?.conditions as { type: string; status: string }[] | undefined)?.find(
    (c) => c.type === 'Ready',
  );
  if (ready?.status !== 'True') return false;
  const wanted = (pod.spec?.nodeSelector ?? {}) as Record<string, string>;
  return Object.entries(wanted).every(([k, v]) => node.metadata.labels?.[k] === v);
}

const DEFAULT_SCHEDULER = 'default-scheduler';

export interface Scheduler {
  reconcile(key: string): number | undefined;
  /** Every pod event, so the count of active pods per node stays current. */
  observe(event: Pick<StoreEvent, 'type' | 'object'>): void;
}

/** Active pods per node, kept from pod events: which node each counted pod is on. */
function createNodeLoad(): { load: Map<string, number>; observe: Scheduler['observe'] } {
  const load = new Map<string, number>();
  const placed = new Map<string, string>();
  const move = (node: string, by: number): void => {
    const n = (load.get(node) ?? 0) + by;
    if (n > 0) load.set(node, n);
    else load.delete(node);
  };
  return {
    load,
    observe({ type, object }) {
      const key = nsName(object);
      const before = placed.get(key);
      const node = type !== 'DELETED' && isActivePod(object) ? object.spec?.nodeName : undefined;
      if (before === node) return;
      if (before) move(before, -1);
      if (node) move(node, 1);
      if (node) placed.set(key, node);
      else placed.delete(key);
    },
  };
}

export function createScheduler(ctx: ControllerContext): Scheduler {
  const { store } = ctx;
  const { load, observe } = createNodeLoad();
  const reconcile = (key: string): number | undefined => {
    const { namespace, name } = splitKey(key);
    const pod = store.get(PODS, namespace, name);
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp) return undefined;
    if ((pod.spec?.schedulerName ?? DEFAULT_SCHEDULER) !== DEFAULT_SCHEDULER) return undefined;
    const candidates = store
      .list(NODES)
      .filter((n) => schedulable(n, pod))
      .map((n) => n.metadata.name ?? '')
      .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a.localeCompare(b));
    const nodeName = candidates[0];
    const nowIso = new Date(store.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (!nodeName) {
      mutatePodStatus(store, namespace, name, (p) => {
        p.status = {
          ...p.status,
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/0 nodes are available: no node matches the pod.',
              lastTransitionTime: nowIso,
            },
          ],
        };
      });
      return ctx.ms(5); // nodes may appear or change; try again later, as the real scheduler does
    }
    // Binding: the real scheduler posts pods/binding; in-process the effect is spec.nodeName.
    const bound = ignoreNotFound(() =>
      store.mutate(PODS, namespace, name, (p) => {
        if (!p.spec.nodeName) p.spec.nodeName = nodeName;
      }),
    );
    if (!bound || bound.spec?.nodeName !== nodeName) return undefined;
    mutatePodStatus(store, namespace, name, (p) => {
      const others = ((p.status?.conditions ?? []) as { type: string }[]).filter(
        (c) => c.type !== 'PodScheduled',
      );
      p.status = {
        ...p.status,
        phase: p.status?.phase ?? 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: nowIso }, ...others],
      };
    });
    ctx.events.record({
      object: bound,
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${namespace}/${name} to ${nodeName}`,
      component: 'default-scheduler',
    });
    return undefined;
  };
  return { reconcile, observe };
}
