// What the policy workflow hands a healing action when its policy asks for AI analysis: the
// settings, the actions the model may choose from, and the evidence it should weigh. Pure.
//
// The allow-list is the trigger's own ladder, filtered by the very same per-action checks as the
// rule (resolveTarget, HPA, scale bounds, minimum ready, PDB), by conflicts with open actions and
// by cooldowns. So a model's choice can only be something the rule itself could have run now.

import { describeAction } from './action-types.js';
import type { AiAnalysis } from '../crds/healing-policy.js';
import { tryAction, conflicts, type DecideInput } from './decide.js';
import { parseDurationOr } from './duration.js';
import { triggerTargetKey } from './ids.js';
import { formatRate, learningKey, type RecentOutcome } from './learning.js';
import { ladderFor } from './policy.js';
import type { NormalizedAction } from './policy-types.js';
import { subjectKeyOf } from './targets.js';

export interface AiSettings {
  provider: AiAnalysis['provider'];
  model?: string;
  minConfidence: number;
  mode: AiAnalysis['mode'];
  timeoutMs: number;
}

export interface AiAlternative {
  /** The policy's action template, complete, so `decide` mode can run it without the policy. */
  action: NormalizedAction;
  ladderIndex: number;
  /** The object it would change, as planned (re-resolved on a fresh snapshot before acting). */
  targetKey: string;
  description: string;
  /** Past success of this action for this trigger: "3/4 (75%)". */
  successRate: string;
}

export interface PlannedAi {
  settings: AiSettings;
  alternatives: AiAlternative[];
  evidence: {
    subjectKey: string;
    subjectRate: string;
    recent: RecentOutcome[];
    /** Restart totals of the firing pod over time: [epoch ms, total], the last few. */
    restartHistory: [number, number][];
  };
}

const MAX_RESTART_POINTS = 10;

export function aiSettings(ai: AiAnalysis): AiSettings {
  return {
    provider: ai.provider,
    ...(ai.model ? { model: ai.model } : {}),
    minConfidence: ai.minConfidence,
    mode: ai.mode,
    timeoutMs: parseDurationOr(ai.timeout, 30_000),
  };
}

/** The AI block of a planned action, or undefined when the policy does not ask for analysis. */
export function planAi(input: DecideInput, chosen: { action: string }): PlannedAi | undefined {
  const { policy, state, pod, evaluation, nowMs } = input;
  if (!policy.aiAnalysis?.enabled) return undefined;
  const learning = state.learning;
  const alternatives: AiAlternative[] = [];
  ladderFor(policy, evaluation.trigger).forEach((action, index) => {
    const step = tryAction(input, action, index);
    if (!step.ok) return;
    const c = step.candidate;
    const isChosen = action.name === chosen.action;
    if (!isChosen) {
      if (Object.values(state.open).some((o) => conflicts(c, o))) return;
      const until = state.cooldowns[triggerTargetKey(evaluation.trigger, c.targetKey)];
      if (until !== undefined && until > nowMs) return;
    }
    alternatives.push({
      action,
      ladderIndex: index,
      targetKey: c.targetKey,
      description: describeAction(action),
      successRate: formatRate(learning?.byTriggerAction[learningKey(evaluation.trigger, action.name)]),
    });
  });
  const subjectKey = subjectKeyOf(pod);
  const subject = learning?.bySubject[subjectKey];
  const restarts = pod.ref.uid ? state.restarts[pod.ref.uid]?.points : undefined;
  return {
    settings: aiSettings(policy.aiAnalysis),
    alternatives,
    evidence: {
      subjectKey,
      subjectRate: formatRate(subject),
      recent: subject?.recent ?? [],
      restartHistory: (restarts ?? []).slice(-MAX_RESTART_POINTS).map(([t, n]) => [t, n]),
    },
  };
}
