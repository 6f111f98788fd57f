// Judges each scenario from what the cluster shows: did it heal the way scenarios.ts says it
// should? A scenario is `passed` as soon as its evidence is in, `failed` when it cannot pass any
// more (or the demo ran out of time), `pending` while it may still go either way.
import type { HealingAction } from '../../crds/healing-action.js';
import type { AppView, DemoSnapshot } from './observe.js';
import type { Scenario } from './scenarios.js';
import { isTerminalPhase } from '../../domain/state.js';

export interface ScenarioResult {
  scenario: Scenario;
  /** `skipped`: not deployed (the `ai` scenario without a reachable model); not a failure. */
  status: 'pending' | 'passed' | 'failed' | 'skipped';
  fired: string;
  done: string;
  /** Trigger condition first true → the change was made (or recorded, for a dry run). */
  toActionMs?: number;
  /** Trigger condition first true → verified healed. */
  toHealedMs?: number;
  outcome: string;
}

/** What an app looked like once it was up, to prove "never touched" and "nothing changed". */
export interface Baseline {
  generation: number;
  podUids: string[];
}

export function captureBaseline(app: AppView | undefined): Baseline | undefined {
  if (!app || app.pods.length < app.replicas || app.pods.some((p) => p.state === 'Pending')) return undefined;
  return { generation: app.generation, podUids: app.pods.map((p) => p.uid).sort() };
}

const ACTED = ['Executing', 'Verifying', 'Succeeded', 'Failed'];

/** A scenario that was not deployed, and why (e.g. "no model reachable (OLLAMA_HOST is not set)"). */
export function skippedResult(scenario: Scenario, why: string): ScenarioResult {
  return { scenario, status: 'skipped', fired: '-', done: '-', outcome: `skipped: ${why}` };
}

/** The model answered: a confidence and a root cause are recorded (not just why it did not). */
export const aiAnswered = (a: HealingAction): boolean =>
  a.status?.aiAnalysis?.confidence !== undefined && Boolean(a.status.aiAnalysis.rootCause);

/** What each expectation's judge sees of one scenario. */
interface Judging {
  actions: HealingAction[];
  policy: DemoSnapshot['policies'][string] | undefined;
  /** A result carrying the action's fired/done text and timings. */
  result(r: Omit<ScenarioResult, 'scenario' | 'fired' | 'done'>, a?: HealingAction): ScenarioResult;
  /** Still pending, or failed when the demo is over. */
  pendingOrFailed(why: string, a?: HealingAction): ScenarioResult;
  /** Why the app is not as it was at the baseline (changed Deployment, replaced pods), if it is not. */
  untouched(): string | undefined;
}

// A dry run passes through Executing too (its executor makes the server-side dry-run call), so
// only an action that is not a dry run counts as having run; the cluster check still catches any
// change a dry run made.
const ranOrChanged = (j: Judging): string | undefined =>
  j.untouched() ??
  (j.actions.some((a) => !a.spec.dryRun && ACTED.includes(a.status?.phase ?? ''))
    ? 'an action ran'
    : undefined);

const lastPhase = (a: HealingAction): string =>
  `${a.status?.phase ?? 'Pending'} ${a.status?.reason ?? ''}`.trim();

function judgeNeverTouched(j: Judging): ScenarioResult {
  const touched = ranOrChanged(j);
  if (touched) return j.result({ status: 'failed', outcome: `TOUCHED: ${touched}` }, j.actions.at(-1));
  const skipped = j.actions.find((a) => a.status?.phase === 'Skipped' && a.status.reason === 'Protected');
  const refusals = j.policy?.refusals.Protected ?? 0;
  if (!skipped && refusals === 0) return j.pendingOrFailed('no refusal yet');
  const last = j.policy?.lastRefusal;
  const why = last?.message ?? skipped?.status?.message ?? 'Protected';
  return {
    ...j.result(
      { status: 'passed', outcome: `refused ${Math.max(refusals, 1)}× (Protected), untouched` },
      skipped,
    ),
    fired: skipped ? firedText(skipped) : `${last?.trigger ?? 'trigger'} on ${last?.targetKey ?? '?'}`,
    done: `nothing: ${why}`,
  };
}

