// What a model's answer may change, decided purely. The answer is only an input:
//
//   model failed (down, slow, garbage) ─────────────▶ rule's action runs, record says why
//   confidence < minConfidence ─────────────────────▶ rule's action runs (BelowMinConfidence)
//   action not in the allow-list (nor "none") ──────▶ rule's action runs (NotAllowed)
//   advise mode ────────────────────────────────────▶ rule's action runs, analysis recorded
//   decide mode: "none" ────────────────────────────▶ Skipped (AiRecommendedNone)
//                another allowed action ────────────▶ its target re-resolved on a fresh snapshot;
//                                                      then the same live safety and approval
// Nothing here skips protection, budgets, approval or the live safety check: they run after.
// Anything the answer adds beyond an action name (a target, replicas, a namespace) is never used;
// the reason names it, so a prompt-injection attempt is on the record.

import type { AiAnalysisRecord } from '../crds/healing-action.js';
import type { AiAlternative } from './ai-plan.js';
import type { PlannedAction } from './plan-types.js';
import { desiredReplicas } from './scale.js';
import type { ClusterSnapshot } from './snapshot.js';
import { refKey, resolveTarget } from './targets.js';

/** The model's answer, as parsed and validated by the analyzeIncident activity. */
export interface AiAnswer {
  analysis: string;
  rootCause: string;
  confidence: number;
  recommendation: { action: string; rationale: string };
  similarIncidents: string[];
  /** Fields the reply added beyond the schema (`path=value`), never used; named in the record. */
  ignored?: string[];
}

export type AiOutcome =
  | { ok: true; model: string; answer: AiAnswer }
  | { ok: false; reason: string; message: string; model?: string };

