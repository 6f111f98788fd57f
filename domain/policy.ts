// normalizePolicy: a parsed HealingPolicySpec (crds defaults already applied) → NormalizedPolicy.
// The spec has been validated at the edge (parseHealingPolicySpec), so this never throws on a
// valid spec; where a value is still odd it records a warning instead of guessing silently.

import type { HealingActionTemplate, HealingPolicySpec, HealingTrigger } from '../crds/healing-policy.js';
import { parseDurationOr } from './duration.js';
import { normalizePatch } from './patch.js';
import type {
  NormalizedAction,
  NormalizedPolicy,
  NormalizedTrigger,
  PolicyMeta,
  RestartStrategy,
} from './policy-types.js';

export type * from './policy-types.js';

/** The Go KubeSkippy operator's strategy names, kept so policies written for it still apply. */
const LEGACY_STRATEGY: Record<string, RestartStrategy> = {
  evict: 'evict',
  delete: 'delete',
  rollout: 'rollout',
  rolling: 'rollout',
  recreate: 'delete',
  graceful: 'evict',
};

const MINUTE = 60_000;

function normalizeTrigger(t: HealingTrigger, index: number, warnings: string[]): NormalizedTrigger {
  const cooldownMs = parseDurationOr(t.cooldownPeriod, 5 * MINUTE);
  if (t.type === 'metric' && t.metricTrigger) {
    const m = t.metricTrigger;
    return {
      type: 'metric',
      name: t.name,
      cooldownMs,
      forMs: parseDurationOr(m.for ?? m.duration, 0), // `duration`: the Go KubeSkippy's name for `for`
      query: m.query.trim(),
      operator: m.operator,
      threshold: m.threshold,
      windowMs: parseDurationOr(m.window, 5 * MINUTE),
    };
  }
  if (t.type === 'event' && t.eventTrigger) {
    const e = t.eventTrigger;
    return {
      type: 'event',
      name: t.name,
      cooldownMs,
      forMs: 0, // an event count within a window is already a duration; no `for` on top
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.reasonPattern ? { reasonPattern: e.reasonPattern } : {}),
      ...(e.type ? { eventType: e.type } : {}),
      count: e.count,
      windowMs: parseDurationOr(e.window, 5 * MINUTE),
    };
  }
  // Validation guarantees the block of the trigger's type; should it still be missing, the trigger
  // becomes a condition that can never hold rather than a guess that might act.
  if (!t.conditionTrigger)
    warnings.push(`spec.triggers[${index}]: no ${t.type}Trigger block; it never fires`);
  const c = t.conditionTrigger ?? { type: 'Ready', status: 'Unknown' as const };
  return {
    type: 'condition',
    name: t.name,
    cooldownMs,
    forMs: parseDurationOr(t.conditionTrigger?.for ?? t.conditionTrigger?.duration, 0),
    conditionType: c.type,
    status: c.status,
  };
}

function normalizeAction(
  a: HealingActionTemplate,
  index: number,
  allTriggers: string[],
  warnings: string[],
): NormalizedAction {
  const where = `spec.actions[${index}]`;
  const out: NormalizedAction = {
    name: a.name,
    type: a.type,
    ...(a.description ? { description: a.description } : {}),
    priority: a.priority,
    requiresApproval: a.requiresApproval,
    triggers: a.triggers?.length ? [...a.triggers] : [...allTriggers],
  };
  if (a.type === 'restart') {
    const r = a.restartAction ?? { strategy: 'evict', gracePeriodSeconds: 30 };
    out.restartAction = {
      strategy: LEGACY_STRATEGY[r.strategy] ?? 'evict',
      gracePeriodSeconds: r.gracePeriodSeconds,
    };
  }
  if (a.type === 'scale' && a.scaleAction) out.scaleAction = { ...a.scaleAction };
  if (a.type === 'patch' && a.patchAction) out.patchAction = normalizePatch(a.patchAction, where, warnings);
  if (a.type === 'delete') {
    out.deleteAction = a.deleteAction
      ? { ...a.deleteAction }
      : { gracePeriodSeconds: 30, force: false, propagationPolicy: 'Background' };
  }
  for (const [block, type] of [
    ['restartAction', 'restart'],
    ['scaleAction', 'scale'],
    ['patchAction', 'patch'],
    ['deleteAction', 'delete'],
  ] as const) {
    if (a[block] && a.type !== type)
      warnings.push(`${where}.${block}: ignored for an action of type ${a.type}`);
  }
  return out;
}

