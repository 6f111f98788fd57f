// The instantaneous reading of one trigger on one pod: does the comparison hold right now?
// `undefined` means "no sample" (no usage, no limit, no PromQL value, condition not reported):
// a missing sample neither starts nor resets a `for` window.

import type { MetricOperator } from '../crds/healing-policy.js';
import { alertSample, type AlertEpisode } from './alerts.js';
import { conditionSample, conditionTexts, type ConditionTexts } from './conditions.js';
import type { EventTriggerSpec, MetricTriggerSpec, NormalizedTrigger } from './policy-types.js';
import type { ClusterSnapshot, ContainerSnapshot, EventSnapshot, PodSnapshot } from './snapshot.js';

export interface Sample {
  holds: boolean;
  /** The measured value as text, e.g. "87.1" or "CrashLoopBackOff (container app)". */
  observed: string;
  /** What it was compared with, e.g. "> 85" or "Ready=False". */
  threshold: string;
  /** The numeric value for metric and event triggers. */
  value?: number;
  /** One sentence for people. */
  reason: string;
}

/** Everything a sample may depend on besides the pod. */
export interface SampleContext {
  snapshot: ClusterSnapshot;
  /** The snapshot's observation time: event windows are measured in the cluster's clock. */
  nowMs: number;
  /** restart_count of this pod for this trigger's window, computed from state by the caller. */
  restarts?: number;
  /** Only events at or after this time count (verification counts events since the action). */
  eventsSinceMs?: number;
  /**
   * The snapshot's events whose involvedObject is a Pod with this pod's namespace and name, when
   * the caller indexed them (else every event of the snapshot is looked at, per pod).
   */
  podEvents?: EventSnapshot[];
  /** This trigger's fixed texts, when the caller samples many pods with it (triggerTexts). */
  texts?: TriggerTexts;
  /** Alert triggers: the firing episode that names this pod, if any (domain/alerts.ts firingAlerts). */
  alert?: { key: string; episode: AlertEpisode } | undefined;
}

/**
 * The parts of a sample's texts that depend on the trigger only. Built once per trigger per
 * evaluation, so 10,000 pods share one threshold string instead of building 10,000 equal ones
 * (the strings live until the evaluation ends, and their garbage was most of the GC time).
 */
export interface TriggerTexts {
  threshold: string;
  /** Metric: `${query} is `; reason = prefix + observed + holdsSuffix | notSuffix. */
  prefix: string;
  holdsSuffix: string;
  notSuffix: string;
  /** Event: reason = count + suffix; the zero-count reason is shared. */
  eventSuffix: string;
  zeroEventReason: string;
  condition?: ConditionTexts;
}

export function triggerTexts(trigger: NormalizedTrigger): TriggerTexts {
  const texts = {
    threshold: '',
    prefix: '',
    holdsSuffix: '',
    notSuffix: '',
    eventSuffix: '',
    zeroEventReason: '',
  };
  if (trigger.type === 'metric') {
    texts.threshold = `${trigger.operator} ${formatNumber(trigger.threshold)}`;
    texts.prefix = `${trigger.query} is `;
    texts.holdsSuffix = ` (${texts.threshold})`;
    texts.notSuffix = ` (not ${texts.threshold})`;
  } else if (trigger.type === 'event') {
    const what = trigger.reason ?? trigger.reasonPattern ?? 'any reason';
    texts.threshold = `>= ${trigger.count}`;
    texts.eventSuffix = ` ${trigger.eventType ? `${trigger.eventType} ` : ''}event(s) matching ${what} on the pod (fires at ${trigger.count})`;
    texts.zeroEventReason = `0${texts.eventSuffix}`;
  } else if (trigger.type === 'condition') {
    const condition = conditionTexts(trigger);
    return { ...texts, threshold: condition.want, condition };
  }
  return texts;
}

