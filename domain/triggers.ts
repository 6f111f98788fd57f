// Trigger evaluation PER TARGET: every (trigger, pod) pair gets its own sample, its own `for`
// window and its own verdict. A breach by one pod never makes another pod a target.
//
// `for` window of one (trigger, pod), carried in state.windows:
//
//   sample holds ──▶ window starts (if not started) ──▶ fired once now − start ≥ for
//   sample clear ──▶ window deleted
//   no sample    ──▶ window kept as is, not fired this time
//
// Windows and cooldowns run on the workflow's clock (nowMs); restart samples and event windows on
// the cluster's clock (snapshot.observedAtMs), since those timestamps come from the cluster.

import { firingAlerts, type FiringAlerts } from './alerts.js';
import { parseTriggerTargetKey, triggerTargetKey } from './ids.js';
import type { NormalizedPolicy, NormalizedTrigger } from './policy-types.js';
import { recordRestartSample, restartsInWindow } from './restarts.js';
import {
  sampleTrigger,
  triggerTexts,
  type Sample,
  type SampleContext,
  type TriggerTexts,
} from './samples.js';
import type { ClusterSnapshot, EventSnapshot, ObjectRef, PodSnapshot } from './snapshot.js';
import type { PolicyState } from './state.js';
import { refKey, selectKeyedTargets } from './targets.js';

export interface TriggerEvaluation {
  trigger: string;
  triggerType: NormalizedTrigger['type'];
  targetKey: string;
  target: ObjectRef;
  /** False when there was no sample (no usage, no limit, condition not reported). */
  sampled: boolean;
  /** The comparison holds in this snapshot. */
  holds: boolean;
  /** It has held for the whole `for` window: the trigger fires for this target. */
  fired: boolean;
  observedValue?: string;
  threshold?: string;
  reason: string;
  /** Start of the current `for` window. */
  firstTrueMs?: number;
  forMs: number;
}

export function usesRestartCount(policy: NormalizedPolicy): boolean {
  return policy.triggers.some((t) => t.type === 'metric' && t.query === 'restart_count');
}

/** Records this snapshot's restart totals for the selected pods (mutates `state`). */
export function updateRestartHistories(state: PolicyState, pods: PodSnapshot[], observedAtMs: number): void {
  for (const pod of pods) {
    const uid = pod.ref.uid || refKey(pod.ref);
    state.restarts[uid] = recordRestartSample(state.restarts[uid], pod, observedAtMs);
  }
}

export interface EvaluateTriggersInput {
  policy: NormalizedPolicy;
  snapshot: ClusterSnapshot;
  /** Mutated: windows and restart histories are updated in place (callers pass a clone). */
  state: PolicyState;
  nowMs: number;
}

/** Per pod, computed once per evaluation rather than once per (trigger, pod). */
interface PodKeys {
  pod: PodSnapshot;
  podKey: string;
  uid: string;
  /** The snapshot's events about this pod, when some trigger counts events. */
  events: EventSnapshot[] | undefined;
}

/** Per trigger, computed once per evaluation. */
interface TriggerRun {
  trigger: NormalizedTrigger;
  texts: TriggerTexts;
  noSample: string;
  /** Pod keys with a `for` window of this trigger (see WindowIndex). */
  withWindow: Set<string>;
  /** One sample context for all pods; the samplers only read it during the call. */
  ctx: SampleContext;
  /** Alert triggers: the firing episodes by pod key. */
  alerts: ReturnType<FiringAlerts['get']>;
}

/**
 * trigger → pod keys that have a `for` window, so the (trigger, pod) key is only built and looked
 * up for the few pairs that have a window or start one (a fresh string key per pair is costly).
 * Kept in step with state.windows as evaluateOne adds and deletes entries.
 */
type WindowIndex = Map<string, Set<string>>;

function indexWindows(windows: PolicyState['windows']): WindowIndex {
  const index: WindowIndex = new Map();
  for (const key of Object.keys(windows)) {
    const parsed = parseTriggerTargetKey(key);
    if (!parsed) continue;
    let pods = index.get(parsed.trigger);
    if (!pods) index.set(parsed.trigger, (pods = new Set()));
    pods.add(parsed.targetKey);
  }
  return index;
}

function windowPods(index: WindowIndex, trigger: string): Set<string> {
  let pods = index.get(trigger);
  if (!pods) index.set(trigger, (pods = new Set()));
  return pods;
}

