// assessHealed: did the action heal its target? Called by the healing-action workflow after
// `verification.delay`, then every `interval` until healed or `timeout`.
//
// What is checked:
// - a pod target: the pod itself when it is still there and not terminating, else its replacements
//   (pods of the same owner created at or after the action started; a StatefulSet replacement keeps
//   the name but has a new uid). No candidate yet → not healed (NoReplacement), check again later.
// - a workload target: the workload has all desired replicas ready, and each of its current pods
//   passes the trigger check.
// Every candidate must pass (healing must be proven, not assumed), with an instantaneous comparison
// of the trigger — not its `for` window: restarts and events count only since the action started.
// A candidate without a sample (metrics not reported yet) is not proven healed: NoSample.

import { alertVerifySample } from './alerts.js';
import type { PlannedAction } from './plan-types.js';
import { totalRestarts } from './restarts.js';
import { sampleTrigger } from './samples.js';
import type { ClusterSnapshot, PodSnapshot } from './snapshot.js';
import { findWorkload, refKey } from './targets.js';

/**
 * Kubernetes creation timestamps have whole-second precision: a replacement created 300 ms after
 * the action started, in the same second, carries a timestamp *before* it. Compare by the second.
 */
export function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

export type HealedReason =
  | 'Healed'
  | 'VerificationDisabled'
  | 'TargetGone'
  | 'NoReplacement'
  | 'NotReady'
  | 'TriggerStillHolds'
  | 'NoSample';

export interface HealedVerdict {
  healed: boolean;
  reason: HealedReason;
  message: string;
  /** The trigger's value on the first candidate that failed the check, or on the last one checked. */
  observedValue?: string;
  /** Keys of the pods that were checked. */
  checked: string[];
}

export interface AssessHealedInput {
  action: Pick<
    PlannedAction,
    | 'target'
    | 'targetKey'
    | 'onOwner'
    | 'firingPodOwner'
    | 'triggerSpec'
    | 'verification'
    | 'restartBaseline'
    | 'startedMs'
  >;
  snapshot: ClusterSnapshot;
  nowMs: number;
  /** Alert triggers: whether the episode the action answers has resolved ("healed" needs it). */
  alertResolved?: boolean;
}

function candidatesForPod(input: AssessHealedInput): PodSnapshot[] {
  const { action, snapshot } = input;
  const live = snapshot.pods.filter((p) => !p.deleting);
  const same = live.find((p) => refKey(p.ref) === action.targetKey && p.ref.uid === action.target.uid);
  if (same) return [same];
  const owner = action.firingPodOwner;
  const sameOwner = (p: PodSnapshot): boolean =>
    owner !== undefined &&
    p.owner !== undefined &&
    refKey(p.owner) === refKey(owner) &&
    (!owner.uid || !p.owner.uid || p.owner.uid === owner.uid);
  return live.filter(
    (p) =>
      p.ref.uid !== action.target.uid &&
      p.createdAtMs !== undefined &&
      p.createdAtMs >= wholeSecond(action.startedMs) &&
      (sameOwner(p) || refKey(p.ref) === action.targetKey),
  );
}

export function assessHealed(input: AssessHealedInput): HealedVerdict {
  const { action, snapshot } = input;
  const v = action.verification;
  if (!v.enabled)
    return { healed: true, reason: 'VerificationDisabled', message: 'verification is disabled', checked: [] };
  let pods: PodSnapshot[];
  if (action.onOwner) {
    const workload = findWorkload(snapshot, action.target);
    if (!workload)
      return { healed: false, reason: 'TargetGone', message: `${action.targetKey} is gone`, checked: [] };
    if (v.requireReady && workload.readyReplicas < workload.replicas) {
      return {
        healed: false,
        reason: 'NotReady',
        message: `${action.targetKey} has ${workload.readyReplicas} of ${workload.replicas} replicas ready`,
        checked: [],
      };
    }
    const key = refKey(workload.ref);
    pods = snapshot.pods.filter((p) => !p.deleting && p.owner && refKey(p.owner) === key);
  } else {
    pods = candidatesForPod(input);
    if (pods.length === 0) {
      return {
        healed: false,
        reason: 'NoReplacement',
        message: `no ready replacement for ${action.targetKey} yet`,
        checked: [],
      };
    }
  }
  const checked = pods.map((p) => refKey(p.ref));
  let observedValue: string | undefined;
  for (const pod of pods) {
    const name = refKey(pod.ref);
    if (v.requireReady && !pod.ready)
      return { healed: false, reason: 'NotReady', message: `${name} is not ready`, checked };
    if (!v.requireTriggerCleared) continue;
    const baseline = action.restartBaseline?.podUid === pod.ref.uid ? action.restartBaseline.restarts : 0;
    const spec = action.triggerSpec;
    // An alert is about the pod it named, which a restart replaced: the episode's end is the evidence.
    const sample =
      spec.type === 'alert'
        ? alertVerifySample(spec, input.alertResolved === true)
        : sampleTrigger(spec, pod, {
            snapshot,
            nowMs: snapshot.observedAtMs,
            restarts: Math.max(0, totalRestarts(pod) - baseline),
            eventsSinceMs: action.startedMs,
          });
    if (!sample) {
      return {
        healed: false,
        reason: 'NoSample',
        message: `no ${action.triggerSpec.name} sample for ${name} yet`,
        checked,
      };
    }
    observedValue = sample.observed;
    if (sample.holds) {
      return {
        healed: false,
        reason: 'TriggerStillHolds',
        message: `${action.triggerSpec.name} still holds on ${name}: ${sample.reason}`,
        observedValue,
        checked,
      };
    }
  }
  const what = action.onOwner ? action.targetKey : checked.join(', ');
  return {
    healed: true,
    reason: 'Healed',
    message: `${what} ${v.requireReady ? 'ready' : 'present'}${v.requireTriggerCleared ? ` and ${action.triggerSpec.name} cleared` : ''}`,
    ...(observedValue !== undefined ? { observedValue } : {}),
    checked,
  };
}

/**
 * Stability across verification checks: healed only counts once it has held, check after check,
 * for `stabilityMs` (a relapse restarts the clock), so a replacement that is Ready for a moment and
 * then crash-loops again is not called healed.
 */
export function stabilityStep(
  healedSinceMs: number | undefined,
  healed: boolean,
  nowMs: number,
  stabilityMs: number,
): { healedSinceMs?: number; stable: boolean; relapsed: boolean } {
  if (!healed) return { stable: false, relapsed: healedSinceMs !== undefined };
  const since = healedSinceMs ?? nowMs;
  return { healedSinceMs: since, stable: nowMs - since >= stabilityMs, relapsed: false };
}
