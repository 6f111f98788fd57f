// PolicyState: everything the policy workflow remembers between evaluations, carried through
// continue-as-new. Plain JSON (records, arrays, numbers), and bounded: prune.ts drops what is stale.
//
// Open-action life cycle (one entry per resolved target):
//
//   evaluatePolicy plans ──▶ open[targetKey] ──recordActionOutcome──▶ closed
//                                │                 Succeeded: failure streak and ladder reset
//                                │                 Failed:    streak+1, ladder steps up, maybe hold
//                                │                 Rejected | Skipped | DryRun: closed, not a failure
//                                └── never reported for too long ──▶ expired by prune (not a failure)

import type { ActionPhase } from '../crds/healing-action.js';
import type { PolicyMode } from '../crds/healing-policy.js';
import type { AlertEpisode } from './alerts.js';
import { clearRemedies, recordAttempt, type RemedyRecord } from './ineffective.js';
import { learnOutcome, type Learning } from './learning.js';
import type { PlannedAction } from './plan-types.js';
import type { NormalizedPolicy } from './policy-types.js';

/** Start of a `for` window for one (trigger, target). */
export interface WindowEntry {
  sinceMs: number;
  /** The pod uid the window belongs to: a replacement with the same name starts a new window. */
  uid?: string;
  /** Last evaluation that saw the target; used to drop windows of targets that are gone. */
  seenMs: number;
}

/** Restart totals of one pod over time, kept as a step function: a point only when the total changes. */
export interface RestartHistory {
  key: string;
  seenMs: number;
  createdAtMs?: number;
  /** [observedAtMs, total restartCount over containers], ascending in time. */
  points: [number, number][];
}

export interface OpenAction {
  workflowId: string;
  trigger: string;
  action: string;
  /** Position of `action` in the trigger's ladder (policy.ladders). */
  ladderIndex: number;
  targetKey: string;
  subjectKey: string;
  /** The action changes the owning workload (scale, rollout, patch) rather than one pod. */
  onOwner: boolean;
  /** The pod whose trigger fired. */
  podKey: string;
  startedMs: number;
}

export interface LadderEntry {
  /** Index in the trigger's ladder of the next action to try. */
  next: number;
  updatedMs: number;
}

export interface SubjectRecord {
  /** Failed actions in a row on this subject. */
  failures: number;
  lastFailureMs: number;
  holdUntilMs?: number;
}

export interface Counters {
  evaluations: number;
  fires: number;
  actionsStarted: number;
  outcomes: Record<string, number>;
  refusals: Record<string, number>;
}

export interface PolicyState {
  version: 1;
  /** Next sequence number for action workflow ids; only ever grows. */
  seq: number;
  paused: boolean;
  /** Set by the setMode signal; wins over the spec's mode until the CR changes or `resume`. */
  modeOverride?: PolicyMode;
  /** triggerTargetKey → start of the `for` window. */
  windows: Record<string, WindowEntry>;
  /** triggerTargetKey (resolved target) → no action for this trigger on that target before this time. */
  cooldowns: Record<string, number>;
  /** Start times of every action in the last hour (attempts, failures included). */
  starts: number[];
  /** Resolved target key → the action in flight on it. */
  open: Record<string, OpenAction>;
  /** Pod uid → restart history. */
  restarts: Record<string, RestartHistory>;
  /** `${subjectKey}#${trigger}` → escalation position. */
  ladders: Record<string, LadderEntry>;
  /** Subject key → failure streak and hold. */
  subjects: Record<string, SubjectRecord>;
  counters: Counters;
  /** Success counts per (trigger, action) and per subject; absent in states from older runs. */
  learning?: Learning;
  lastEvaluatedMs?: number;
  /** Alert episodes by episodeKey (domain/alerts.ts); absent until the first alert arrives. */
  alerts?: Record<string, AlertEpisode>;
  /** remedyKey (workload, trigger, action) → attempts and hold (domain/ineffective.ts); absent until one ends. */
  remedies?: Record<string, RemedyRecord>;
}

export function initialState(): PolicyState {
  return {
    version: 1,
    seq: 1,
    paused: false,
    windows: {},
    cooldowns: {},
    starts: [],
    open: {},
    restarts: {},
    ladders: {},
    subjects: {},
    counters: { evaluations: 0, fires: 0, actionsStarted: 0, outcomes: {}, refusals: {} },
  };
}

