// The decision for one fire: which action, on which object, or which rule refuses it.
// Reads state, never writes it (plan.ts commits a decision), so monitor mode can report what it
// would have done with exactly the same logic.
//
// Order of checks, first refusal wins:
//   Protected → OnHold → IneffectiveRemediation (then: hold) → ladder (first applicable action)
//   → ActionInProgress → Cooldown → ConcurrencyLimit → BudgetExhausted
// Within the ladder, refusals that concern one action only (NoOwner, UnsupportedTarget, HpaManaged,
// At*Replicas, MinReadyReplicas, DisruptionBudget, an action on hold as ineffective) move on to the
// next action; the rest stop. An action on hold as ineffective (domain/ineffective.ts) is passed
// over (then: nextAction) and, when nothing else applies, runs only once a person approves it; or it
// runs but waits for approval (then: approval). The candidate says why (ladderChoice).

import { formatDuration } from './duration.js';
import { triggerTargetKey } from './ids.js';
import type { Refusal, RefusalReason } from './plan-types.js';
import { ladderFor } from './policy.js';
import type { NormalizedAction, NormalizedPolicy } from './policy-types.js';
import { HOUR_MS } from './prune.js';
import { checkDisruptionBudget, checkMinReady, checkProtection } from './safety.js';
import { desiredReplicas } from './scale.js';
import type { ClusterSnapshot, ObjectRef, PodSnapshot } from './snapshot.js';
import { ladderKey, type OpenAction, type PolicyState } from './state.js';
import { heldRungs, viaApproval, withPassedOver, type HeldRung } from './decide-ineffective.js';
import type { LadderChoice } from '../crds/policy-ineffective.js';
import { findWorkload, refKey, resolveTarget, subjectKeyOf } from './targets.js';
import type { TriggerEvaluation } from './triggers.js';

export interface Candidate {
  action: NormalizedAction;
  ladderIndex: number;
  target: ObjectRef;
  targetKey: string;
  subjectKey: string;
  onOwner: boolean;
  scale?: { from: number; to: number };
  /** Why this rung, when an action on hold as ineffective was passed over or is asked about. */
  ladderChoice?: LadderChoice;
  /** A person must approve it: it is on hold as ineffective (the ladderChoice says why). */
  needsApproval?: boolean;
}

export type Decision = { ok: true; candidate: Candidate } | { ok: false; refusal: Refusal };

export interface DecideInput {
  policy: NormalizedPolicy;
  snapshot: ClusterSnapshot;
  state: PolicyState;
  nowMs: number;
  evaluation: TriggerEvaluation;
  pod: PodSnapshot;
}

export type Step =
  { ok: true; candidate: Candidate } | { ok: false; reason: RefusalReason; message: string; action: string };

/** Escalate first (from the ladder position on); if nothing further applies, repeat the strongest
 *  earlier step that does, rather than do nothing. */
function candidateOrder(length: number, start: number): number[] {
  const forward = Array.from({ length: length - start }, (_, i) => start + i);
  const back = Array.from({ length: start }, (_, i) => start - 1 - i);
  return [...forward, ...back];
}

export function tryAction(input: DecideInput, action: NormalizedAction, ladderIndex: number): Step {
  const { pod, snapshot, policy } = input;
  const fail = (reason: RefusalReason, message: string): Step => ({
    ok: false,
    reason,
    message,
    action: action.name,
  });
  const resolved = resolveTarget(action, pod, snapshot);
  if (!resolved.ok) return fail(resolved.reason, resolved.message);
  let scale: { from: number; to: number } | undefined;
  if (action.type === 'scale' && resolved.workload) {
    if (resolved.workload.hpaManaged) {
      return fail(
        'HpaManaged',
        `${resolved.ref.kind} ${resolved.ref.name} is scaled by a HorizontalPodAutoscaler`,
      );
    }
    const verdict = desiredReplicas({ ...action.scaleAction, current: resolved.workload.replicas });
    if (!verdict.ok) return fail(verdict.reason, verdict.message);
    scale = { from: verdict.from, to: verdict.to };
  }
  // Pod-level actions already open on the same workload may be taking ready pods away right now;
  // without counting them, two evictions planned one after the other could both pass the rule.
  const subjectKey = subjectKeyOf(pod);
  const inFlight = Object.values(input.state.open).filter(
    (o) => o.subjectKey === subjectKey && !o.onOwner,
  ).length;
  const minReady = checkMinReady(policy.safety, {
    action,
    pod,
    snapshot,
    inFlight,
    ...(scale ? { scale } : {}),
  });
  if (!minReady.ok) return fail(minReady.reason, minReady.message);
  const pdb = checkDisruptionBudget({ action, pod, snapshot });
  if (!pdb.ok) return fail(pdb.reason, pdb.message);
  const candidate: Candidate = {
    action,
    ladderIndex,
    target: resolved.ref,
    targetKey: refKey(resolved.ref),
    subjectKey,
    onOwner: resolved.onOwner,
    ...(scale ? { scale } : {}),
  };
  return { ok: true, candidate };
}

