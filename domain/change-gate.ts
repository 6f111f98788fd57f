// Change-aware gating, decided: is a change already under way on what an action would touch? The
// healing-action workflow asks right before acting (workflows/change-gate.ts), on a fresh read
// (ChangeSnapshot, activities/snapshot/changes.ts), and waits, skips or goes on as the policy says
// (crds/policy-change-gate.ts).
//
// A rollout is in progress the way `kubectl rollout status` sees one, with one difference: kubectl
// also waits for every updated replica to be available, which a crash-looping pod never is — the
// very pod a policy heals. So unavailable replicas count only during an update (the Progressing
// condition not yet NewReplicaSetAvailable, after the first revision); a Deployment whose first
// rollout never became available is healed as before, and one past its progress deadline
// (ProgressDeadlineExceeded) has finished rolling out, unsuccessfully, so the gate lets it be healed.
import type { ChangeGateMode } from '../crds/policy-change-gate.js';
import { parseDurationOr } from './duration.js';
import type { PlannedAction } from './plan-types.js';
import { describeMatchers, matchingSilence } from './silences.js';
import type { ChangeSnapshot, ObjectRef, RolloutSnapshot } from './snapshot.js';

export type ChangeReason = 'RolloutInProgress' | 'ClusterUpgrade' | 'Silenced';

/** safetyRules.whenRolloutInProgress / whenClusterUpgrading / whenSilenced / changeWaitTimeout. */
export interface NormalizedChangeGate {
  rollout: ChangeGateMode;
  upgrade: ChangeGateMode;
  silence: ChangeGateMode;
  waitTimeoutMs: number;
}

export function normalizeChangeGate(s: {
  whenRolloutInProgress: ChangeGateMode;
  whenClusterUpgrading: ChangeGateMode;
  whenSilenced: ChangeGateMode;
  changeWaitTimeout: string;
}): NormalizedChangeGate {
  return {
    rollout: s.whenRolloutInProgress,
    upgrade: s.whenClusterUpgrading,
    silence: s.whenSilenced,
    waitTimeoutMs: parseDurationOr(s.changeWaitTimeout, 10 * 60_000),
  };
}

/**
 * How often a waiting action re-reads: a twentieth of the bound, between 1 s and 5 s — a rollout
 * usually ends within seconds, and each check is three small reads.
 */
export function recheckIntervalMs(gate: NormalizedChangeGate): number {
  return Math.min(5000, Math.max(1000, Math.round(gate.waitTimeoutMs / 20)));
}

/** What the activity reads for one check. */
export interface ChangeRequest {
  /** The workload whose rollout matters (Deployment, StatefulSet, DaemonSet). */
  workload?: ObjectRef;
  nodes: boolean;
  silences: boolean;
  /** The pod whose containers a silence may name. */
  pod?: { namespace: string; name: string };
}

const ROLLOUT_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** The workload an action's change is judged on: the one acted on, or the firing pod's owner. */
export function gatedWorkload(
  planned: Pick<PlannedAction, 'onOwner' | 'target' | 'firingPodOwner'>,
): ObjectRef | undefined {
  const w = planned.onOwner ? planned.target : planned.firingPodOwner;
  return w && ROLLOUT_KINDS.includes(w.kind) ? w : undefined;
}

