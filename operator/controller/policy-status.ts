// HealingPolicy status as the controller writes it: from validation (Ready=False on a bad spec) and
// from the policy workflow's `status` query (mirrored on an interval). Pure functions, unit-tested.
import type { Condition } from '../../crds/common.js';
import type { HealingPolicyStatus, IneffectiveHoldStatus } from '../../crds/healing-policy.js';
import type { PolicyStatusView } from '../../workflows/messages.js';

/** The reasons of a HealingPolicy's conditions (Ready, Paused, Degraded, Warnings), as users see them. */
export const PolicyReason = {
  WorkflowRunning: 'WorkflowRunning',
  WorkflowNotRunning: 'WorkflowNotRunning',
  InvalidSpec: 'InvalidSpec',
  PausedBySignal: 'PausedBySignal',
  Running: 'Running',
  TargetsOnHold: 'TargetsOnHold',
  IneffectiveRemediation: 'IneffectiveRemediation',
  AllTargetsProtected: 'AllTargetsProtected',
  PartialSnapshot: 'PartialSnapshot',
  Healthy: 'Healthy',
  SpecWarnings: 'SpecWarnings',
  NoWarnings: 'NoWarnings',
  MaintenanceWindow: 'MaintenanceWindow',
  OutsideAllowedWindow: 'OutsideAllowedWindow',
  Open: 'Open',
} as const;

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

/**
 * metav1.Condition's bound on a message. A spec's errors can quote far more (an invalid 800 KB
 * regex is quoted whole), and a status that takes the object past etcd's size limit can never be
 * written: the policy would have no Ready condition at all.
 */
export const MAX_CONDITION_MESSAGE = 32_768;

function bounded(message: string, room: number): string {
  if (message.length <= room) return message;
  const keep = room - 40;
  return `${message.slice(0, keep)}… (${message.length - keep} more characters)`;
}

