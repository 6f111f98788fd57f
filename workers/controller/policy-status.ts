// HealingPolicy status as the controller writes it: from validation (Ready=False on a bad spec) and
// from the policy workflow's `status` query (mirrored on an interval). Pure functions, unit-tested.
import type { Condition } from '../../crds/common.js';
import type { HealingPolicyStatus } from '../../crds/healing-policy.js';
import type { PolicyStatusView } from '../../workflows/messages.js';

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

/** Keeps lastTransitionTime when a condition's status did not change (Kubernetes convention). */
export function mergeConditions(
  previous: Condition[] | undefined,
  next: Condition[],
  nowIso: string,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return {
      ...c,
      lastTransitionTime:
        old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : nowIso,
    };
  });
}

export function invalidStatus(opts: {
  generation?: number;
  message: string;
  previous?: HealingPolicyStatus;
  runningGeneration?: number;
  nowIso: string;
}): HealingPolicyStatus {
  const still =
    opts.runningGeneration !== undefined
      ? `; generation ${opts.runningGeneration} keeps running`
      : '; no workflow was started';
  return {
    ...opts.previous,
    ...(opts.generation !== undefined ? { observedGeneration: opts.generation } : {}),
    conditions: mergeConditions(
      opts.previous?.conditions,
      [
        {
          type: 'Ready',
          status: 'False',
          reason: 'InvalidSpec',
          message: `${opts.message}${still}`,
          ...(opts.generation !== undefined ? { observedGeneration: opts.generation } : {}),
        },
      ],
      opts.nowIso,
    ),
  };
}

export function mirroredStatus(opts: {
  view: PolicyStatusView;
  workflowId: string;
  generation?: number;
  previous?: HealingPolicyStatus;
  nowIso: string;
}): HealingPolicyStatus {
  const { view } = opts;
  const gen = opts.generation !== undefined ? { observedGeneration: opts.generation } : {};
  const held = view.held.length;
  const conditions: Condition[] = [
    {
      type: 'Ready',
      status: 'True',
      reason: 'WorkflowRunning',
      message: `evaluating in mode ${view.mode}${view.mode !== view.specMode ? ` (overridden; spec says ${view.specMode})` : ''}`,
      ...gen,
    },
    {
      type: 'Paused',
      status: view.paused ? 'True' : 'False',
      reason: view.paused ? 'PausedBySignal' : 'Running',
      message: view.paused ? 'no new actions start until resume' : 'actions start when triggers fire',
      ...gen,
    },
    {
      type: 'Degraded',
      status: held || view.snapshotErrors.length ? 'True' : 'False',
      reason: held ? 'TargetsOnHold' : view.snapshotErrors.length ? 'PartialSnapshot' : 'Healthy',
      message: held
        ? `${held} target(s) on hold after repeated failures: ${view.held.map((h) => h.subjectKey).join(', ')}`
        : view.snapshotErrors.join('; ') || 'all targets observable',
      ...gen,
    },
  ];
  const status: HealingPolicyStatus = {
    ...gen,
    conditions: mergeConditions(opts.previous?.conditions, conditions, opts.nowIso),
    activeTriggers: view.activeTriggers,
    actionsTaken: view.counters.actionsStarted,
    workflowId: opts.workflowId,
    mode: view.mode,
  };
  const lastEvaluated = iso(view.lastEvaluatedMs);
  if (lastEvaluated) status.lastEvaluated = lastEvaluated;
  const lastAction = iso(view.lastActionMs) ?? opts.previous?.lastActionTime;
  if (lastAction) status.lastActionTime = lastAction;
  return status;
}

export function notRunningStatus(opts: {
  previous?: HealingPolicyStatus;
  message: string;
  nowIso: string;
}): HealingPolicyStatus {
  return {
    ...opts.previous,
    conditions: mergeConditions(
      opts.previous?.conditions,
      [{ type: 'Ready', status: 'False', reason: 'WorkflowNotRunning', message: opts.message }],
      opts.nowIso,
    ),
  };
}
