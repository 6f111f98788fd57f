// Ineffective-fix detection (safetyRules.ineffectiveRemediation): the same (trigger, action,
// workload) whose attempts keep not lasting is put on hold there, with the attempts as evidence.
// Pure; callers pass a state they own (a clone).
//
//   HealingAction ends ──recordAttempt──▶ attempts (Succeeded | Failed, per trigger/action/workload)
//   the trigger fires again ──noteRelapse──▶ the latest Succeeded attempt relapsed
//   every evaluation ──settleRemedies──▶ ≥ maxIneffective ineffective attempts within window
//                                         → hold (evidence moves into it; an Event says so)
//                                         hold over → the record starts afresh
//   decide() reads heldRungs(): the held action is passed over, asked about, or nothing runs.
//
// Keys are names (workload key, trigger name, action name), never pod names or policy generations,
// so the evidence counts across pod replacements, policy edits and continue-as-new. Bounded: per
// record at most maxIneffective attempts (plus the latest success), MAX_REMEDY_RECORDS records,
// and evidence older than `window` is forgotten.

import type { IneffectiveRemediation, IneffectiveThen } from '../crds/policy-ineffective.js';
import { formatDuration, parseDurationOr } from './duration.js';
import { eventPair, type EmitEventInput, type PolicyRef } from './events.js';
import { healingActionName, parseTargetKey } from './ids.js';
import type { PolicyState } from './state.js';

export interface NormalizedIneffective {
  enabled: boolean;
  maxIneffective: number;
  windowMs: number;
  then: IneffectiveThen;
  holdDurationMs: number;
}

export interface RemedyAttempt {
  workflowId: string;
  outcome: 'Succeeded' | 'Failed';
  startedMs: number;
  endedMs: number;
  /** A Succeeded attempt: when the trigger fired again on the workload. */
  relapsedMs?: number;
}

export interface RemedyHold {
  sinceMs: number;
  untilMs: number;
  /** The attempts that proved it, oldest first. */
  evidence: RemedyAttempt[];
}

/** One (workload, trigger, action). */
export interface RemedyRecord {
  subjectKey: string;
  trigger: string;
  action: string;
  attempts: RemedyAttempt[];
  hold?: RemedyHold;
  lastMs: number;
}

/** A hold set by this evaluation: the Event and the status say so. */
export interface IneffectiveNotice {
  subjectKey: string;
  trigger: string;
  action: string;
  sinceMs: number;
  untilMs: number;
  message: string;
}

export const MAX_REMEDY_RECORDS = 200;

/** The Temporal patch id under which policy workflows detect ineffective fixes (workflows/policy-tick.ts). */
export const INEFFECTIVE_PATCH = 'ineffective-remediation';

/** The policy with the rule off: how runs recorded before it existed replay. */
export function withoutIneffective<P extends { safety: { ineffective: NormalizedIneffective } }>(
  policy: P,
): P {
  return {
    ...policy,
    safety: { ...policy.safety, ineffective: { ...policy.safety.ineffective, enabled: false } },
  };
}
const HOUR_MS = 3_600_000;

/** Absent: on, 3 ineffective attempts within 1h, then the next action, held for safetyRules.holdDuration. */
export function normalizeIneffective(
  spec: IneffectiveRemediation | undefined,
  holdDurationMs: number,
): NormalizedIneffective {
  return {
    enabled: spec?.enabled ?? true,
    maxIneffective: spec?.maxIneffective ?? 3,
    windowMs: parseDurationOr(spec?.window ?? '1h', HOUR_MS),
    then: spec?.then ?? 'nextAction',
    holdDurationMs: spec?.holdDuration ? parseDurationOr(spec.holdDuration, holdDurationMs) : holdDurationMs,
  };
}

export const remedyKey = (subjectKey: string, trigger: string, action: string): string =>
  `${subjectKey}#${trigger}#${action}`;

const ineffective = (a: RemedyAttempt): boolean => a.outcome === 'Failed' || a.relapsedMs !== undefined;

