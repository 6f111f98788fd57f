// Pure pieces of a healing action's record: its labels, the usage figures shown before and after,
// the pods it is about, its Events and the reasons its phases end with. The workflow sequences
// them; nothing here reads the clock (times are parameters).
import { API_VERSION } from '../crds/api-group.js';
import type { ActionPhase } from '../crds/healing-action.js';
import { eventPair, type EmitEventInput } from './events.js';
import type { PlannedAction } from './plan-types.js';
import { formatNumber } from './samples.js';
import type { ClusterSnapshot, PodSnapshot } from './snapshot.js';
import { refKey } from './targets.js';

export const rfc3339 = (ms: number): string => new Date(ms).toISOString();

/** The reasons a HealingAction's phases carry (status.reason), besides the safety refusals' own. */
export const ActionReason = {
  Planned: 'Planned',
  ApprovalRequired: 'ApprovalRequired',
  ApprovalExpired: 'ApprovalExpired',
  RejectedByUser: 'RejectedByUser',
  Executing: 'Executing',
  ExecutionFailed: 'ExecutionFailed',
  DryRun: 'DryRun',
  TargetGone: 'TargetGone',
  /** The safety check's read of the cluster failed after its retries: nothing was done. */
  ClusterReadFailed: 'ClusterReadFailed',
  /** The alert the action answers resolved before the action ran: nothing left to heal. */
  AlertResolved: 'AlertResolved',
  /** The cluster's kill switch (KubeSkippyConfig cluster spec.suspended) was on at a safe step. */
  Suspended: 'Suspended',
  Verifying: 'Verifying',
  NotHealed: 'NotHealed',
  NotHealedReverted: 'NotHealedReverted',
  /** A job action: its Job is running, failed, outlived the wait, or was deleted before it ended. */
  JobRunning: 'JobRunning',
  JobFailed: 'JobFailed',
  JobTimedOut: 'JobTimedOut',
  JobGone: 'JobGone',
  /** Argo CD or Flux syncs the target and would revert the change (domain/gitops.ts). */
  GitOpsManaged: 'GitOpsManaged',
} as const;

export function actionLabels(planned: PlannedAction, phase: ActionPhase): Record<string, string> {
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
    // `kubectl get ha -l kubeskippy.io/cluster=a`; a cluster name is a DNS label, valid as a value.
    ...(planned.cluster !== undefined ? { 'kubeskippy.io/cluster': planned.cluster } : {}),
  };
}

const mib = (b: number): string => `${Math.round(b / 2 ** 20)}Mi`;

/** Usage of the pods involved, for the record ("memory: 445Mi (87%)"), and their PromQL values. */
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
    // A PromQL trigger's value, keyed by its query: the figure such an action acted on, before it
    // and after, as the built-ins' usage is (snapshots carry only the trigger's own queries).
    for (const [query, value] of Object.entries(pod.customMetrics ?? {}))
      out[`${pods.length > 1 ? pod.ref.name + ' ' : ''}${query}`] = formatNumber(value);
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

/** An action's Event on its target and on its policy, named after the HealingAction and the reason. */
/** The Events of an action's step: on the target and the policy, and (given its uid) on the
 * HealingAction itself, so `kubectl describe healingaction` lists them. */
export function actionEvents(
  planned: PlannedAction,
  e: { type: EmitEventInput['type']; reason: string; message: string; nowMs: number; actionUid?: string },
): EmitEventInput[] {
  const name = `${planned.healingActionName}.${e.reason.toLowerCase()}`;
  const pair = eventPair({
    name,
    target: planned.target,
    policy: planned.policyRef,
    type: e.type,
    reason: e.reason,
    targetMessage: `${planned.policyRef.name}/${planned.action.name}: ${e.message}`,
    policyMessage: `${planned.targetKey}: ${e.message}`,
    timeMs: e.nowMs,
  });
  if (!e.actionUid) return pair;
  const action = {
    apiVersion: API_VERSION,
    kind: 'HealingAction',
    namespace: planned.policyRef.namespace,
    name: planned.healingActionName,
    uid: e.actionUid,
  };
  return [
    ...pair,
    {
      name: `${name}.action`,
      involvedObject: action,
      type: e.type,
      reason: e.reason,
      message: e.message,
      timeMs: e.nowMs,
    },
  ];
}