// The result objects are built as literals with their keys in one fixed order (no spreads): at
// 10,000 pods × 10 triggers, spreading into literals cost most of the evaluation and its garbage.
function evaluateOne(run: TriggerRun, p: PodKeys, input: EvaluateTriggersInput): TriggerEvaluation {
  const { snapshot, state, nowMs } = input;
  const { trigger, withWindow } = run;
  const { pod, podKey } = p;
  const { ctx } = run;
  if (p.events) ctx.podEvents = p.events;
  if (run.alerts) ctx.alert = run.alerts.get(podKey);
  if (trigger.type === 'metric' && trigger.query === 'restart_count')
    ctx.restarts = restartsInWindow(state.restarts[p.uid], trigger.windowMs, snapshot.observedAtMs);
  const sample = sampleTrigger(trigger, pod, ctx);
  let key = withWindow.has(podKey) ? triggerTargetKey(trigger.name, podKey) : undefined;
  let entry = key !== undefined ? state.windows[key] : undefined;
  if (key !== undefined && entry && entry.uid && pod.ref.uid && entry.uid !== pod.ref.uid) {
    delete state.windows[key]; // a replacement with the same name is a new target
    withWindow.delete(podKey);
    entry = undefined;
  }
  if (!sample) {
    const ev: TriggerEvaluation = {
      trigger: trigger.name,
      triggerType: trigger.type,
      targetKey: podKey,
      target: pod.ref,
      forMs: trigger.forMs,
      sampled: false,
      holds: false,
      fired: false,
      reason: run.noSample,
    };
    if (entry) {
      entry.seenMs = nowMs;
      ev.firstTrueMs = entry.sinceMs;
    }
    return ev;
  }
  if (!sample.holds) {
    if (key !== undefined) {
      delete state.windows[key];
      withWindow.delete(podKey);
    }
    return evaluation(trigger, p, sample, false, sample.reason, undefined);
  }
  if (!entry) {
    entry = pod.ref.uid
      ? { sinceMs: nowMs, uid: pod.ref.uid, seenMs: nowMs }
      : { sinceMs: nowMs, seenMs: nowMs };
    key ??= triggerTargetKey(trigger.name, podKey);
    state.windows[key] = entry;
    withWindow.add(podKey);
  }
  entry.seenMs = nowMs;
  const heldMs = nowMs - entry.sinceMs;
  const reason =
    trigger.forMs > 0 ? `${sample.reason} for ${Math.max(0, Math.round(heldMs / 1000))}s` : sample.reason;
  return evaluation(trigger, p, sample, heldMs >= trigger.forMs, reason, entry.sinceMs);
}

/** A sampled evaluation; `firstTrueMs` is set exactly when the sample holds. */
function evaluation(
  trigger: NormalizedTrigger,
  p: PodKeys,
  sample: Sample,
  fired: boolean,
  reason: string,
  firstTrueMs: number | undefined,
): TriggerEvaluation {
  const ev: TriggerEvaluation = {
    trigger: trigger.name,
    triggerType: trigger.type,
    targetKey: p.podKey,
    target: p.pod.ref,
    forMs: trigger.forMs,
    observedValue: sample.observed,
    threshold: sample.threshold,
    sampled: true,
    holds: sample.holds,
    fired,
    reason,
  };
  if (firstTrueMs !== undefined) ev.firstTrueMs = firstTrueMs;
  return ev;
}

const NO_EVENTS: EventSnapshot[] = [];

/** Events about pods by `${namespace}/${name}`, so each pod reads its own and not all of them. */
function eventsByPod(snapshot: ClusterSnapshot): Map<string, EventSnapshot[]> {
  const byPod = new Map<string, EventSnapshot[]>();
  for (const e of snapshot.events) {
    const o = e.involvedObject;
    if (o.kind !== 'Pod') continue;
    const key = `${o.namespace}/${o.name}`;
    const list = byPod.get(key);
    if (list) list.push(e);
    else byPod.set(key, [e]);
  }
  return byPod;
}

/**
 * Evaluates every trigger on every selected pod, in trigger order then pod key order.
 * Updates `state.windows` and `state.restarts` in place.
 */
export function evaluateTriggers(input: EvaluateTriggersInput): TriggerEvaluation[] {
  const events = input.policy.triggers.some((t) => t.type === 'event')
    ? eventsByPod(input.snapshot)
    : undefined;
  const keyed: PodKeys[] = selectKeyedTargets(input.policy, input.snapshot).map(({ pod, key }) => ({
    pod,
    podKey: key,
    uid: pod.ref.uid || key,
    events: events ? (events.get(`${pod.ref.namespace}/${pod.ref.name}`) ?? NO_EVENTS) : undefined,
  }));
  if (usesRestartCount(input.policy)) {
    const { restarts } = input.state;
    const at = input.snapshot.observedAtMs;
    for (const p of keyed) restarts[p.uid] = recordRestartSample(restarts[p.uid], p.pod, at, p.podKey);
  }
  const out: TriggerEvaluation[] = [];
  const windows = indexWindows(input.state.windows);
  const alerts = firingAlerts(input.policy, input.state.alerts);
  for (const trigger of input.policy.triggers) {
    const texts = triggerTexts(trigger);
    const run: TriggerRun = {
      trigger,
      texts,
      noSample: `no sample for ${trigger.name}`,
      withWindow: windowPods(windows, trigger.name),
      ctx: { snapshot: input.snapshot, nowMs: input.snapshot.observedAtMs, texts },
      alerts: alerts.get(trigger.name),
    };
    for (const p of keyed) out.push(evaluateOne(run, p, input));
  }
  return out;
}
