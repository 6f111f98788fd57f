// The Kubernetes Events KubeSkippy writes, built purely. An Event about a target comes in a pair:
// one on the object (acted on, or that would be) and one on the HealingPolicy, so `kubectl
// describe` of either tells the story. Names are deterministic, so a retried write finds what it
// wrote (one Event per decision, or per continuous episode for WouldHeal).
import { API_VERSION } from '../crds/api-group.js';
import type { Fire, Refusal } from './plan-types.js';

export interface EventObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export interface EmitEventInput {
  /** Deterministic, unique per decision (e.g. `<action-name>.<reason>`), so a retry does not duplicate it. */
  name: string;
  involvedObject: EventObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  timeMs: number;
}

export interface PolicyRef {
  namespace: string;
  name: string;
  uid?: string;
}

export function policyObject(ref: PolicyRef): EventObject {
  const { namespace, name, uid } = ref;
  return { apiVersion: API_VERSION, kind: 'HealingPolicy', namespace, name, ...(uid ? { uid } : {}) };
}

/** The Event on `target` and its twin on the policy (named `<name>.policy`). */
export function eventPair(e: {
  name: string;
  target: EventObject;
  policy: PolicyRef;
  type: EmitEventInput['type'];
  reason: string;
  targetMessage: string;
  policyMessage: string;
  timeMs: number;
}): EmitEventInput[] {
  const { type, reason, timeMs } = e;
  return [
    { name: e.name, involvedObject: { ...e.target }, type, reason, message: e.targetMessage, timeMs },
    {
      name: `${e.name}.policy`,
      involvedObject: policyObject(e.policy),
      type,
      reason,
      message: e.policyMessage,
      timeMs,
    },
  ];
}

/** Refusals that record what the policy would have done: monitor mode, a closed window, the cluster's no. */
const WOULD_HEAL: ReadonlySet<Refusal['reason']> = new Set([
  'MonitorMode',
  'MaintenanceWindow',
  'OutsideAllowedWindow',
  'Suspended',
  'ClusterBudget',
]);

/** What the policy would have done (monitor mode, a closed window), per refusal, on the target and the policy. */
export function wouldHealEvents(input: {
  policy: PolicyRef;
  refusals: Refusal[];
  fires: Pick<Fire, 'trigger' | 'targetKey' | 'firstTrueMs'>[];
  nowMs: number;
}): EmitEventInput[] {
  const { policy, fires } = input;
  return input.refusals
    .filter((r) => WOULD_HEAL.has(r.reason))
    .flatMap((r) => {
      const fire = fires.find((f) => f.trigger === r.trigger && f.targetKey === r.targetKey);
      // One Event per continuous episode: the window start is part of the name.
      const name = `${policy.name}.wouldheal.${r.target.name}.${fire?.firstTrueMs ?? 0}`
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-');
      const what = `${r.action ?? 'an action'} would run (${r.trigger}); ${r.message}`;
      return eventPair({
        name,
        target: r.target,
        policy,
        type: 'Normal',
        reason: 'WouldHeal',
        targetMessage: `${policy.name}: ${what}`,
        policyMessage: `${r.targetKey}: ${what}`,
        timeMs: input.nowMs,
      });
    });
}

/** One Warning Event on the policy per generation whose spec normalizing found something to say about. */
export function policyWarningsEvent(input: {
  policy: PolicyRef & { generation?: number };
  warnings: string[];
  nowMs: number;
}): EmitEventInput[] {
  const { policy, warnings } = input;
  if (!warnings.length) return [];
  return [
    {
      name: `${policy.name}.warnings.${policy.generation ?? 0}`,
      involvedObject: policyObject(policy),
      type: 'Warning',
      reason: 'PolicyWarnings',
      message: warnings.join('; '),
      timeMs: input.nowMs,
    },
  ];
}
