// What a policy workflow answers to its `status` query (and the controller mirrors into the CR):
// built purely from the normalized policy, the state and the last evaluation.
import type { PolicyMode } from '../crds/healing-policy.js';
import { ineffectiveView, type IneffectiveView } from './ineffective.js';
import type { Learning } from './learning.js';
import type { Fire, Refusal } from './plan-types.js';
import type { NormalizedPolicy } from './policy-types.js';
import { HOUR_MS } from './prune.js';
import { effectiveMode, heldSubjects, type Counters, type PolicyState } from './state.js';
import { windowState, type WindowState } from './windows.js';

export interface PolicyStatusView {
  policy: { namespace: string; name: string; generation?: number };
  mode: PolicyMode;
  specMode: PolicyMode;
  paused: boolean;
  lastEvaluatedMs?: number;
  activeTriggers: string[];
  lastActionMs?: number;
  openActions: {
    workflowId: string;
    targetKey: string;
    action: string;
    trigger: string;
    startedMs: number;
  }[];
  held: { subjectKey: string; holdUntilMs: number }[];
  /** Actions on hold on a workload because they did not last, with the attempts; absent when none. */
  ineffective?: IneffectiveView[];
  actionsInLastHour: number;
  counters: Counters;
  /** Success counts per (trigger, action) and per subject, from HealingAction outcomes. */
  learning?: Learning;
  lastRefusals: { trigger: string; targetKey: string; reason: string; message: string }[];
  snapshotErrors: string[];
  /** What normalizing the spec noticed: fields that are ignored, triggers nothing answers. */
  warnings?: string[];
  /** The last evaluation that had fires refused them all because their targets are protected. */
  allTargetsProtected?: AllProtected;
  /** What the maintenance and allowed windows say now; absent when the policy has none. */
  window?: WindowState;
}

/** Fires that could never become actions: every target they named is protected. */
export interface AllProtected {
  fires: number;
  targets: number;
  /** One refusal's words, e.g. "Pod demo/db-0 matches safetyRules.protectedResources[0]". */
  example: string;
}

/** What the last evaluation left to report (not part of PolicyState: it is not carried forward). */
export interface LastEvaluation {
  activeTriggers: string[];
  refusals: Refusal[];
  errors: string[];
  lastActionMs?: number;
  /** Set by an evaluation with fires: all of them refused as protected (undefined: some were not). */
  allProtected?: AllProtected | undefined;
}

const MAX_REFUSALS_SHOWN = 20;

/**
 * Whether an evaluation's fires were all refused because their targets are protected — a policy
 * that selects only protected objects, which can never act and would otherwise look healthy.
 * `null` when nothing fired: the previous answer stands (quiet targets say nothing new).
 */
export function allFiresProtected(
  fires: readonly Fire[],
  refusals: readonly Refusal[],
  plannedCount: number,
): AllProtected | undefined | null {
  if (fires.length === 0) return null;
  if (plannedCount > 0) return undefined;
  const protectedKeys = new Set<string>();
  let example = '';
  for (const r of refusals) {
    if (r.reason !== 'Protected') continue;
    protectedKeys.add(`${r.trigger} ${r.targetKey}`);
    example ||= r.message;
  }
  if (!fires.every((f) => protectedKeys.has(`${f.trigger} ${f.targetKey}`))) return undefined;
  return { fires: fires.length, targets: new Set(fires.map((f) => f.targetKey)).size, example };
}

export function policyStatusView(input: {
  policy: NormalizedPolicy;
  state: PolicyState;
  last: LastEvaluation;
  nowMs: number;
}): PolicyStatusView {
  const { policy, state, last, nowMs } = input;
  const { namespace, name, generation } = policy;
  const window = windowState(policy.safety, nowMs);
  const ineffective = ineffectiveView(state, policy.safety.ineffective, nowMs);
  return {
    policy: { namespace, name, ...(generation !== undefined ? { generation } : {}) },
    mode: effectiveMode(policy, state),
    specMode: policy.mode,
    paused: state.paused,
    ...(state.lastEvaluatedMs !== undefined ? { lastEvaluatedMs: state.lastEvaluatedMs } : {}),
    activeTriggers: last.activeTriggers,
    ...(last.lastActionMs !== undefined ? { lastActionMs: last.lastActionMs } : {}),
    openActions: Object.values(state.open).map((o) => ({
      workflowId: o.workflowId,
      targetKey: o.targetKey,
      action: o.action,
      trigger: o.trigger,
      startedMs: o.startedMs,
    })),
    held: heldSubjects(state, nowMs),
    ...(ineffective.length ? { ineffective } : {}),
    actionsInLastHour: state.starts.filter((t) => t > nowMs - HOUR_MS).length,
    counters: state.counters,
    ...(state.learning ? { learning: state.learning } : {}),
    lastRefusals: last.refusals
      .slice(0, MAX_REFUSALS_SHOWN)
      .map((r) => ({ trigger: r.trigger, targetKey: r.targetKey, reason: r.reason, message: r.message })),
    snapshotErrors: last.errors,
    warnings: policy.warnings,
    ...(last.allProtected ? { allTargetsProtected: last.allProtected } : {}),
    ...(window ? { window } : {}),
  };
}
