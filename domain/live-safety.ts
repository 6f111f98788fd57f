// The healing-action workflow's safety check, run on a fresh snapshot right before acting (and
// again after an approval, since time has passed). It reuses the planner's rules so both refuse
// for the same reasons, and adds what only matters at the last moment: the object is still the
// one the trigger fired on (same uid), and it still exists.
//
// Eviction is the exception for PodDisruptionBudgets: the Eviction API enforces them itself, and
// the executor retries while the budget is 0, so the action proceeds the moment one is allowed.
// Deletes bypass PDBs in the API, so for them the budget is checked here.
import { blastRadiusOf, checkMaxUnavailable, type BlastRadius } from './blast-radius.js';
import type { PlannedAction } from './plan-types.js';
import { checkDisruptionBudget, checkMinReady, checkProtection } from './safety.js';
import type { ClusterSnapshot } from './snapshot.js';
import { findWorkload, refKey } from './targets.js';

export type LiveSafetyVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: 'Protected' | 'MinReadyReplicas' | 'DisruptionBudget' | 'TargetGone' | 'TargetReplaced';
      message: string;
    };

export function checkLiveSafety(input: {
  action: PlannedAction;
  snapshot: ClusterSnapshot;
}): LiveSafetyVerdict {
  const { action, snapshot } = input;
  const podKey = refKey(action.firingPod);
  const pod = snapshot.pods.find((p) => refKey(p.ref) === podKey && !p.deleting);
  const target = action.onOwner ? findWorkload(snapshot, { ...action.target, uid: '' }) : undefined;
  if (action.onOwner) {
    if (!target) return { ok: false, reason: 'TargetGone', message: `${action.targetKey} no longer exists` };
    if (action.target.uid && target.ref.uid !== action.target.uid) {
      return {
        ok: false,
        reason: 'TargetReplaced',
        message: `${action.targetKey} was recreated (uid changed)`,
      };
    }
  } else {
    if (!pod)
      return { ok: false, reason: 'TargetGone', message: `${action.targetKey} is gone or terminating` };
    if (action.target.uid && pod.ref.uid !== action.target.uid) {
      return {
        ok: false,
        reason: 'TargetReplaced',
        message: `${action.targetKey} was replaced (uid changed)`,
      };
    }
  }
  if (!pod) {
    // Acting on the owner after the firing pod went away: the owner's own protection still applies.
    const verdict = target
      ? checkProtection(action.safety, { pod: { ...emptyPod(), ref: { ...target.ref } }, owner: target })
      : { ok: true as const };
    return verdict;
  }
  const owner = findWorkload(snapshot, pod.owner);
  const protection = checkProtection(action.safety, { pod, ...(owner ? { owner } : {}) });
  if (!protection.ok) return protection;
  const minReady = checkMinReady(action.safety, {
    action: action.action,
    pod,
    snapshot,
    ...(action.scale ? { scale: action.scale } : {}),
  });
  if (!minReady.ok) return minReady;
  const evicting = action.action.type === 'restart' && action.action.restartAction.strategy === 'evict';
  if (!evicting) {
    const budget = checkDisruptionBudget({ action: action.action, pod, snapshot });
    if (!budget.ok) return budget;
  }
  return { ok: true };
}

export interface ActionSafety {
  /** `safety`: a safety rule refused (counted in kubeskippy_safety_refusals_total), not a vanished target. */
  verdict: { ok: true } | { ok: false; reason: string; message: string; safety: boolean };
  /** What the action takes out of service; absent when the target is gone or was replaced. */
  blastRadius?: BlastRadius;
}

/**
 * The live safety check and the action's blast radius, then safetyRules.maxUnavailable on it:
 * the blast radius is recorded whether or not a rule refuses, so a refusal shows its figures.
 */
export function checkBlastRadius(action: PlannedAction, snapshot: ClusterSnapshot): ActionSafety {
  const live = checkLiveSafety({ action, snapshot });
  if (!live.ok && (live.reason === 'TargetGone' || live.reason === 'TargetReplaced'))
    return { verdict: { ...live, safety: false } };
  const blastRadius = blastRadiusOf(action, snapshot);
  if (!live.ok) return { verdict: { ...live, safety: true }, blastRadius };
  const what = `${action.action.type} of ${action.targetKey}`;
  const limit = checkMaxUnavailable(action.safety.maxUnavailable, blastRadius, what);
  return { verdict: limit.ok ? limit : { ...limit, safety: true }, blastRadius };
}

function emptyPod(): Parameters<typeof checkProtection>[1]['pod'] {
  return {
    ref: { apiVersion: 'v1', kind: 'Pod', namespace: '', name: '', uid: '' },
    labels: {},
    annotations: {},
    phase: 'Unknown',
    ready: false,
    deleting: false,
    conditions: [],
    containers: [],
  };
}