function judgeAiAnalysed(j: Judging): ScenarioResult {
  // Whatever the model chose is honest, as long as it answered and the action ended the way
  // the rules allow: Succeeded (its choice, or the rule's when it was unsure or out of bounds),
  // or Skipped because it recommended no action.
  const ok = j.actions.find(
    (a) =>
      aiAnswered(a) &&
      (a.status?.phase === 'Succeeded' ||
        (a.status?.phase === 'Skipped' && a.status.reason === 'AiRecommendedNone')),
  );
  if (ok) {
    const ended =
      ok.status?.phase === 'Succeeded'
        ? `healed: ${ok.status.reason ?? 'Succeeded'}`
        : 'skipped as the model advised (AiRecommendedNone)';
    return j.result({ status: 'passed', outcome: `${ended}; ${aiText(ok)}` }, ok);
  }
  const last = j.actions.at(-1);
  if (!last) return j.pendingOrFailed('no action yet');
  const ai = last.status?.aiAnalysis;
  const phase = lastPhase(last);
  if (!ai) return j.pendingOrFailed(`${phase}, no analysis yet`, last);
  if (!aiAnswered(last))
    // The model was down, slow or answered garbage: the rule's action ran without it.
    return j.pendingOrFailed(`${phase}; the model gave no answer: ${ai.reason ?? '?'}`, last);
  return j.pendingOrFailed(
    `${phase}${isTerminalPhase(last.status?.phase) ? '' : ' …'}; ${aiText(last)}`,
    last,
  );
}

/** One judge per expectation in scenarios.ts. */
const JUDGES: Record<Scenario['expect'], (j: Judging) => ScenarioResult> = {
  succeeded: (j) => {
    const ok = j.actions.find((a) => a.status?.phase === 'Succeeded');
    if (ok) return j.result({ status: 'passed', outcome: `healed: ${ok.status?.reason ?? 'Succeeded'}` }, ok);
    const last = j.actions.at(-1);
    return j.pendingOrFailed(last ? lastPhase(last) : 'no action yet', last);
  },
  'never-touched': judgeNeverTouched,
  'dry-run-unchanged': (j) => {
    const dry = j.actions.find((a) => a.status?.phase === 'DryRun');
    if (!dry)
      return j.pendingOrFailed(
        j.actions.length ? `${j.actions.at(-1)?.status?.phase}` : 'no action yet',
        j.actions.at(-1),
      );
    const changed = ranOrChanged(j);
    if (changed) return j.result({ status: 'failed', outcome: `CHANGED: ${changed}` }, dry);
    return j.result({ status: 'passed', outcome: 'recorded only, unchanged' }, dry);
  },
  'approved-succeeded': (j) => {
    const ok = j.actions.find(
      (a) => a.status?.phase === 'Succeeded' && a.status.approval?.decision === 'approve',
    );
    if (ok)
      return j.result({ status: 'passed', outcome: `approved by ${ok.status?.approval?.by}, healed` }, ok);
    const last = j.actions.at(-1);
    return j.pendingOrFailed(last ? `${last.status?.phase ?? 'Pending'}` : 'no action yet', last);
  },
  'ai-analysed': judgeAiAnalysed,
};

