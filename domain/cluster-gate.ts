// What a policy does with the cluster's answer (domain/cluster-budget.ts, asked by
// workflows/cluster-admission.ts): a planned action the cluster refused is withdrawn from the
// policy's state as if it had never been planned — no open action, no budget entry, no cooldown —
// and becomes a refusal (Suspended or ClusterBudget) with what it would have done. So the action
// still due starts at a later evaluation once the cluster lets it, exactly like a closed window.
import type { AdmitVerdict } from './cluster-budget.js';
import { triggerTargetKey } from './ids.js';
import type { PlannedAction, Refusal } from './plan-types.js';
import { cloneState, type PolicyState } from './state.js';
import { refKey } from './targets.js';

export interface Withdrawn {
  state: PolicyState;
  planned: PlannedAction[];
  refusals: Refusal[];
}

/** A verdict for every planned action that failed to ask (the cluster could not be reached). */
export function unreachableVerdicts(
  planned: readonly PlannedAction[],
  why: string,
): Record<string, AdmitVerdict> {
  return Object.fromEntries(
    planned.map((p) => [
      p.workflowId,
      { ok: false, reason: 'ClusterBudget', message: `the cluster budget could not be checked: ${why}` },
    ]),
  );
}

/**
 * Splits `planned` by the verdicts. `state` is the policy's state now (it already records every
 * planned start); `before` is the state the evaluation began from, whose cooldowns and alert claims
 * are put back for a withdrawn action. An action with no verdict is admitted (the cluster answers
 * for every id it was asked about). Does not mutate its inputs.
 */
export function withdrawRefused(input: {
  before: PolicyState;
  state: PolicyState;
  planned: readonly PlannedAction[];
  verdicts: Record<string, AdmitVerdict>;
}): Withdrawn {
  const { before, verdicts } = input;
  const state = cloneState(input.state);
  const planned: PlannedAction[] = [];
  const refusals: Refusal[] = [];
  for (const p of input.planned) {
    const verdict = verdicts[p.workflowId];
    if (!verdict || verdict.ok) {
      planned.push(p);
      continue;
    }
    if (state.open[p.targetKey]?.workflowId === p.workflowId) {
      if (before.open[p.targetKey]) state.open[p.targetKey] = before.open[p.targetKey]!;
      else delete state.open[p.targetKey];
    }
    const at = state.starts.lastIndexOf(p.startedMs);
    if (at >= 0) state.starts.splice(at, 1);
    const cooldown = triggerTargetKey(p.trigger.name, p.targetKey);
    if (before.cooldowns[cooldown] !== undefined) state.cooldowns[cooldown] = before.cooldowns[cooldown]!;
    else delete state.cooldowns[cooldown];
    for (const [key, episode] of Object.entries(state.alerts ?? {})) {
      if (episode.actionWorkflowId !== p.workflowId) continue;
      const was = before.alerts?.[key]?.actionWorkflowId;
      if (was !== undefined) episode.actionWorkflowId = was;
      else delete episode.actionWorkflowId;
    }
    state.counters.actionsStarted -= 1;
    state.counters.refusals[verdict.reason] = (state.counters.refusals[verdict.reason] ?? 0) + 1;
    refusals.push({
      trigger: p.trigger.name,
      targetKey: refKey(p.firingPod),
      target: { ...p.firingPod },
      action: p.action.name,
      actionTargetKey: p.targetKey,
      reason: verdict.reason,
      message: `${verdict.message}; ${p.trigger.reason}; would run ${p.action.name} on ${p.targetKey}`,
    });
  }
  return { state, planned, refusals };
}