export interface AiVerdict {
  /** The action to run: the planned one, or the allowed alternative the model chose. */
  planned: PlannedAction;
  record: AiAnalysisRecord;
  /** decide mode and the model said "none": end Skipped with this reason. */
  skip?: { reason: 'AiRecommendedNone'; message: string };
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function applyAiAnswer(input: {
  planned: PlannedAction;
  outcome: AiOutcome;
  snapshot: ClusterSnapshot;
}): AiVerdict {
  const verdict = decideOnAnswer(input);
  const ignored = input.outcome.ok ? input.outcome.answer.ignored : undefined;
  if (!ignored?.length) return verdict;
  // A model names an action, nothing more: a target, namespace or replicas in its reply (what a
  // prompt injection asks for) is dropped, and the record says so, with what it asked for.
  const note = `; ignored what the answer asked beyond an action name (${ignored.join(', ')}): the policy decides the target and bounds`;
  return { ...verdict, record: { ...verdict.record, reason: `${verdict.record.reason ?? ''}${note}` } };
}

function decideOnAnswer(input: {
  planned: PlannedAction;
  outcome: AiOutcome;
  snapshot: ClusterSnapshot;
}): AiVerdict {
  const { planned, outcome, snapshot } = input;
  const rule = planned.action.name;
  const ai = planned.ai;
  const keep = (record: AiAnalysisRecord, reason: string, why: string): AiVerdict => ({
    planned,
    record: { ...record, followed: false, reason: `${reason}: ${why}; the rule's action ${rule} runs` },
  });
  if (!ai) return keep({}, 'AiNotRequested', 'the policy does not ask for analysis');
  if (!outcome.ok) {
    return keep(outcome.model ? { model: outcome.model } : {}, outcome.reason, outcome.message);
  }
  const { answer } = outcome;
  const record: AiAnalysisRecord = {
    model: outcome.model,
    confidence: answer.confidence,
    rootCause: cut(answer.rootCause, 1000),
    analysis: cut(answer.analysis, 2000),
    recommendation: cut(answer.recommendation.action, 100),
    rationale: cut(answer.recommendation.rationale, 1000),
    similarIncidents: answer.similarIncidents.slice(0, 5).map((s) => cut(s, 300)),
  };
  const choice = answer.recommendation.action;
  const { minConfidence, mode } = ai.settings;
  if (answer.confidence < minConfidence) {
    return keep(
      record,
      'BelowMinConfidence',
      `confidence ${answer.confidence.toFixed(2)} is below minConfidence ${minConfidence.toFixed(2)}`,
    );
  }
  const alt = ai.alternatives.find((a) => a.action.name === choice);
  if (choice !== 'none' && !alt) {
    const allowed = ai.alternatives.map((a) => a.action.name).join(', ');
    return keep(
      record,
      'NotAllowed',
      `"${cut(choice, 100)}" is not one of the allowed actions (${allowed}, none)`,
    );
  }
  if (mode === 'advise') {
    return {
      planned,
      record: {
        ...record,
        followed: choice === rule,
        reason: `AdviseOnly: advise mode records the analysis; the rule's action ${rule} runs`,
      },
    };
  }
  if (choice === 'none') {
    const message = `the model recommended no action (confidence ${answer.confidence.toFixed(2)})`;
    return {
      planned,
      record: { ...record, followed: true, reason: `AiRecommendedNone: ${message}` },
      skip: { reason: 'AiRecommendedNone', message },
    };
  }
  const chosen = alt!;
  if (chosen.action.name === rule) {
    return {
      planned,
      record: { ...record, followed: true, reason: `Followed: the model agrees with ${rule}` },
    };
  }
  return runInstead({ planned, chosen, snapshot, record, keep });
}

/** decide mode chose another allowed action: re-resolve it on the fresh snapshot, or keep the rule. */
function runInstead(input: {
  planned: PlannedAction;
  chosen: AiAlternative;
  snapshot: ClusterSnapshot;
  record: AiAnalysisRecord;
  keep: (record: AiAnalysisRecord, reason: string, why: string) => AiVerdict;
}): AiVerdict {
  const { planned, chosen, snapshot, record, keep } = input;
  const rule = planned.action.name;
  const choice = chosen.action.name;
  // Re-resolve on the fresh snapshot: the world may have changed since planning.
  const podKey = refKey(planned.firingPod);
  const pod = snapshot.pods.find((p) => refKey(p.ref) === podKey && !p.deleting);
  if (!pod) return keep(record, 'TargetGone', `${podKey} is gone, so ${choice} cannot be resolved`);
  const resolved = resolveTarget(chosen.action, pod, snapshot);
  if (!resolved.ok) return keep(record, resolved.reason, resolved.message);
  let scale: { from: number; to: number } | undefined;
  if (chosen.action.type === 'scale' && resolved.workload) {
    if (resolved.workload.hpaManaged)
      return keep(record, 'HpaManaged', `${refKey(resolved.ref)} is scaled by an HPA`);
    const v = desiredReplicas({ ...chosen.action.scaleAction, current: resolved.workload.replicas });
    if (!v.ok) return keep(record, v.reason, v.message);
    scale = { from: v.from, to: v.to };
  }
  const { scale: _planned, ...rest } = planned;
  return {
    planned: {
      ...rest,
      action: chosen.action,
      ladderIndex: chosen.ladderIndex,
      target: { ...resolved.ref },
      targetKey: refKey(resolved.ref),
      onOwner: resolved.onOwner,
      // Never less approval than the rule's plan asked for.
      requiresApproval: planned.requiresApproval || chosen.action.requiresApproval,
      ...(scale ? { scale } : {}),
    },
    record: { ...record, followed: true, reason: `Followed: decide mode runs ${choice} instead of ${rule}` },
  };
}

/** The reason's code (the CamelCase word before the colon): a bounded label for metrics. */
export function aiReasonCode(record: AiAnalysisRecord): string {
  return /^[A-Za-z]+/.exec(record.reason ?? '')?.[0] ?? 'Unknown';
}

/**
 * One line for the AiAnalysis Event on the target and the policy: what the model said and what
 * KubeSkippy did with it, so `kubectl describe pod` tells the story without reading the CR.
 */
export function aiEventMessage(record: AiAnalysisRecord): string {
  const who = record.model ?? 'the model';
  if (record.confidence === undefined) return `${who} gave no analysis: ${record.reason ?? 'unknown'}`;
  const cause = record.rootCause ? `; root cause: ${cut(record.rootCause, 300)}` : '';
  return (
    `${who} recommends ${record.recommendation ?? 'none'} (confidence ${record.confidence.toFixed(2)})` +
    `${cause}; ${record.followed ? 'followed' : 'not followed'}: ${record.reason ?? ''}`
  );
}
