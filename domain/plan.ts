// evaluatePolicy: one tick of the policy workflow — snapshot + state + now → fires, planned actions,
// refusals and the next state. Pure and deterministic; the workflow only starts the children.
//
//   prune state ─▶ evaluate triggers per (trigger, pod) ─▶ for each fire, in trigger then pod order:
//     paused → Paused | monitor → MonitorMode (with what would happen)
//     | a closed window → MaintenanceWindow / OutsideAllowedWindow (with what would happen)
//     | decide() → plan or refusal
//   A closed window refuses before anything is committed, so trigger windows (`for`) go on and an
//   action still due when the window opens starts at the next evaluation. It gates new actions
//   only: one already running is left to finish.
//   Before deciding, a fire of a trigger on a workload where an action for it recently succeeded
//   marks that success as relapsed; attempts that did not last put the action on hold there
//   (domain/ineffective.ts), and a plan that passes a held action over also reports a refusal of it
//   (IneffectiveRemediation), so the metric and the status show why the usual action did not run.
//   A plan is committed to state at once (open action, budget entry, cooldown, seq), so later fires
//   in the same evaluation see it: one evaluation can never exceed a limit.

import { planAi } from './ai-plan.js';
import { claimEpisode } from './alerts.js';
import { actionWorkflowId, healingActionName, triggerTargetKey } from './ids.js';
import { decide, type Candidate } from './decide.js';
import type {
  EvaluatePolicyInput,
  EvaluatePolicyResult,
  Fire,
  PlannedAction,
  Refusal,
} from './plan-types.js';
import type { NormalizedPolicy } from './policy-types.js';
import { onFire, settleRemedies } from './ineffective.js';
import { pruneState } from './prune.js';
import { totalRestarts } from './restarts.js';
import type { PodSnapshot } from './snapshot.js';
import { cloneState, effectiveMode, type PolicyState } from './state.js';
import { refKey, subjectKeyOf } from './targets.js';
import { evaluateTriggers, type TriggerEvaluation } from './triggers.js';
import { windowRefusal, windowState } from './windows.js';

export type * from './plan-types.js';