/** Ready=False for a rejected generation, saying what still runs. */
function invalidReady(
  generation: number | undefined,
  message: string,
  runningGeneration?: number,
): Condition {
  const still =
    runningGeneration !== undefined
      ? `; generation ${runningGeneration} keeps running`
      : '; no workflow was started';
  return {
    type: 'Ready',
    status: 'False',
    reason: PolicyReason.InvalidSpec,
    message: `${bounded(message, MAX_CONDITION_MESSAGE - still.length)}${still}`,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

export function invalidStatus(opts: {
  generation?: number;
  message: string;
  previous?: HealingPolicyStatus;
  runningGeneration?: number;
  nowIso: string;
}): HealingPolicyStatus {
  return {
    ...opts.previous,
    ...(opts.generation !== undefined ? { observedGeneration: opts.generation } : {}),
    conditions: mergeConditions(
      opts.previous?.conditions,
      [invalidReady(opts.generation, opts.message, opts.runningGeneration)],
      opts.nowIso,
    ),
  };
}

/** What normalizing the spec noticed (a block that is ignored, a trigger nothing answers): valid, but
 *  probably not what the author meant. */
function warningsCondition(warnings: string[], gen: { observedGeneration?: number }): Condition {
  return warnings.length
    ? {
        type: 'Warnings',
        status: 'True',
        reason: PolicyReason.SpecWarnings,
        message: warnings.join('; '),
        ...gen,
      }
    : {
        type: 'Warnings',
        status: 'False',
        reason: PolicyReason.NoWarnings,
        message: 'every trigger and action block is used',
        ...gen,
      };
}

/** Degraded: targets on hold, every fire refused as protected, or a partial snapshot — in that order. */
function degraded(view: PolicyStatusView): Condition {
  const held = view.held.length;
  const all = view.allTargetsProtected;
  if (held)
    return {
      type: 'Degraded',
      status: 'True',
      reason: PolicyReason.TargetsOnHold,
      message: `${held} target(s) on hold after repeated failures: ${view.held.map((h) => h.subjectKey).join(', ')}`,
    };
  const ineffective = view.ineffective ?? [];
  if (ineffective.length)
    return {
      type: 'Degraded',
      status: 'True',
      reason: PolicyReason.IneffectiveRemediation,
      message: `${ineffective.length} action(s) on hold because they did not last: ${ineffective.map((h) => `${h.action} on ${h.subjectKey} (${h.trigger})`).join(', ')}`,
    };
  if (all)
    return {
      type: 'Degraded',
      status: 'True',
      reason: PolicyReason.AllTargetsProtected,
      message:
        `every fire of the last evaluation that had any (${all.fires} on ${all.targets} target(s)) was ` +
        `refused because its target is protected, so this policy cannot act: ${all.example}`,
    };
  const errors = view.snapshotErrors;
  return {
    type: 'Degraded',
    status: errors.length ? 'True' : 'False',
    reason: errors.length ? PolicyReason.PartialSnapshot : PolicyReason.Healthy,
    message: errors.join('; ') || 'all targets observable',
  };
}

const WINDOW_REASONS = {
  maintenance: PolicyReason.MaintenanceWindow,
  'outside-allowed': PolicyReason.OutsideAllowedWindow,
  open: PolicyReason.Open,
} as const;

/** Window: True while a maintenance window, or being outside every allowed window, holds new actions back. */
function windowCondition(view: PolicyStatusView): Condition[] {
  const w = view.window;
  if (!w) return [];
  return [
    {
      type: 'Window',
      status: w.state === 'open' ? 'False' : 'True',
      reason: WINDOW_REASONS[w.state],
      message: w.message,
    },
  ];
}

/** One held action as `kubectl get hp -o yaml` shows it: times in RFC 3339, HealingAction names. */
function ineffectiveStatus(h: NonNullable<PolicyStatusView['ineffective']>[number]): IneffectiveHoldStatus {
  const at = (ms: number): string => new Date(ms).toISOString();
  return {
    workload: h.subjectKey,
    trigger: h.trigger,
    action: h.action,
    since: at(h.sinceMs),
    until: at(h.untilMs),
    then: h.then,
    message: h.message,
    evidence: h.evidence.map((e) => ({
      healingAction: e.healingAction,
      outcome: e.outcome,
      startTime: at(e.startedMs),
      completionTime: at(e.endedMs),
      ...(e.relapsedMs !== undefined ? { relapseTime: at(e.relapsedMs) } : {}),
    })),
  };
}

export function mirroredStatus(opts: {
  view: PolicyStatusView;
  workflowId: string;
  generation?: number;
  previous?: HealingPolicyStatus;
  /** A newer generation was rejected: Ready stays False (naming the field) while the old one runs. */
  invalid?: { generation?: number; message: string };
  nowIso: string;
}): HealingPolicyStatus {
  const { view, invalid } = opts;
  const gen = opts.generation !== undefined ? { observedGeneration: opts.generation } : {};
  const conditions: Condition[] = [
    invalid
      ? invalidReady(invalid.generation, invalid.message, opts.generation)
      : {
          type: 'Ready',
          status: 'True',
          reason: PolicyReason.WorkflowRunning,
          message: `evaluating in mode ${view.mode}${view.mode !== view.specMode ? ` (overridden; spec says ${view.specMode})` : ''}`,
          ...gen,
        },
    {
      type: 'Paused',
      status: view.paused ? 'True' : 'False',
      reason: view.paused ? PolicyReason.PausedBySignal : PolicyReason.Running,
      message: view.paused ? 'no new actions start until resume' : 'actions start when triggers fire',
      ...gen,
    },
    { ...degraded(view), ...gen },
    warningsCondition(view.warnings ?? [], gen),
    ...windowCondition(view).map((c) => ({ ...c, ...gen })),
  ];
  const status: HealingPolicyStatus = {
    ...(invalid?.generation !== undefined ? { observedGeneration: invalid.generation } : gen),
    conditions: mergeConditions(opts.previous?.conditions, conditions, opts.nowIso),
    activeTriggers: view.activeTriggers,
    actionsTaken: view.counters.actionsStarted,
    workflowId: opts.workflowId,
    mode: view.mode,
  };
  // A merge patch keeps a field it does not name: an empty list is how the last hold's end is written.
  if (view.ineffective?.length) status.ineffectiveRemediations = view.ineffective.map(ineffectiveStatus);
  else if (opts.previous?.ineffectiveRemediations?.length) status.ineffectiveRemediations = [];
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
      [{ type: 'Ready', status: 'False', reason: PolicyReason.WorkflowNotRunning, message: opts.message }],
      opts.nowIso,
    ),
  };
}