/** Two actions conflict on the same object, or when one changes the workload the other's pod belongs to. */
export function conflicts(
  candidate: Pick<Candidate, 'targetKey' | 'subjectKey' | 'onOwner'> & {
    trigger?: string;
    podCreatedAtMs?: number;
    /** When the fired trigger's window started on this pod. */
    firstTrueMs?: number;
  },
  open: OpenAction,
): boolean {
  if (open.targetKey === candidate.targetKey) return true;
  // A restarted pod comes back under a new name. If the same trigger fires on that replacement
  // while the action that replaced it is still open, the ladder has not learned whether that rung
  // healed yet: starting the same rung again would only repeat it (and never escalate). Siblings
  // that existed before the open action are not held back. Creation times are whole seconds, so a
  // pod created in the action's own second is ambiguous by its timestamp alone; one the trigger was
  // already seen holding on when the action was planned cannot be its replacement.
  const seenBefore = candidate.firstTrueMs !== undefined && candidate.firstTrueMs <= open.startedMs;
  if (
    candidate.trigger !== undefined &&
    open.trigger === candidate.trigger &&
    open.subjectKey === candidate.subjectKey &&
    candidate.podCreatedAtMs !== undefined &&
    candidate.podCreatedAtMs >= Math.floor(open.startedMs / 1000) * 1000 &&
    !seenBefore
  ) {
    return true;
  }
  return (candidate.onOwner || open.onOwner) && open.subjectKey === candidate.subjectKey;
}

type Miss = Extract<Step, { ok: false }>;

/** The first action of the trigger's ladder that applies (from the escalation position on), or why none does. */
function walkLadder(
  input: DecideInput,
  subjectKey: string,
  held: Map<number, HeldRung>,
): { candidate: Candidate } | { misses: Miss[] } {
  const ladder = ladderFor(input.policy, input.evaluation.trigger);
  const start = Math.min(
    input.state.ladders[ladderKey(subjectKey, input.evaluation.trigger)]?.next ?? 0,
    ladder.length - 1,
  );
  const order = candidateOrder(ladder.length, start);
  const approval = input.policy.safety.ineffective.then === 'approval';
  const misses: Miss[] = [];
  for (const index of order) {
    const h = held.get(index);
    if (h && !approval) {
      misses.push({ ok: false, reason: 'IneffectiveRemediation', message: h.message, action: h.action });
      continue;
    }
    const step = tryAction(input, ladder[index] as NormalizedAction, index);
    if (step.ok)
      return { candidate: h ? viaApproval(step.candidate, h) : withPassedOver(step.candidate, held, misses) };
    misses.push(step);
  }
  // then: nextAction, and no other rung applies: a person decides whether the held one runs again.
  for (const index of order) {
    const h = held.get(index);
    if (!h || approval) continue;
    const step = tryAction(input, ladder[index] as NormalizedAction, index);
    if (step.ok) return { candidate: viaApproval(step.candidate, h) };
  }
  return { misses };
}