/**
 * Normalizes a parsed spec. `meta` is the policy object's metadata: its namespace is the default
 * for `selector.namespaces`, and name/uid/generation end up on every HealingAction it starts.
 */
export function normalizePolicy(spec: HealingPolicySpec, meta: PolicyMeta): NormalizedPolicy {
  const warnings: string[] = [];
  const triggers = spec.triggers.map((t, i) => normalizeTrigger(t, i, warnings));
  const triggerNames = triggers.map((t) => t.name);
  // Higher priority first, as the Go KubeSkippy orders them. Array.prototype.sort is stable
  // (ES2019), so equal priorities keep list order (Go's sort.Slice there did not promise that).
  const actions = spec.actions
    .map((a, i) => normalizeAction(a, i, triggerNames, warnings))
    .sort((x, y) => y.priority - x.priority);
  const ladders: Record<string, string[]> = {};
  for (const name of triggerNames) {
    ladders[name] = actions.filter((a) => a.triggers.includes(name)).map((a) => a.name);
    if (ladders[name].length === 0) warnings.push(`trigger "${name}" has no action; it can only be reported`);
  }
  const v = spec.verification;
  const s = spec.safetyRules;
  return {
    namespace: meta.namespace,
    name: meta.name,
    ...(meta.uid !== undefined ? { uid: meta.uid } : {}),
    ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
    mode: spec.mode,
    evaluationIntervalMs: parseDurationOr(spec.evaluationInterval, 30_000),
    selector: {
      namespaces: spec.selector.namespaces?.length ? [...spec.selector.namespaces] : [meta.namespace],
      ...(spec.selector.labelSelector ? { labelSelector: spec.selector.labelSelector } : {}),
      resources: spec.selector.resources?.length
        ? spec.selector.resources
        : [{ apiVersion: 'v1', kind: 'Pod' }],
    },
    triggers,
    actions,
    ladders,
    verification: {
      enabled: v.enabled,
      delayMs: parseDurationOr(v.delay, 30_000),
      timeoutMs: parseDurationOr(v.timeout, 5 * MINUTE),
      intervalMs: parseDurationOr(v.interval, 10_000),
      stabilityMs: parseDurationOr(v.stabilityPeriod, 0),
      requireReady: v.requireReady,
      requireTriggerCleared: v.requireTriggerCleared,
      rollbackOnFailure: v.rollbackOnFailure,
    },
    safety: {
      maxActionsPerHour: s.maxActionsPerHour,
      maxConcurrentActions: s.maxConcurrentActions,
      protectedResources: s.protectedResources ?? [],
      protectedNamespaces: [...s.protectedNamespaces],
      minReadyReplicas: s.minReadyReplicas,
      approvalTimeoutMs: parseDurationOr(s.approvalTimeout, 60 * MINUTE),
      maxConsecutiveFailures: s.maxConsecutiveFailures,
      holdDurationMs: parseDurationOr(s.holdDuration, 60 * MINUTE),
    },
    ...(spec.aiAnalysis ? { aiAnalysis: spec.aiAnalysis } : {}),
    warnings,
  };
}

/** The actions that answer `trigger`, in the order they are tried. */
export function ladderFor(policy: NormalizedPolicy, trigger: string): NormalizedAction[] {
  const names = policy.ladders[trigger] ?? [];
  return names.flatMap((n) => policy.actions.filter((a) => a.name === n));
}
