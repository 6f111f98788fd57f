// normalizePolicy: a parsed HealingPolicySpec (crds defaults already applied) → NormalizedPolicy.
// The spec has been validated at the edge (parseHealingPolicySpec), so this never throws on a
// valid spec; where a value is still odd it records a warning instead of guessing silently.

import type {
  HealingActionTemplate,
  HealingPolicySpec,
  HealingTrigger,
  SafetyRules,
} from '../crds/healing-policy.js';
import { NOTIFY_PHASES } from './notifications.js';
import { parseDurationOr } from './duration.js';
import { normalizeChangeGate } from './change-gate.js';
import { GITOPS_DEFAULTS, type NormalizedGitOps } from './gitops.js';
import { ACTION_TYPE_NAMES, normalizeActionOf, type Same } from './action-types.js';
import { normalizeIneffective } from './ineffective.js';
import type {
  NormalizedAction,
  NormalizedPolicy,
  NormalizedTrigger,
  NormalizedWindow,
  PolicyMeta,
  TriggerOf,
  TriggerType,
} from './policy-types.js';

export type * from './policy-types.js';

const MINUTE = 60_000;

type TriggerBaseFields = Pick<NormalizedTrigger, 'name' | 'cooldownMs'>;

// The CRD's trigger types and NormalizedTrigger's, both ways: a type added to the CRD fails to
// compile until it has its spec (and so its sampler, domain/samples.ts) and its normalizer below.
const sameTriggerTypes: Same<TriggerType, HealingTrigger['type']> = true;
void sameTriggerTypes;

/**
 * One normalizer per trigger type of the CRD: a type added there fails to compile until it has an
 * entry here (and a spec in NormalizedTrigger; TriggerOf of an unknown type is `never`). Each
 * returns undefined when its block is missing, which the schema refuses.
 */
const TRIGGER_NORMALIZERS: {
  [K in HealingTrigger['type']]: (t: HealingTrigger, base: TriggerBaseFields) => TriggerOf<K> | undefined;
} = {
  metric: (t, base) => {
    const m = t.metricTrigger;
    if (!m) return undefined;
    return {
      ...base,
      type: 'metric',
      forMs: parseDurationOr(m.for ?? m.duration, 0), // `duration`: the Go KubeSkippy's name for `for`
      query: m.query.trim(),
      operator: m.operator,
      threshold: m.threshold,
      windowMs: parseDurationOr(m.window, 5 * MINUTE),
    };
  },
  event: (t, base) => {
    const e = t.eventTrigger;
    if (!e) return undefined;
    return {
      ...base,
      type: 'event',
      forMs: 0, // an event count within a window is already a duration; no `for` on top
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.reasonPattern ? { reasonPattern: e.reasonPattern } : {}),
      ...(e.type ? { eventType: e.type } : {}),
      count: e.count,
      windowMs: parseDurationOr(e.window, 5 * MINUTE),
    };
  },
  condition: (t, base) => {
    const c = t.conditionTrigger;
    if (!c) return undefined;
    return {
      ...base,
      type: 'condition',
      forMs: parseDurationOr(c.for ?? c.duration, 0),
      conditionType: c.type,
      status: c.status,
    };
  },
  alert: (t, base) => {
    const a = t.alertTrigger;
    if (!a) return undefined;
    return {
      ...base,
      type: 'alert',
      forMs: 0, // the alert rule's own `for` already said how long; the healer does not add one
      alertname: a.alertname,
      labels: { ...(a.labels ?? {}) },
      podLabel: a.podLabel,
      namespaceLabel: a.namespaceLabel,
      maxAgeMs: parseDurationOr(a.maxAge, 60 * MINUTE),
    };
  },
};

function normalizeTrigger(t: HealingTrigger, index: number, warnings: string[]): NormalizedTrigger[] {
  const base = { name: t.name, cooldownMs: parseDurationOr(t.cooldownPeriod, 5 * MINUTE) };
  const trigger = TRIGGER_NORMALIZERS[t.type](t, base);
  for (const key of Object.keys(t.alertTrigger?.labels ?? {}))
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key))
      warnings.push(
        `spec.triggers[${index}].alertTrigger.labels: "${key}" is not a Prometheus label name; no alert carries it, so the trigger never fires`,
      );
  // The schema requires the block of the trigger's type; without it there is nothing to evaluate,
  // so the trigger is left out (and said so) rather than guessed.
  if (!trigger) warnings.push(`spec.triggers[${index}]: no ${t.type}Trigger block; the trigger is left out`);
  return trigger ? [trigger] : [];
}

function normalizeAction(
  a: HealingActionTemplate,
  index: number,
  allTriggers: string[],
  warnings: string[],
): NormalizedAction[] {
  const where = `spec.actions[${index}]`;
  const base = {
    name: a.name,
    ...(a.description ? { description: a.description } : {}),
    priority: a.priority,
    requiresApproval: a.requiresApproval,
    triggers: a.triggers?.length ? [...a.triggers] : [...allTriggers],
  };
  for (const type of ACTION_TYPE_NAMES) {
    const block = `${type}Action` as const;
    if (a[block] && a.type !== type)
      warnings.push(`${where}.${block}: ignored for an action of type ${a.type}`);
  }
  const action = normalizeActionOf(a, base, where, warnings);
  // As for triggers: the schema requires the block, so this does not happen on a parsed spec.
  if (!action) warnings.push(`${where}: no ${a.type}Action block; the action is left out`);
  return action ? [action] : [];
}

/**
 * Normalizes a parsed spec. `meta` is the policy object's metadata: its namespace is the default
 * for `selector.namespaces`, and name/uid/generation end up on every HealingAction it starts.
 */
