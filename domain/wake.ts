// Event-driven detection, the pure part: which cluster changes can make a policy's condition or
// event trigger hold (so the worker wakes it with evaluateNow instead of waiting for the tick), and
// how wake-ups are coalesced. Metric triggers are not here: they keep their tick.
//
//   watch change ──▶ podChangeWakes / eventWakes (per registered policy) ──▶ planWake ──▶ evaluateNow
//                                                                  (≤ 1 per policy per minGapMs, trailing)
import { conditionSample } from './conditions.js';
import type { ConditionTriggerSpec, EventTriggerSpec, NormalizedTrigger } from './policy-types.js';
import { reasonMatches } from './samples.js';
import { matchesLabelSelector } from './selector.js';
import type { EventSnapshot, PodSnapshot } from './snapshot.js';
import type { SnapshotRequest } from './targets.js';

/** What makes the worker wake a policy early; carried on the policy's snapshot requests. */
export interface WakeOn {
  conditions: Pick<ConditionTriggerSpec, 'conditionType' | 'status'>[];
  events: Pick<EventTriggerSpec, 'reason' | 'reasonPattern' | 'eventType'>[];
  /** The policy's evaluation interval: the worker forgets a policy after a few missed ones. */
  intervalMs: number;
}

/** The wake-up interest of these triggers; undefined when only metric triggers (they keep the tick). */
export function wakeOnOf(triggers: NormalizedTrigger[], intervalMs: number): WakeOn | undefined {
  const conditions = triggers.flatMap((t) =>
    t.type === 'condition' ? [{ conditionType: t.conditionType, status: t.status }] : [],
  );
  const events = triggers.flatMap((t) =>
    t.type === 'event'
      ? [
          {
            ...(t.reason ? { reason: t.reason } : {}),
            ...(t.reasonPattern ? { reasonPattern: t.reasonPattern } : {}),
            ...(t.eventType ? { eventType: t.eventType } : {}),
          },
        ]
      : [],
  );
  return conditions.length || events.length ? { conditions, events, intervalMs } : undefined;
}

type Interest = Pick<SnapshotRequest, 'namespaces' | 'labelSelector' | 'kinds' | 'wakeOn'>;

/**
 * Whether the request can select a pod with these labels. A policy that selects workload kinds
 * selects pods through their owners' labels, which a pod change does not carry: any pod of its
 * namespaces may matter, and an extra evaluation costs less than a missed one.
 */
export function maySelect(
  req: Interest,
  namespace: string,
  labels: Record<string, string> | undefined,
): boolean {
  if (!req.namespaces.includes(namespace)) return false;
  if (!req.kinds.every((k) => k === 'Pod') || labels === undefined) return true;
  return matchesLabelSelector(req.labelSelector, labels);
}

const holds = (c: WakeOn['conditions'][number], pod: PodSnapshot): boolean =>
  conditionSample(c as ConditionTriggerSpec, pod)?.holds === true;

/** A pod change wakes a policy when one of its condition triggers now holds and did not before. */
export function podChangeWakes(
  req: Interest,
  before: PodSnapshot | undefined,
  after: PodSnapshot | undefined,
): boolean {
  if (!req.wakeOn || !after || after.deleting) return false;
  if (!maySelect(req, after.ref.namespace, after.labels)) return false;
  return req.wakeOn.conditions.some((c) => holds(c, after) && !(before && holds(c, before)));
}

/**
 * A new (or re-counted) event wakes a policy when an event trigger names its reason and type and
 * the policy may select the pod it is about (`podLabels` undefined: the pod is not known yet).
 */
export function eventWakes(
  req: Interest,
  before: EventSnapshot | undefined,
  after: EventSnapshot | undefined,
  podLabels: Record<string, string> | undefined,
): boolean {
  if (!req.wakeOn || !after) return false;
  if (before && before.count === after.count && before.lastTimestampMs === after.lastTimestampMs)
    return false;
  if (!maySelect(req, after.involvedObject.namespace, podLabels)) return false;
  return req.wakeOn.events.some(
    (t) => (!t.eventType || t.eventType === after.type) && reasonMatches(t as EventTriggerSpec, after.reason),
  );
}

/** Per policy: when it was last woken, and whether a trailing wake is already scheduled. */
export interface WakeSchedule {
  lastMs?: number;
  pendingAtMs?: number;
}

export type WakePlan = { kind: 'now' } | { kind: 'later'; atMs: number } | { kind: 'already' };

/**
 * At most one wake per `minGapMs`. A change inside the gap is not dropped: it gets one trailing
 * wake at the gap's end, because the evaluation the earlier wake started may have read the cluster
 * before this change.
 */
export function planWake(s: WakeSchedule | undefined, nowMs: number, minGapMs: number): WakePlan {
  if (s?.pendingAtMs !== undefined) return { kind: 'already' };
  if (s?.lastMs === undefined || nowMs - s.lastMs >= minGapMs) return { kind: 'now' };
  return { kind: 'later', atMs: s.lastMs + minGapMs };
}
