// Pure helpers of the healing-action workflow: mapping a planned action to what activities need.
import type { ExecutorAction } from '../activities/executors/types.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { ClusterSnapshot, PodSnapshot } from '../domain/snapshot.js';
import { isBuiltinQuery, refKey, type SnapshotRequest } from '../domain/targets.js';

export const rfc3339 = (ms: number): string => new Date(ms).toISOString();

export function toExecutorAction(planned: PlannedAction): ExecutorAction {
  const a = planned.action;
  switch (a.type) {
    case 'restart':
      return {
        type: 'restart',
        strategy: a.restartAction?.strategy ?? 'evict',
        gracePeriodSeconds: a.restartAction?.gracePeriodSeconds ?? 30,
      };
    case 'scale': {
      const s = a.scaleAction!;
      return {
        type: 'scale',
        direction: s.direction,
        replicas: s.replicas,
        minReplicas: s.minReplicas,
        maxReplicas: s.maxReplicas,
      };
    }
    case 'patch': {
      const p = a.patchAction!;
      return { type: 'patch', patchType: p.type, document: p.patch, allowedPaths: p.allowedPaths };
    }
    case 'delete': {
      const d = a.deleteAction;
      return {
        type: 'delete',
        gracePeriodSeconds: d?.gracePeriodSeconds ?? 30,
        force: d?.force ?? false,
        propagationPolicy: d?.propagationPolicy ?? 'Background',
      };
    }
  }
}

/** What to read to check safety and verify: the target's namespace, with what the trigger needs. */
export function snapshotRequestFor(planned: PlannedAction): SnapshotRequest {
  const t = planned.triggerSpec;
  return {
    namespaces: [planned.target.namespace],
    kinds: ['Pod'],
    needUsage: t.type === 'metric' && t.query !== 'restart_count' && isBuiltinQuery(t.query),
    promQueries: t.type === 'metric' && !isBuiltinQuery(t.query) ? [t.query] : [],
    eventLookbackMs: t.type === 'event' ? t.windowMs : 0,
  };
}

export function actionLabels(planned: PlannedAction, phase: string): Record<string, string> {
  const label = (v: string): string =>
    v
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 63)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return {
    'app.kubernetes.io/managed-by': 'kubeskippy',
    'kubeskippy.io/policy': label(planned.policyRef.name),
    'kubeskippy.io/trigger': label(planned.trigger.name),
    'kubeskippy.io/action': label(planned.action.name),
    'kubeskippy.io/action-type': planned.action.type,
    'kubeskippy.io/target-kind': planned.target.kind,
    'kubeskippy.io/target-name': label(planned.target.name),
    'kubeskippy.io/phase': phase,
  };
}

const mib = (b: number): string => `${Math.round(b / 2 ** 20)}Mi`;

/** Usage of the pods involved, for the record ("memory: 445Mi (87%)"). */
export function usageOf(pods: PodSnapshot[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pod of pods) {
    for (const c of pod.containers) {
      if (!c.usage) continue;
      const key = pods.length > 1 || pod.containers.length > 1 ? `${pod.ref.name}/${c.name}` : '';
      const limit = c.memoryLimitBytes;
      out[`${key ? key + ' ' : ''}memory`] =
        mib(c.usage.memoryBytes) + (limit ? ` (${Math.round((100 * c.usage.memoryBytes) / limit)}%)` : '');
      out[`${key ? key + ' ' : ''}cpu`] = `${Math.round(c.usage.cpuMillicores)}m`;
    }
    const restarts = pod.containers.reduce((n, c) => n + c.restartCount, 0);
    out[`${pods.length > 1 ? pod.ref.name + ' ' : ''}restarts`] = String(restarts);
  }
  return out;
}

/** The firing pod, or (after a restart) the pods that replaced it. */
export function podsOfInterest(
  planned: PlannedAction,
  snapshot: ClusterSnapshot,
  checked: string[] = [],
): PodSnapshot[] {
  const firing = snapshot.pods.filter((p) => p.ref.uid === planned.firingPod.uid && !p.deleting);
  if (firing.length) return firing;
  return snapshot.pods.filter((p) => checked.includes(refKey(p.ref)));
}