/** A policy as the controller hands it over (the CR's spec and identity), normalized. */
export function normalizePolicyRef(ref: {
  cluster?: string;
  namespace: string;
  name: string;
  uid?: string;
  generation?: number;
  spec: HealingPolicySpec;
}): NormalizedPolicy {
  const { cluster, namespace, name, uid, generation } = ref;
  return normalizePolicy(ref.spec, {
    ...(cluster !== undefined ? { cluster } : {}),
    namespace,
    name,
    ...(uid ? { uid } : {}),
    ...(generation !== undefined ? { generation } : {}),
  });
}

export function normalizePolicy(spec: HealingPolicySpec, meta: PolicyMeta): NormalizedPolicy {
  const warnings: string[] = [];
  const triggers = spec.triggers.flatMap((t, i) => normalizeTrigger(t, i, warnings));
  const triggerNames = triggers.map((t) => t.name);
  // Higher priority first, as the Go KubeSkippy orders them. Array.prototype.sort is stable
  // (ES2019), so equal priorities keep list order (Go's sort.Slice there did not promise that).
  const actions = spec.actions
    .flatMap((a, i) => normalizeAction(a, i, triggerNames, warnings))
    .sort((x, y) => y.priority - x.priority);
  const ladders: Record<string, string[]> = {};
  for (const name of triggerNames) {
    ladders[name] = actions.filter((a) => a.triggers.includes(name)).map((a) => a.name);
    if (ladders[name].length === 0) warnings.push(`trigger "${name}" has no action; it can only be reported`);
  }
  const v = spec.verification;
  const s = spec.safetyRules;
  const holdDurationMs = parseDurationOr(s.holdDuration, 60 * MINUTE);
  return {
    ...(meta.cluster !== undefined ? { cluster: meta.cluster } : {}),
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
      // healthCheckTimeout and requireHealthCheck: the Go KubeSkippy's names (the CRD allows one of each pair).
      timeoutMs: parseDurationOr(v.timeout ?? s.healthCheckTimeout, 5 * MINUTE),
      intervalMs: parseDurationOr(v.interval, 10_000),
      stabilityMs: parseDurationOr(v.stabilityPeriod, 0),
      requireReady: v.requireReady ?? s.requireHealthCheck ?? true,
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
      holdDurationMs,
      maintenanceWindows: normalizeWindows(s.maintenanceWindows, 'maintenanceWindows'),
      allowedWindows: normalizeWindows(s.allowedWindows, 'allowedWindows'),
      ineffective: normalizeIneffective(s.ineffectiveRemediation, holdDurationMs),
      ...(s.maxUnavailable !== undefined ? { maxUnavailable: s.maxUnavailable } : {}),
      changeGate: normalizeChangeGate(s),
      gitops: normalizeGitOps(s.gitops),
    },
    ...(spec.aiAnalysis ? { aiAnalysis: spec.aiAnalysis } : {}),
    notifications: normalizeNotifications(spec.notifications, meta.namespace),
    warnings,
  };
}

/** Absent: the defaults (approval before a change a sync would revert). */
function normalizeGitOps(g: SafetyRules['gitops']): NormalizedGitOps {
  if (!g) return { ...GITOPS_DEFAULTS };
  return {
    mode: g.mode,
    argoCDNamespace: g.argoCDNamespace,
    argoCDInstanceLabel: g.argoCDInstanceLabel,
    syncTimeoutMs: parseDurationOr(g.syncTimeout, GITOPS_DEFAULTS.syncTimeoutMs),
  };
}

/** Absent (or from a spec older than the field): no windows. */
function normalizeWindows(
  windows: SafetyRules['maintenanceWindows'],
  list: 'maintenanceWindows' | 'allowedWindows',
): NormalizedWindow[] {
  return (windows ?? []).map((w, i) => ({
    field: `safetyRules.${list}[${i}]`,
    schedule: w.schedule.trim(),
    duration: w.duration,
    durationMs: parseDurationOr(w.duration, 0),
    timeZone: w.timeZone,
  }));
}

/** Absent: enabled, every phase, the operator's Secret (when it has one). */
function normalizeNotifications(
  n: HealingPolicySpec['notifications'],
  namespace: string,
): NormalizedPolicy['notifications'] {
  return {
    enabled: n?.enabled ?? true,
    ...(n?.secretRef ? { secret: { namespace, name: n.secretRef.name } } : {}),
    on: n?.on ? [...new Set(n.on)] : [...NOTIFY_PHASES],
    retryForMs: parseDurationOr(n?.retryFor ?? '2m', 2 * MINUTE),
  };
}

/** The actions that answer `trigger`, in the order they are tried. */
export function ladderFor(policy: NormalizedPolicy, trigger: string): NormalizedAction[] {
  const names = policy.ladders[trigger] ?? [];
  return names.flatMap((n) => policy.actions.filter((a) => a.name === n));
}

type PolicyRefFields = { cluster?: string | undefined; namespace: string; name: string; spec?: unknown };

/**
 * Why a policy workflow refuses an updatePolicy, or undefined. The cluster, namespace and name are
 * in the workflow's id and its actions': another policy's (or another cluster's) spec is never ours.
 */
export function policyUpdateProblem(current: PolicyRefFields, next: PolicyRefFields): string | undefined {
  if (next.namespace !== current.namespace || next.name !== current.name)
    return 'updatePolicy: namespace/name must not change';
  if (next.cluster !== current.cluster)
    return `updatePolicy: cluster must not change (this workflow is cluster "${current.cluster ?? ''}")`;
  const spec = next.spec as { triggers?: unknown; actions?: unknown } | undefined;
  if (!spec || !Array.isArray(spec.triggers) || !Array.isArray(spec.actions))
    return 'updatePolicy: spec with triggers and actions is required (validate it with the CRD schema first)';
  return undefined;
}