/** A deep copy; domain functions never mutate their input state. */
export function cloneState(state: PolicyState): PolicyState {
  return copyJson(state) as PolicyState;
}

/**
 * What JSON.parse(JSON.stringify(v)) returns, for the plain data state is made of, about three
 * times faster (the state of 10,000 pods is over a megabyte): undefined, functions and symbols
 * are dropped from objects and become null in arrays; non-finite numbers become null.
 */
function copyJson(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = omitted(v[i]) ? null : copyJson(v[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    if (omitted(x)) continue;
    if (k === '__proto__')
      Object.defineProperty(out, k, {
        value: copyJson(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[k] = copyJson(x);
  }
  return out;
}

const omitted = (x: unknown): boolean => x === undefined || typeof x === 'function' || typeof x === 'symbol';

/** Every mode a policy can be in (the CRD's enum), for messages that arrive without the schema. */
export const POLICY_MODES: readonly PolicyMode[] = ['monitor', 'dryrun', 'automatic', 'manual'];
export const isPolicyMode = (m: string): m is PolicyMode => (POLICY_MODES as readonly string[]).includes(m);

export function effectiveMode(policy: NormalizedPolicy, state: PolicyState): PolicyMode {
  return state.modeOverride ?? policy.mode;
}

export function pause(state: PolicyState): PolicyState {
  return { ...state, paused: true };
}

/** Resumes and drops a setMode override, so the CR's mode applies again. */
export function resume(state: PolicyState): PolicyState {
  const { modeOverride: _dropped, ...rest } = state;
  return { ...rest, paused: false };
}

export function setModeOverride(state: PolicyState, mode: PolicyMode | undefined): PolicyState {
  const { modeOverride: _dropped, ...rest } = state;
  return mode ? { ...rest, modeOverride: mode } : rest;
}

/** The CR changed: its mode is the truth again. */
export function onPolicyChanged(state: PolicyState): PolicyState {
  return setModeOverride(state, undefined);
}

/** Lifts a hold (its failure streak, and ineffective-fix holds) on one subject, or on all when no key is given. */
export function clearHold(state: PolicyState, subjectKey?: string): PolicyState {
  const subjects = { ...state.subjects };
  for (const key of Object.keys(subjects))
    if (subjectKey === undefined || key === subjectKey) delete subjects[key];
  return clearRemedies({ ...state, subjects }, subjectKey);
}

/** Subjects on hold at `nowMs`: the policy is Degraded while this is not empty. */
export function heldSubjects(
  state: PolicyState,
  nowMs: number,
): { subjectKey: string; holdUntilMs: number }[] {
  return Object.entries(state.subjects)
    .filter(([, s]) => s.holdUntilMs !== undefined && s.holdUntilMs > nowMs)
    .map(([subjectKey, s]) => ({ subjectKey, holdUntilMs: s.holdUntilMs ?? 0 }));
}

/** Subjects with any hold: after failures in a row, or an action that did not last (domain/ineffective.ts). */
export function heldKeys(state: PolicyState, nowMs: number): string[] {
  const keys = heldSubjects(state, nowMs).map((h) => h.subjectKey);
  for (const r of Object.values(state.remedies ?? {}))
    if (r.hold && r.hold.untilMs > nowMs) keys.push(r.subjectKey);
  return [...new Set(keys)];
}

export function ladderKey(subjectKey: string, trigger: string): string {
  return `${subjectKey}#${trigger}`;
}

export interface ActionOutcome {
  workflowId: string;
  outcome: ActionPhase;
  nowMs: number;
  /** Where to look first; the workflow id alone is enough. */
  targetKey?: string;
  /** Supplies maxConsecutiveFailures and holdDuration. */
  policy: NormalizedPolicy;
  /** The action that actually ran, when an AI decision replaced the planned one. */
  action?: string;
}

/** What an open action became after its AI step chose another allowed action. */
export interface ActionRetarget {
  workflowId: string;
  action: string;
  ladderIndex: number;
  targetKey: string;
  onOwner: boolean;
}

/** The actionRetargeted signal for what a planned action became: the fields the conflict checks read. */
export function actionRetarget(ran: PlannedAction): ActionRetarget {
  return {
    workflowId: ran.workflowId,
    action: ran.action.name,
    ladderIndex: ran.ladderIndex,
    targetKey: ran.targetKey,
    onOwner: ran.onOwner,
  };
}

/** The key (resolved target) under which `workflowId` is open; `hint` is tried first. */
function openKeyOf(state: PolicyState, workflowId: string, hint?: string): string | undefined {
  if (hint !== undefined && state.open[hint]?.workflowId === workflowId) return hint;
  return Object.keys(state.open).find((k) => state.open[k]?.workflowId === workflowId);
}

/**
 * Points an open action at what it actually does: an AI decision may have turned "restart this pod"
 * into "scale its Deployment", and the conflict checks for the next fires must see the Deployment.
 * The record moves to the new target's key, so `open` stays keyed by resolved target. If another
 * action was planned on that target meanwhile, the record keeps its old key (the conflict checks
 * read each record's own targetKey, so both still count). An unknown (already closed) workflow id
 * changes nothing.
 */
export function retargetOpenAction(state: PolicyState, r: ActionRetarget): PolicyState {
  const key = openKeyOf(state, r.workflowId, r.targetKey);
  const open = key !== undefined ? state.open[key] : undefined;
  if (key === undefined || !open) return state;
  const { action, ladderIndex, targetKey, onOwner } = r;
  const moved = { ...open, action, ladderIndex, targetKey, onOwner };
  const { [key]: _old, ...others } = state.open;
  const newKey = others[targetKey] ? key : targetKey;
  return { ...state, open: { ...others, [newKey]: moved } };
}

/** The phases a HealingAction ends in; the one list (the controller, demo and tests use it too). */
export const TERMINAL_PHASES: readonly ActionPhase[] = [
  'Succeeded',
  'Failed',
  'Rejected',
  'Skipped',
  'DryRun',
];

export function isTerminalPhase(phase: string | undefined): phase is ActionPhase {
  return (TERMINAL_PHASES as readonly (string | undefined)[]).includes(phase);
}

/**
 * Closes the open action `workflowId` with a terminal phase. Idempotent: an unknown workflow id or
 * a repeated report changes nothing, and a non-terminal phase is ignored.
 * Only Failed counts as a failure: Skipped (the live safety check refused), Rejected (a person said
 * no, or approval expired) and DryRun changed nothing, so they say nothing about whether the
 * remediation works.
 */
export function recordActionOutcome(state: PolicyState, outcome: ActionOutcome): PolicyState {
  const { policy } = outcome;
  if (!isTerminalPhase(outcome.outcome)) return state;
  const key = openKeyOf(state, outcome.workflowId, outcome.targetKey);
  const open = key !== undefined ? state.open[key] : undefined;
  if (key === undefined || !open) return state;
  const next = cloneState(state);
  delete next.open[key];
  next.counters.outcomes[outcome.outcome] = (next.counters.outcomes[outcome.outcome] ?? 0) + 1;
  next.learning = learnOutcome(next.learning, {
    trigger: open.trigger,
    action: outcome.action ?? open.action,
    subjectKey: open.subjectKey,
    outcome: outcome.outcome,
    nowMs: outcome.nowMs,
  });
  recordAttempt(next, policy.safety.ineffective, {
    subjectKey: open.subjectKey,
    trigger: open.trigger,
    action: outcome.action ?? open.action,
    workflowId: open.workflowId,
    outcome: outcome.outcome,
    startedMs: open.startedMs,
    nowMs: outcome.nowMs,
  });
  const lk = ladderKey(open.subjectKey, open.trigger);
  if (outcome.outcome === 'Succeeded') {
    delete next.ladders[lk];
    const subject = next.subjects[open.subjectKey];
    // A success ends the streak; an active hold stays until it expires or a person clears it.
    if (subject?.holdUntilMs !== undefined && subject.holdUntilMs > outcome.nowMs) subject.failures = 0;
    else delete next.subjects[open.subjectKey];
  } else if (outcome.outcome === 'Failed') {
    next.ladders[lk] = { next: open.ladderIndex + 1, updatedMs: outcome.nowMs };
    const subject = next.subjects[open.subjectKey] ?? { failures: 0, lastFailureMs: outcome.nowMs };
    subject.failures += 1;
    subject.lastFailureMs = outcome.nowMs;
    if (subject.failures >= policy.safety.maxConsecutiveFailures) {
      subject.holdUntilMs = outcome.nowMs + policy.safety.holdDurationMs;
      subject.failures = 0; // the hold is the consequence; after it the subject starts afresh
    }
    next.subjects[open.subjectKey] = subject;
  }
  return next;
}