/** The policy-wide limits on a candidate: open actions, cooldown, concurrency, hourly budget. */
function checkLimits(
  input: DecideInput,
  candidate: Candidate,
): { reason: RefusalReason; message: string } | undefined {
  const { policy, state, nowMs, evaluation, pod } = input;
  // conflicts() reads only these; an undefined time means "not known", as an absent one did.
  const probe = {
    targetKey: candidate.targetKey,
    subjectKey: candidate.subjectKey,
    onOwner: candidate.onOwner,
    trigger: evaluation.trigger,
    podCreatedAtMs: pod.createdAtMs,
    firstTrueMs: evaluation.firstTrueMs,
  };
  let busy: OpenAction | undefined;
  for (const key in state.open) {
    const o = state.open[key];
    if (o && conflicts(probe, o)) {
      busy = o;
      break;
    }
  }
  if (busy) {
    const message = `action ${busy.action} (${busy.workflowId}) is still open on ${busy.targetKey}`;
    return { reason: 'ActionInProgress', message };
  }
  const cooldownUntil = state.cooldowns[triggerTargetKey(evaluation.trigger, candidate.targetKey)];
  if (cooldownUntil !== undefined && cooldownUntil > nowMs) {
    return {
      reason: 'Cooldown',
      message:
        `trigger ${evaluation.trigger} on ${candidate.targetKey} is cooling down for ` +
        `${formatDuration(cooldownUntil - nowMs)} more`,
    };
  }
  const perAction =
    candidate.action.type === 'restart' ? candidate.action.restartAction.maxConcurrent : undefined;
  if (perAction !== undefined) {
    let same = 0;
    for (const key in state.open) if (state.open[key]?.action === candidate.action.name) same += 1;
    if (same >= perAction) {
      const message = `${same} restarts by action ${candidate.action.name} are open (restartAction.maxConcurrent ${perAction})`;
      return { reason: 'ConcurrencyLimit', message };
    }
  }
  const open = Object.keys(state.open).length;
  if (open >= policy.safety.maxConcurrentActions) {
    const message = `${open} actions are open (maxConcurrentActions ${policy.safety.maxConcurrentActions})`;
    return { reason: 'ConcurrencyLimit', message };
  }
  let used = 0;
  for (const t of state.starts) if (t > nowMs - HOUR_MS) used += 1;
  if (used >= policy.safety.maxActionsPerHour) {
    const message = `${used} actions started in the last hour (maxActionsPerHour ${policy.safety.maxActionsPerHour})`;
    return { reason: 'BudgetExhausted', message };
  }
  return undefined;
}

export function decide(input: DecideInput): Decision {
  const { policy, state, nowMs, evaluation, pod, snapshot } = input;
  const refuse = (
    reason: RefusalReason,
    message: string,
    extra?: { action: string; actionTargetKey?: string },
  ): Decision => {
    const { trigger, targetKey, target } = evaluation;
    const refusal: Refusal = { trigger, targetKey, target, reason, message };
    if (extra) {
      refusal.action = extra.action;
      if (extra.actionTargetKey !== undefined) refusal.actionTargetKey = extra.actionTargetKey;
    }
    return { ok: false, refusal };
  };
  const owner = findWorkload(snapshot, pod.owner);
  const protection = checkProtection(policy.safety, { pod, ...(owner ? { owner } : {}) });
  if (!protection.ok) return refuse('Protected', protection.message);
  const subjectKey = subjectKeyOf(pod);
  const hold = state.subjects[subjectKey]?.holdUntilMs;
  if (hold !== undefined && hold > nowMs) {
    return refuse(
      'OnHold',
      `${subjectKey} is on hold for ${formatDuration(hold - nowMs)} more after ` +
        `${policy.safety.maxConsecutiveFailures} failed actions in a row`,
    );
  }
  if (ladderFor(policy, evaluation.trigger).length === 0)
    return refuse('NoAction', `no action answers trigger ${evaluation.trigger}`);
  const held = heldRungs(input, subjectKey);
  const first = held.values().next().value;
  if (first && policy.safety.ineffective.then === 'hold')
    return refuse('IneffectiveRemediation', first.message, { action: first.action });
  const walked = walkLadder(input, subjectKey, held);
  if ('misses' in walked) {
    const [first, ...rest] = walked.misses as [Miss, ...Miss[]];
    const others = rest.map((m) => `${m.action}: ${m.reason}`);
    const message = others.length ? `${first.message} (also refused: ${others.join(', ')})` : first.message;
    return refuse(first.reason, message, { action: first.action });
  }
  const { candidate } = walked;
  const limit = checkLimits(input, candidate);
  if (limit) {
    return refuse(limit.reason, limit.message, {
      action: candidate.action.name,
      actionTargetKey: candidate.targetKey,
    });
  }
  return { ok: true, candidate };
}