export function compare(value: number, operator: MetricOperator, threshold: number): boolean {
  switch (operator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** Rounds for display: 87.123456 → "87.12"; integers stay integers. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

type Usage = 'memory' | 'cpu';

function percentOf(c: ContainerSnapshot, kind: Usage): number | undefined {
  const used = kind === 'memory' ? c.usage?.memoryBytes : c.usage?.cpuMillicores;
  // Over the limit when there is one, else over the request: that is what "87% of its memory" means
  // to a person reading the pod spec. No limit and no request → no sample, never a made-up base.
  const base =
    kind === 'memory'
      ? (c.memoryLimitBytes ?? c.memoryRequestBytes)
      : (c.cpuLimitMillicores ?? c.cpuRequestMillicores);
  if (used === undefined || !base || base <= 0) return undefined;
  return (used / base) * 100;
}

/** Max (percentages) or sum (absolute usage) over the finite per-container values; undefined when none. */
function overContainers(
  pod: PodSnapshot,
  combine: 'max' | 'sum',
  f: (c: ContainerSnapshot) => number | undefined,
): number | undefined {
  let out: number | undefined;
  for (const c of pod.containers) {
    const v = f(c);
    if (v === undefined || !Number.isFinite(v)) continue;
    // The sum starts from 0 as before (so −0 usage still reads 0).
    out = combine === 'max' ? (out === undefined ? v : Math.max(out, v)) : (out ?? 0) + v;
  }
  return out;
}

const memoryPercent = (c: ContainerSnapshot): number | undefined => percentOf(c, 'memory');
const cpuPercent = (c: ContainerSnapshot): number | undefined => percentOf(c, 'cpu');
const memoryBytes = (c: ContainerSnapshot): number | undefined => c.usage?.memoryBytes;
const cpuMillicores = (c: ContainerSnapshot): number | undefined => c.usage?.cpuMillicores;

/** Per pod: percentages are the max over containers (one container near its limit is the risk);
 *  absolute usage is the pod's sum, as `kubectl top pod` shows it. */
export function metricValue(
  trigger: MetricTriggerSpec,
  pod: PodSnapshot,
  ctx: SampleContext,
): number | undefined {
  switch (trigger.query) {
    case 'memory_usage_percent':
      return overContainers(pod, 'max', memoryPercent);
    case 'cpu_usage_percent':
      return overContainers(pod, 'max', cpuPercent);
    case 'memory_usage_bytes':
      return overContainers(pod, 'sum', memoryBytes);
    case 'cpu_usage_millicores':
      return overContainers(pod, 'sum', cpuMillicores);
    case 'restart_count':
      return ctx.restarts;
    default: {
      const v = pod.customMetrics?.[trigger.query];
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    }
  }
}

function metricSample(
  trigger: MetricTriggerSpec,
  pod: PodSnapshot,
  ctx: SampleContext,
  texts: TriggerTexts,
): Sample | undefined {
  const value = metricValue(trigger, pod, ctx);
  if (value === undefined) return undefined;
  const holds = compare(value, trigger.operator, trigger.threshold);
  const shown = formatNumber(value);
  // `${query} is ${shown} (${holds ? '' : 'not '}${operator} ${threshold})`
  const reason = texts.prefix + shown + (holds ? texts.holdsSuffix : texts.notSuffix);
  return { holds, value, observed: shown, threshold: texts.threshold, reason };
}

/** An anchored whole-string match; an invalid pattern (validation rejects those) matches nothing. */
export function reasonMatches(trigger: EventTriggerSpec, reason: string): boolean {
  if (trigger.reason) return reason === trigger.reason;
  if (!trigger.reasonPattern) return true;
  try {
    return new RegExp(`^(?:${trigger.reasonPattern})$`).test(reason);
  } catch {
    return false;
  }
}

/**
 * Events count only when their involvedObject is this pod (namespace + name, and uid when both
 * sides know it, so a same-named replacement does not inherit its predecessor's events). Events on
 * the owning workload are NOT attributed to its pods: that would make every pod of a Deployment
 * fire for one workload event, one event fanned out to every pod again, just disguised.
 */
function eventSample(
  trigger: EventTriggerSpec,
  pod: PodSnapshot,
  ctx: SampleContext,
  texts: TriggerTexts,
): Sample {
  // No upper bound: an event stamped slightly after the snapshot (clock skew) is still recent.
  const inWindow = (t: number): boolean =>
    t > ctx.nowMs - trigger.windowMs && (ctx.eventsSinceMs === undefined || t >= ctx.eventsSinceMs);
  let sum = 0;
  for (const e of ctx.podEvents ?? ctx.snapshot.events) {
    const o = e.involvedObject;
    if (o.kind !== 'Pod' || o.namespace !== pod.ref.namespace || o.name !== pod.ref.name) continue;
    if (o.uid && pod.ref.uid && o.uid !== pod.ref.uid) continue;
    if (!inWindow(e.lastTimestampMs)) continue;
    if (trigger.eventType && e.type !== trigger.eventType) continue;
    if (!reasonMatches(trigger, e.reason)) continue;
    sum += e.count > 0 ? e.count : 1;
  }
  const holds = sum >= trigger.count;
  // `${sum} ${eventType ? `${eventType} ` : ''}event(s) matching ${what} on the pod (fires at ${count})`
  const reason = sum === 0 ? texts.zeroEventReason : String(sum) + texts.eventSuffix;
  return { holds, value: sum, observed: String(sum), threshold: texts.threshold, reason };
}

/** The trigger's comparison on `pod` at this instant, or undefined when there is no sample. */
export function sampleTrigger(
  trigger: NormalizedTrigger,
  pod: PodSnapshot,
  ctx: SampleContext,
): Sample | undefined {
  const texts = ctx.texts ?? triggerTexts(trigger);
  switch (trigger.type) {
    case 'metric':
      return metricSample(trigger, pod, ctx, texts);
    case 'event':
      return eventSample(trigger, pod, ctx, texts);
    case 'condition':
      return conditionSample(trigger, pod, texts.condition);
    case 'alert':
      return alertSample(trigger, ctx.alert);
    default: {
      // A trigger type without a sampler fails to compile here instead of never holding.
      const unhandled: never = trigger;
      return unhandled;
    }
  }
}