function toFire(ev: TriggerEvaluation, nowMs: number): Fire {
  const { trigger, triggerType, targetKey, target, observedValue, threshold, reason } = ev;
  const firstTrueMs = ev.firstTrueMs ?? nowMs;
  // A fire always has both (it was sampled); literals in the one key order are much cheaper than
  // spreads when thousands of pods fire in one evaluation.
  if (observedValue !== undefined && threshold !== undefined)
    return {
      trigger,
      triggerType,
      targetKey,
      target,
      observedValue,
      threshold,
      reason,
      firstTrueMs,
      firedAtMs: nowMs,
    };
  return {
    trigger,
    triggerType,
    targetKey,
    target,
    ...(observedValue !== undefined ? { observedValue } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    reason,
    firstTrueMs,
    firedAtMs: nowMs,
  };
}

/** A refusal of this evaluation's fire that names no action (keys in the order refusals always had). */
function refusalOf(
  ev: TriggerEvaluation,
  reason: Refusal['reason'],
  message: string,
  about?: { action: string; actionTargetKey: string },
): Refusal {
  const { trigger, targetKey, target } = ev;
  return about
    ? {
        trigger,
        targetKey,
        target,
        action: about.action,
        actionTargetKey: about.actionTargetKey,
        reason,
        message,
      }
    : { trigger, targetKey, target, reason, message };
}

/** What automatic mode would do with a decision, in words, and the action it names. */
function wouldDo(decision: ReturnType<typeof decide>): {
  would: string;
  about?: { action: string; actionTargetKey: string };
} {
  return decision.ok
    ? {
        would: `would run ${decision.candidate.action.name} on ${decision.candidate.targetKey}`,
        about: { action: decision.candidate.action.name, actionTargetKey: decision.candidate.targetKey },
      }
    : { would: `would be refused (${decision.refusal.reason}: ${decision.refusal.message})` };
}

/** A plan that passed a held action over (or asks about it) also refuses that action, so it is counted. */
function passedOverRefusal(ev: TriggerEvaluation, plan: PlannedAction): Refusal | undefined {
  const choice = plan.ladderChoice;
  if (!choice) return undefined;
  const about = { action: choice.passedOver[0] ?? plan.action.name, actionTargetKey: plan.targetKey };
  return refusalOf(ev, 'IneffectiveRemediation', choice.message, about);
}

interface CommitInput {
  policy: NormalizedPolicy;
  state: PolicyState;
  fire: Fire;
  pod: PodSnapshot;
  candidate: Candidate;
  mode: EvaluatePolicyResult['mode'];
  nowMs: number;
}

/** Records the start in state and builds the child workflow's input. */
function commit(input: CommitInput): PlannedAction {
  const { policy, state, fire, pod, candidate, mode, nowMs } = input;
  const seq = state.seq;
  state.seq += 1;
  const workflowId = actionWorkflowId({
    cluster: policy.cluster,
    namespace: policy.namespace,
    policy: policy.name,
    trigger: fire.trigger,
    targetKind: candidate.target.kind,
    targetName: candidate.target.name,
    seq,
  });
  const triggerSpec = policy.triggers.find((t) => t.name === fire.trigger);
  if (!triggerSpec) throw new Error(`internal: fire for unknown trigger ${fire.trigger}`);
  state.open[candidate.targetKey] = {
    workflowId,
    trigger: fire.trigger,
    action: candidate.action.name,
    ladderIndex: candidate.ladderIndex,
    targetKey: candidate.targetKey,
    subjectKey: candidate.subjectKey,
    onOwner: candidate.onOwner,
    podKey: fire.targetKey,
    startedMs: nowMs,
  };
  state.starts.push(nowMs);
  state.cooldowns[triggerTargetKey(fire.trigger, candidate.targetKey)] = nowMs + triggerSpec.cooldownMs;
  state.counters.actionsStarted += 1;
  const { observedValue, threshold } = fire;
  const alert =
    triggerSpec.type === 'alert'
      ? claimEpisode(policy, state.alerts, triggerSpec, fire.targetKey, workflowId)
      : undefined;
  return {
    workflowId,
    healingActionName: healingActionName(workflowId, candidate.action.name),
    seq,
    ...(policy.cluster !== undefined ? { cluster: policy.cluster } : {}),
    policyRef: { namespace: policy.namespace, name: policy.name, ...(policy.uid ? { uid: policy.uid } : {}) },
    ...(policy.generation !== undefined ? { policyGeneration: policy.generation } : {}),
    mode,
    target: { ...candidate.target },
    targetKey: candidate.targetKey,
    subjectKey: candidate.subjectKey,
    onOwner: candidate.onOwner,
    firingPod: pod.ref,
    ...(pod.owner ? { firingPodOwner: pod.owner } : {}),
    action: candidate.action,
    ladderIndex: candidate.ladderIndex,
    trigger: {
      name: fire.trigger,
      type: fire.triggerType,
      ...(observedValue !== undefined ? { observedValue } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      reason: fire.reason,
      firstTrueMs: fire.firstTrueMs,
      firedAtMs: fire.firedAtMs,
      ...(alert ? { alert } : {}),
    },
    triggerSpec,
    // Modes: dryrun records the would-be change; manual makes every action wait for a person;
    // automatic keeps the template's own requiresApproval.
    dryRun: mode === 'dryrun',
    requiresApproval: mode === 'manual' || candidate.action.requiresApproval || !!candidate.needsApproval,
    ...(candidate.ladderChoice ? { ladderChoice: candidate.ladderChoice } : {}),
    approvalTimeoutMs: policy.safety.approvalTimeoutMs,
    verification: policy.verification,
    safety: policy.safety,
    notifications: policy.notifications,
    ...(candidate.scale ? { scale: candidate.scale } : {}),
    ...(pod.ref.uid ? { restartBaseline: { podUid: pod.ref.uid, restarts: totalRestarts(pod) } } : {}),
    startedMs: nowMs,
  };
}

export function evaluatePolicy(input: EvaluatePolicyInput): EvaluatePolicyResult {
  const { policy, snapshot, nowMs } = input;
  const state = cloneState(input.state);
  const mode = input.mode ?? effectiveMode(policy, state);
  pruneState(state, policy, nowMs);
  const ineffective = policy.safety.ineffective;
  const holds = settleRemedies(state, ineffective, nowMs);
  const evaluations = evaluateTriggers({ policy, snapshot, state, nowMs });
  const pods = new Map<string, PodSnapshot>(); // the last pod with a key wins, as before
  for (const pod of snapshot.pods) pods.set(refKey(pod.ref), pod);
  const fires: Fire[] = [];
  const planned: PlannedAction[] = [];
  const refusals: Refusal[] = [];
  let closed: ReturnType<typeof windowRefusal> | null | undefined;
  const refuse = (r: Refusal): void => {
    refusals.push(r);
    state.counters.refusals[r.reason] = (state.counters.refusals[r.reason] ?? 0) + 1;
  };
  for (const ev of evaluations) {
    if (!ev.fired) continue;
    const pod = pods.get(ev.targetKey);
    if (!pod) continue;
    const fire = toFire(ev, nowMs);
    fires.push(fire);
    const subjectKey = subjectKeyOf(pod);
    holds.push(
      ...onFire(state, ineffective, {
        subjectKey,
        trigger: ev.trigger,
        firstTrueMs: fire.firstTrueMs,
        nowMs,
      }),
    );
    if (state.paused) {
      refuse(refusalOf(ev, 'Paused', 'the policy is paused; nothing is planned until it is resumed'));
      continue;
    }
    const decision = decide({ policy, snapshot, state, nowMs, evaluation: ev, pod });
    // Judged once per evaluation, at its first fire (idle evaluations never compute a schedule).
    if (closed === undefined) closed = windowRefusal(windowState(policy.safety, nowMs)) ?? null;
    if (mode === 'monitor') {
      // Report what automatic mode would do, through the very same decision (and window).
      const { would, about } = closed
        ? { would: `would be refused (${closed.reason}: ${closed.message})`, about: undefined }
        : wouldDo(decision);
      refuse(refusalOf(ev, 'MonitorMode', `monitor mode: ${fire.reason}; ${would}`, about));
      continue;
    }
    if (closed) {
      const { would, about } = wouldDo(decision);
      refuse(refusalOf(ev, closed.reason, `${closed.message}; ${fire.reason}; ${would}`, about));
      continue;
    }
    if (!decision.ok) {
      refuse(decision.refusal);
      continue;
    }
    // The AI's allow-list is computed before the commit, on the state this decision saw.
    const ai = planAi(
      { policy, snapshot, state, nowMs, evaluation: ev, pod },
      {
        action: decision.candidate.action.name,
      },
    );
    const plan = commit({ policy, state, fire, pod, candidate: decision.candidate, mode, nowMs });
    planned.push(ai ? { ...plan, ai } : plan);
    const passedOver = passedOverRefusal(ev, plan);
    if (passedOver) refuse(passedOver);
  }
  state.counters.evaluations += 1;
  state.counters.fires += fires.length;
  state.lastEvaluatedMs = nowMs;
  const active = new Set<string>();
  for (const e of evaluations) if (e.holds) active.add(e.trigger);
  const activeTriggers = [...active];
  const result = { state, evaluations, fires, planned, refusals, activeTriggers, mode };
  return holds.length ? { ...result, ineffective: holds } : result;
}