/** Records how one attempt ended; other phases (Skipped, Rejected, DryRun) changed nothing and say nothing. */
export function recordAttempt(
  state: PolicyState,
  config: NormalizedIneffective,
  o: {
    subjectKey: string;
    trigger: string;
    action: string;
    workflowId: string;
    outcome: string;
    startedMs: number;
    nowMs: number;
  },
): void {
  if (o.outcome !== 'Succeeded' && o.outcome !== 'Failed') return;
  const remedies = (state.remedies ??= {});
  const key = remedyKey(o.subjectKey, o.trigger, o.action);
  const rec = (remedies[key] ??= {
    subjectKey: o.subjectKey,
    trigger: o.trigger,
    action: o.action,
    attempts: [],
    lastMs: o.nowMs,
  });
  // A success that has not relapsed by the time a newer attempt ends can no longer be told apart
  // from that newer one's relapse: only the latest success is watched.
  const kept = rec.attempts.filter((a) => ineffective(a));
  kept.push({ workflowId: o.workflowId, outcome: o.outcome, startedMs: o.startedMs, endedMs: o.nowMs });
  rec.attempts = kept.slice(-Math.max(config.maxIneffective, 1));
  rec.lastMs = o.nowMs;
}

/**
 * The trigger fired again on the workload: the latest success of an action for it relapsed, if that
 * success is recent (within window) and the fire is a new episode — its condition began after that
 * action was planned, so a sibling pod already firing then is not taken for a relapse.
 */
export function noteRelapse(
  state: PolicyState,
  config: NormalizedIneffective,
  f: { subjectKey: string; trigger: string; firstTrueMs: number; nowMs: number },
): boolean {
  let latest: { rec: RemedyRecord; a: RemedyAttempt } | undefined;
  for (const rec of Object.values(state.remedies ?? {})) {
    if (rec.subjectKey !== f.subjectKey || rec.trigger !== f.trigger) continue;
    const a = rec.attempts[rec.attempts.length - 1];
    if (!a || a.outcome !== 'Succeeded' || a.relapsedMs !== undefined) continue;
    if (a.startedMs >= f.firstTrueMs || a.endedMs > f.nowMs || f.nowMs - a.endedMs > config.windowMs)
      continue;
    if (!latest || a.endedMs > latest.a.endedMs) latest = { rec, a };
  }
  if (!latest) return false;
  latest.a.relapsedMs = f.nowMs;
  latest.rec.lastMs = f.nowMs;
  return true;
}

/** A fire of the trigger on the workload: notes a relapse, and returns the holds that set. */
export function onFire(
  state: PolicyState,
  config: NormalizedIneffective,
  f: { subjectKey: string; trigger: string; firstTrueMs: number; nowMs: number },
): IneffectiveNotice[] {
  if (!state.remedies || !noteRelapse(state, config, f)) return [];
  return settleRemedies(state, config, f.nowMs);
}

/** Forgets old evidence, ends holds that are over, and puts on hold what proved ineffective. */
export function settleRemedies(
  state: PolicyState,
  config: NormalizedIneffective,
  nowMs: number,
): IneffectiveNotice[] {
  const remedies = state.remedies;
  if (!remedies) return [];
  const notices: IneffectiveNotice[] = [];
  for (const [key, rec] of Object.entries(remedies)) {
    rec.attempts = rec.attempts.filter((a) => nowMs - a.endedMs <= config.windowMs);
    if (rec.hold && (rec.hold.untilMs <= nowMs || !config.enabled)) delete rec.hold;
    if (config.enabled && !rec.hold && rec.attempts.filter(ineffective).length >= config.maxIneffective) {
      const evidence = rec.attempts;
      rec.hold = { sinceMs: nowMs, untilMs: nowMs + config.holdDurationMs, evidence };
      rec.attempts = []; // the hold is the consequence; after it the action starts afresh
      rec.lastMs = nowMs;
      const { subjectKey, trigger, action } = rec;
      notices.push({
        subjectKey,
        trigger,
        action,
        sinceMs: nowMs,
        untilMs: rec.hold.untilMs,
        message: holdMessage(rec, config, nowMs),
      });
    }
    if (!rec.hold && rec.attempts.length === 0) delete remedies[key];
  }
  const keys = Object.keys(remedies);
  if (keys.length > MAX_REMEDY_RECORDS)
    keys
      .sort((a, b) => (remedies[a]?.lastMs ?? 0) - (remedies[b]?.lastMs ?? 0))
      .slice(0, keys.length - MAX_REMEDY_RECORDS)
      .forEach((k) => delete remedies[k]);
  if (keys.length === 0) delete state.remedies; // a quiet policy's state shrinks back to nothing
  return notices;
}

