// The planner's side of ineffective-fix detection (domain/ineffective.ts): which rungs of a
// trigger's ladder are on hold on this workload, and the words a HealingAction carries when the
// ladder passes one over or asks a person about it.
import type { Candidate, DecideInput, Step } from './decide.js';
import { holdMessage, remedyHold } from './ineffective.js';
import { ladderFor } from './policy.js';

export interface HeldRung {
  action: string;
  message: string;
}

/** Ladder index → the hold on that action for this trigger on this workload. */
export function heldRungs(input: DecideInput, subjectKey: string): Map<number, HeldRung> {
  const { policy, state, nowMs, evaluation } = input;
  const config = policy.safety.ineffective;
  const held = new Map<number, HeldRung>();
  if (!config.enabled || !state.remedies) return held;
  ladderFor(policy, evaluation.trigger).forEach((action, index) => {
    const rec = remedyHold(state, config, {
      subjectKey,
      trigger: evaluation.trigger,
      action: action.name,
      nowMs,
    });
    if (rec) held.set(index, { action: action.name, message: holdMessage(rec, config, nowMs) });
  });
  return held;
}

/** The held action itself runs, once a person approves, and the approval request says why. */
export function viaApproval(candidate: Candidate, h: HeldRung): Candidate {
  return {
    ...candidate,
    needsApproval: true,
    ladderChoice: {
      reason: 'IneffectiveRemediation',
      message: `${h.message}; it runs again only once a person approves`,
      passedOver: [],
    },
  };
}

/** A later rung runs because earlier ones are on hold: it says which, and why. */
export function withPassedOver(
  candidate: Candidate,
  held: Map<number, HeldRung>,
  misses: Extract<Step, { ok: false }>[],
): Candidate {
  const passed = misses.filter((m) => m.reason === 'IneffectiveRemediation');
  if (!held.size || !passed.length) return candidate;
  return {
    ...candidate,
    ladderChoice: {
      reason: 'IneffectiveRemediation',
      message: `${passed.map((m) => m.message).join('; ')}; ${candidate.action.name} runs instead`,
      passedOver: passed.map((m) => m.action),
    },
  };
}