export function changeRequest(planned: PlannedAction, gate: NormalizedChangeGate): ChangeRequest {
  const workload = gate.rollout === 'ignore' ? undefined : gatedWorkload(planned);
  const silences = gate.silence !== 'ignore';
  return {
    ...(workload ? { workload } : {}),
    nodes: gate.upgrade !== 'ignore',
    silences,
    ...(silences ? { pod: { namespace: planned.firingPod.namespace, name: planned.firingPod.name } } : {}),
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Why the workload is rolling out, in words; undefined when it is not. */
export function rolloutInProgress(w: RolloutSnapshot): string | undefined {
  const what = `${w.ref.kind} ${w.ref.namespace}/${w.ref.name}`;
  if (w.generation > w.observedGeneration)
    return `${what}: spec generation ${w.generation} not yet observed by its controller (observed ${w.observedGeneration})`;
  if (w.progressing?.reason === 'ProgressDeadlineExceeded') return undefined;
  if (w.currentRevision && w.updateRevision && w.currentRevision !== w.updateRevision)
    return `${what}: updating from revision ${w.currentRevision} to ${w.updateRevision}, ${w.updated} of ${w.desired} replicas updated`;
  if (w.updated < w.desired) return `${what}: ${w.updated} of ${w.desired} replicas updated`;
  if (w.replicas > w.updated)
    return `${what}: ${plural(w.replicas - w.updated, 'old replica')} still running (${w.updated} of ${w.desired} updated)`;
  const updating =
    w.progressing && w.progressing.reason !== 'NewReplicaSetAvailable' && (w.revision ?? 1) > 1;
  if (updating && w.available < w.updated)
    return `${what}: ${w.available} of ${w.updated} updated replicas available (Progressing: ${w.progressing!.reason})`;
  return undefined;
}

/** Nodes at more than one kubelet version, in words; undefined when they agree. */
export function clusterUpgrade(versions: Record<string, number>): string | undefined {
  const seen = Object.entries(versions).sort(([a], [b]) => a.localeCompare(b));
  if (seen.length < 2) return undefined;
  return `nodes run ${seen.length} kubelet versions: ${seen.map(([v, n]) => `${v} (${plural(n, 'node')})`).join(', ')}`;
}

/** The label sets Alertmanager alerts about this target would carry. */
export function targetLabelSets(planned: PlannedAction, containers: string[] = []): Record<string, string>[] {
  const base: Record<string, string> = {
    namespace: planned.firingPod.namespace,
    pod: planned.firingPod.name,
  };
  const owner = planned.onOwner ? planned.target : planned.firingPodOwner;
  if (owner && ROLLOUT_KINDS.includes(owner.kind)) base[owner.kind.toLowerCase()] = owner.name;
  if (planned.trigger.alert) base['alertname'] = planned.trigger.alert.alertname;
  return [base, ...containers.map((container) => ({ ...base, container }))];
}

export type ChangeVerdict =
  { ok: true } | { ok: false; reason: ChangeReason; message: string; mode: 'wait' | 'skip' };

type Found = { reason: ChangeReason; message: string; mode: ChangeGateMode };

function found(planned: PlannedAction, gate: NormalizedChangeGate, seen: ChangeSnapshot): Found[] {
  const out: Found[] = [];
  const err = seen.errors ?? {};
  const rollout = err.rollout
    ? `the rollout of ${planned.targetKey}'s workload could not be read: ${err.rollout}`
    : seen.workload && rolloutInProgress(seen.workload);
  if (rollout)
    out.push({ reason: 'RolloutInProgress', message: `rollout in progress: ${rollout}`, mode: gate.rollout });
  const upgrade = err.nodes
    ? `the nodes could not be read: ${err.nodes}`
    : seen.kubeletVersions && clusterUpgrade(seen.kubeletVersions);
  if (upgrade)
    out.push({
      reason: 'ClusterUpgrade',
      message: `cluster upgrade in progress: ${upgrade}`,
      mode: gate.upgrade,
    });
  if (err.silences)
    out.push({
      reason: 'Silenced',
      message: `a silence cannot be ruled out: ${err.silences}`,
      mode: gate.silence,
    });
  const hit = seen.silences && matchingSilence(seen.silences, targetLabelSets(planned, seen.containers));
  if (hit) {
    const by = hit.silence.createdBy ? ` by ${hit.silence.createdBy}` : '';
    const until = new Date(hit.silence.endsAtMs).toISOString();
    const message = `Alertmanager silence ${hit.silence.id}${by} (${describeMatchers(hit.silence.matchers)}) matches ${planned.targetKey}, until ${until}`;
    out.push({ reason: 'Silenced', message, mode: gate.silence });
  }
  return out.filter((f) => f.mode !== 'ignore');
}

/** Act, wait or skip: a rule set to skip wins over one set to wait; the first found speaks. */
export function judgeChanges(input: {
  planned: PlannedAction;
  gate: NormalizedChangeGate;
  seen: ChangeSnapshot;
}): ChangeVerdict {
  const all = found(input.planned, input.gate, input.seen);
  const first = all.find((f) => f.mode === 'skip') ?? all[0];
  if (!first) return { ok: true };
  return {
    ok: false,
    reason: first.reason,
    message: first.message,
    mode: first.mode === 'skip' ? 'skip' : 'wait',
  };
}

/** Whether any rule can gate at all (every rule ignore: no read). */
export const gateActive = (gate: NormalizedChangeGate | undefined): gate is NormalizedChangeGate =>
  !!gate && (gate.rollout !== 'ignore' || gate.upgrade !== 'ignore' || gate.silence !== 'ignore');