export function judge(
  scenario: Scenario,
  snap: DemoSnapshot,
  baseline: Baseline | undefined,
  final: boolean,
): ScenarioResult {
  const app = snap.apps.find((a) => a.name === scenario.app);
  const result: Judging['result'] = (r, a) => ({
    scenario,
    fired: a ? firedText(a) : '-',
    done: a ? doneText(a) : '-',
    ...timings(a),
    ...r,
  });
  return JUDGES[scenario.expect]({
    actions: snap.actions.filter((a) => a.spec.policyRef.name === scenario.policy),
    policy: snap.policies[scenario.policy],
    result,
    pendingOrFailed: (why, a) =>
      result({ status: final ? 'failed' : 'pending', outcome: final ? `NOT AS EXPECTED: ${why}` : why }, a),
    untouched: () => {
      if (!baseline || !app) return undefined;
      if (app.generation !== baseline.generation) return `Deployment changed (generation ${app.generation})`;
      const gone = baseline.podUids.filter(
        (uid) => !app.pods.some((p) => p.uid === uid && p.state !== 'Terminating'),
      );
      return gone.length > 0 ? `${gone.length} pod(s) replaced` : undefined;
    },
  });
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The analysis in one line: "llama3.2 → rollout-restart (0.90, followed): memory grows until …".
 * Not followed says why in one word (BelowMinConfidence, NotAllowed, AdviseOnly, ...).
 */
export function aiText(a: HealingAction, rootCauseChars = 60): string {
  const ai = a.status?.aiAnalysis;
  if (!ai) return 'no AI analysis';
  if (!aiAnswered(a)) return `${ai.model ?? 'model'}: no answer (${(ai.reason ?? '?').split(':')[0]})`;
  const followed = ai.followed ? 'followed' : `not followed: ${(ai.reason ?? '?').split(':')[0]}`;
  const confidence = ai.confidence!.toFixed(2);
  return `${ai.model ?? 'model'} → ${ai.recommendation ?? '?'} (${confidence}, ${followed}): ${cut(ai.rootCause ?? '', rootCauseChars)}`;
}

function timings(a: HealingAction | undefined): Pick<ScenarioResult, 'toActionMs' | 'toHealedMs'> {
  const t0 = Date.parse(a?.spec.trigger?.firstTrueTime ?? '');
  if (!a || Number.isNaN(t0)) return {};
  const acted = Date.parse(
    a.status?.executionTime ?? (a.status?.phase === 'DryRun' ? (a.status.completionTime ?? '') : ''),
  );
  const healed = a.status?.phase === 'Succeeded' ? Date.parse(a.status.completionTime ?? '') : NaN;
  return {
    ...(Number.isNaN(acted) ? {} : { toActionMs: acted - t0 }),
    ...(Number.isNaN(healed) ? {} : { toHealedMs: healed - t0 }),
  };
}

export function firedText(a: HealingAction): string {
  const t = a.spec.trigger;
  if (!t) return '-';
  const value = t.observedValue
    ? ` ${roundText(t.observedValue)}${t.threshold ? ` (threshold ${t.threshold})` : ''}`
    : '';
  return `${t.name}${value}`;
}

const VERBS: Record<string, string> = {
  evict: 'evicted',
  delete: 'deleted',
  patch: 'patched',
  scale: 'scaled',
  update: 'updated',
  create: 'created',
};

/** The changes in a few words: "evicted Pod/x", "scaled Deployment/y 2 → 4", "patched ... (2 fields)". */
export function doneText(a: HealingAction): string {
  const changes = a.status?.result?.changes ?? [];
  const dry = a.status?.phase === 'DryRun';
  const target = `${a.spec.targetResource.kind}/${a.spec.targetResource.name}`;
  // Skipped (e.g. the model recommended no action): nothing was done, whatever was planned.
  if (changes.length === 0 && a.status?.phase === 'Skipped')
    return `nothing (${a.status.reason ?? 'Skipped'}): ${a.spec.action.type} ${target} not run`;
  if (changes.length === 0) return `${dry ? 'would ' : ''}${a.spec.action.type} ${target}`;
  const groups = new Map<string, typeof changes>();
  for (const c of changes) {
    const key = `${c.changeType} ${c.resourceRef.replace(/^([^/]+)\/[^/]+\//, '$1/')}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.entries()]
    .map(([key, cs]) => {
      const [type = '', ref = ''] = key.split(' ');
      const verb = dry ? `would ${type}` : (VERBS[type] ?? type);
      const first = cs[0]!;
      if (type === 'scale') return `${verb} ${ref} ${first.oldValue ?? '?'} → ${first.newValue ?? '?'}`;
      if (type === 'patch') {
        const fields = cs.map((c) => leaf(c.field ?? ''));
        return `${verb} ${ref} (${fields.join(', ')})`;
      }
      return `${verb} ${ref}`;
    })
    .join('; ');
}

/** "/spec/…/annotations/sim.kubeskippy.io~1behavior" → "sim.kubeskippy.io/behavior"; "a.b[key]" → "key". */
function leaf(field: string): string {
  const bracket = /\[([^\]]+)\]$/.exec(field);
  if (bracket) return bracket[1]!;
  return (field.split('/').filter(Boolean).at(-1) ?? field).replace(/~1/g, '/').replace(/~0/g, '~');
}

const roundText = (v: string): string => (/^-?\d+\.\d{2,}$/.test(v) ? Number(v).toFixed(1) : v);

export function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`;
}
