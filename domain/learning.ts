// Learning from outcomes: how often each (trigger, action) and each subject was healed. Kept in
// policy state from HealingAction results, carried through continue-as-new, shown by
// `kubeskippy policy status` and given to the model as evidence. Pure and bounded.
//
// Only Succeeded and Failed count: Skipped, Rejected and DryRun changed nothing, so they say nothing
// about whether a remediation works.

import type { ActionPhase } from '../crds/healing-action.js';

export interface OutcomeCount {
  succeeded: number;
  failed: number;
  lastMs: number;
}

export interface RecentOutcome {
  trigger: string;
  action: string;
  outcome: 'Succeeded' | 'Failed';
  atMs: number;
}

export interface Learning {
  /** `${trigger}#${action}` → counts. Bounded by the policy's triggers × actions. */
  byTriggerAction: Record<string, OutcomeCount>;
  /** Subject key (the application) → counts and its last few outcomes. */
  bySubject: Record<string, OutcomeCount & { recent: RecentOutcome[] }>;
}

/** Subjects remembered; the least recently seen are forgotten first. */
export const MAX_LEARNED_SUBJECTS = 200;
export const RECENT_PER_SUBJECT = 5;

export function emptyLearning(): Learning {
  return { byTriggerAction: {}, bySubject: {} };
}

export const learningKey = (trigger: string, action: string): string => `${trigger}#${action}`;

/** Returns a new Learning with one more outcome counted (unchanged for phases that do not count). */
export function learnOutcome(
  learning: Learning | undefined,
  o: { trigger: string; action: string; subjectKey: string; outcome: ActionPhase; nowMs: number },
): Learning {
  const base = learning ?? emptyLearning();
  if (o.outcome !== 'Succeeded' && o.outcome !== 'Failed') return base;
  const ok = o.outcome === 'Succeeded';
  const bump = (c: OutcomeCount | undefined): OutcomeCount => ({
    succeeded: (c?.succeeded ?? 0) + (ok ? 1 : 0),
    failed: (c?.failed ?? 0) + (ok ? 0 : 1),
    lastMs: o.nowMs,
  });
  const key = learningKey(o.trigger, o.action);
  const prev = base.bySubject[o.subjectKey];
  const recent: RecentOutcome[] = [
    ...(prev?.recent ?? []),
    { trigger: o.trigger, action: o.action, outcome: o.outcome, atMs: o.nowMs },
  ].slice(-RECENT_PER_SUBJECT);
  const bySubject = { ...base.bySubject, [o.subjectKey]: { ...bump(prev), recent } };
  const keys = Object.keys(bySubject);
  if (keys.length > MAX_LEARNED_SUBJECTS) {
    keys
      .sort((a, b) => (bySubject[a]?.lastMs ?? 0) - (bySubject[b]?.lastMs ?? 0))
      .slice(0, keys.length - MAX_LEARNED_SUBJECTS)
      .forEach((k) => delete bySubject[k]);
  }
  return { byTriggerAction: { ...base.byTriggerAction, [key]: bump(base.byTriggerAction[key]) }, bySubject };
}

/** "3/4 (75%)", or "no outcomes yet". */
export function formatRate(c: OutcomeCount | undefined): string {
  const total = (c?.succeeded ?? 0) + (c?.failed ?? 0);
  if (!c || total === 0) return 'no outcomes yet';
  return `${c.succeeded}/${total} (${Math.round((100 * c.succeeded) / total)}%)`;
}

/** One line for `kubeskippy policy status`: "cpu-high/scale-up 3/4 (75%), crash/restart 1/1 (100%)". */
export function successRatesLine(learning: Learning | undefined): string {
  const entries = Object.entries(learning?.byTriggerAction ?? {});
  if (!entries.length) return 'no outcomes yet';
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, c]) => `${k.replace('#', '/')} ${formatRate(c)}`)
    .join(', ');
}