/** The hold on `action` for `trigger` on the workload, while it lasts and the rule is on. */
export function remedyHold(
  state: PolicyState,
  config: NormalizedIneffective,
  k: { subjectKey: string; trigger: string; action: string; nowMs: number },
): RemedyRecord | undefined {
  if (!config.enabled) return undefined;
  const rec = state.remedies?.[remedyKey(k.subjectKey, k.trigger, k.action)];
  return rec?.hold && rec.hold.untilMs > k.nowMs ? rec : undefined;
}

function describeAttempt(a: RemedyAttempt): string {
  if (a.outcome === 'Failed') return `Failed at ${new Date(a.endedMs).toISOString()}`;
  const relapse =
    a.relapsedMs !== undefined ? `, relapsed ${formatDuration(a.relapsedMs - a.endedMs)} later` : '';
  return `Succeeded at ${new Date(a.endedMs).toISOString()}${relapse}`;
}

/** "restart did not last for high-memory on ns/Deployment/web: 3 of 3 attempts within 1h ... on hold for 1h more". */
export function holdMessage(rec: RemedyRecord, config: NormalizedIneffective, nowMs: number): string {
  const evidence = rec.hold?.evidence ?? rec.attempts;
  const bad = evidence.filter(ineffective).length;
  const left = rec.hold ? `; on hold for ${formatDuration(rec.hold.untilMs - nowMs)} more` : '';
  return (
    `action ${rec.action} did not last for trigger ${rec.trigger} on ${rec.subjectKey}: ` +
    `${bad} ineffective attempts within ${formatDuration(config.windowMs)} ` +
    `(safetyRules.ineffectiveRemediation.maxIneffective ${config.maxIneffective}): ` +
    `${evidence.map(describeAttempt).join('; ')}${left}`
  );
}

/** What the policy status lists: every action on hold, with its evidence. */
export interface IneffectiveView {
  subjectKey: string;
  trigger: string;
  action: string;
  sinceMs: number;
  untilMs: number;
  then: IneffectiveThen;
  message: string;
  evidence: (RemedyAttempt & { healingAction: string })[];
}

export function ineffectiveView(
  state: PolicyState,
  config: NormalizedIneffective,
  nowMs: number,
): IneffectiveView[] {
  if (!config.enabled) return [];
  return Object.values(state.remedies ?? {}).flatMap((rec) =>
    rec.hold && rec.hold.untilMs > nowMs
      ? [
          {
            subjectKey: rec.subjectKey,
            trigger: rec.trigger,
            action: rec.action,
            sinceMs: rec.hold.sinceMs,
            untilMs: rec.hold.untilMs,
            then: config.then,
            message: holdMessage(rec, config, nowMs),
            evidence: rec.hold.evidence.map((a) => ({
              ...a,
              healingAction: healingActionName(a.workflowId, rec.action),
            })),
          },
        ]
      : [],
  );
}

/** Lifts the holds (and forgets the evidence) on one workload, or on all. */
export function clearRemedies(state: PolicyState, subjectKey?: string): PolicyState {
  if (!state.remedies) return state;
  const remedies = { ...state.remedies };
  for (const [key, rec] of Object.entries(remedies))
    if (subjectKey === undefined || rec.subjectKey === subjectKey) delete remedies[key];
  return { ...state, remedies };
}

/** The object an Event about the workload is written on (its key names kind, namespace and name). */
export function subjectObject(
  subjectKey: string,
): { apiVersion: string; kind: string; namespace: string; name: string } | undefined {
  const ref = parseTargetKey(subjectKey);
  if (!ref) return undefined;
  const apiVersion = ref.kind === 'Pod' ? 'v1' : ref.kind === 'Job' ? 'batch/v1' : 'apps/v1';
  return { apiVersion, ...ref };
}

/** One Warning Event per hold, on the workload and on the policy; the hold's start names it, so a retry writes it once. */
export function ineffectiveEvents(input: {
  policy: PolicyRef;
  notices: IneffectiveNotice[];
  nowMs: number;
}): EmitEventInput[] {
  const { policy } = input;
  return input.notices.flatMap((n) => {
    const target = subjectObject(n.subjectKey);
    if (!target) return [];
    const name = `${policy.name}.ineffective.${target.name}.${n.trigger}.${n.action}.${n.sinceMs}`
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-');
    return eventPair({
      name,
      target,
      policy,
      type: 'Warning',
      reason: 'IneffectiveRemediation',
      targetMessage: `${policy.name}: ${n.message}`,
      policyMessage: n.message,
      timeMs: input.nowMs,
    });
  });
}
