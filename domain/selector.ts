// Label selectors, resource filters and protection, with exactly Kubernetes' semantics
// (k8s.io/apimachinery/pkg/labels): requirements are ANDed, NotIn and DoesNotExist hold for
// objects without the key, and an empty selector selects everything.

import type { LabelSelector, LabelSelectorRequirement } from '../crds/common.js';
import type { ProtectedResource, ResourceFilter } from '../crds/healing-policy.js';

export const PROTECTED_KEY = 'kubeskippy.io/protected';

type Labels = Record<string, string> | undefined;

function matchesRequirement(req: LabelSelectorRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      // An empty value set matches nothing (the API server rejects it; we stay conservative).
      return has && values.includes(value as string);
    case 'NotIn':
      return !has || !values.includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** Kubernetes label selector semantics; an absent or empty selector matches every object. */
export function matchesLabelSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, want] of Object.entries(selector.matchLabels ?? {})) {
    if (!labels || !Object.prototype.hasOwnProperty.call(labels, key) || labels[key] !== want) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => matchesRequirement(req, labels));
}

export interface FilterableObject {
  apiVersion: string;
  kind: string;
  name: string;
}

/**
 * True when some filter names the object's kind (and apiVersion, when the filter sets one) and
 * does not exclude its name. No filters at all means "Pods", the policy's default.
 */
export function matchesResourceFilter(filters: ResourceFilter[] | undefined, obj: FilterableObject): boolean {
  const list = filters && filters.length > 0 ? filters : [{ kind: 'Pod' }];
  return list.some(
    (f: ResourceFilter) =>
      f.kind === obj.kind &&
      (!f.apiVersion || f.apiVersion === obj.apiVersion) &&
      !namesMatch(f.excludeNames, obj.name),
  );
}

/**
 * Whether `name` is one of `patterns`: exact names, or globs where `*` stands for any run of
 * characters (`system-critical-*`, as the Go KubeSkippy's samples write them). Object names cannot
 * contain `*`, so the two readings never clash.
 */
export function namesMatch(patterns: readonly string[] | undefined, name: string): boolean {
  if (!patterns?.length) return false;
  return patterns.some((p) =>
    p.includes('*')
      ? new RegExp(
          `^${p
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ).test(name)
      : p === name,
  );
}

export interface ProtectableObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ProtectionRules {
  protectedNamespaces: string[];
  protectedResources?: ProtectedResource[];
}

export type ProtectionVerdict = { protected: false } | { protected: true; why: string };

/** Every field of a ProtectedResource that is set must match; an empty rule protects everything. */
export function matchesProtectedResource(rule: ProtectedResource, obj: ProtectableObject): boolean {
  if (rule.apiVersion && rule.apiVersion !== obj.apiVersion) return false;
  if (rule.kind && rule.kind !== obj.kind) return false;
  if (rule.namespaces?.length && !rule.namespaces.includes(obj.namespace)) return false;
  // excludeNames is the Go KubeSkippy's word for the same list (names excluded from healing).
  const names = [...(rule.names ?? []), ...(rule.excludeNames ?? [])];
  if (names.length && !namesMatch(names, obj.name)) return false;
  return matchesLabelSelector(rule.labelSelector, obj.labels);
}

/**
 * Whether the operator must never act on this object: a protected namespace, the
 * `kubeskippy.io/protected: "true"` label or annotation, or a policy `protectedResources` rule.
 */
export function protectionOf(obj: ProtectableObject, rules: ProtectionRules): ProtectionVerdict {
  // The description is built only for a protected object: most objects checked are not.
  const what = (): string => `${obj.kind} ${obj.namespace}/${obj.name}`;
  if (rules.protectedNamespaces.includes(obj.namespace)) {
    return { protected: true, why: `${what()} is in protected namespace ${obj.namespace}` };
  }
  if (obj.labels?.[PROTECTED_KEY] === 'true') {
    return { protected: true, why: `${what()} has label ${PROTECTED_KEY}=true` };
  }
  if (obj.annotations?.[PROTECTED_KEY] === 'true') {
    return { protected: true, why: `${what()} has annotation ${PROTECTED_KEY}=true` };
  }
  const index = (rules.protectedResources ?? []).findIndex((r) => matchesProtectedResource(r, obj));
  if (index >= 0) {
    return { protected: true, why: `${what()} matches safetyRules.protectedResources[${index}]` };
  }
  return { protected: false };
}

export class SelectorSyntaxError extends Error {}

/**
 * Parses kubectl's label selector syntax (`app=web,tier!=db,env in (a,b),!legacy,owner`) into a
 * LabelSelector: `=`/`==` become matchLabels, the rest matchExpressions (`!=` is NotIn with one
 * value, as in apimachinery). An empty string selects everything.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  const key = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
  const value = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
  // Split on commas outside parentheses: `env in (a,b),app=web`.
  const parts = text.trim() === '' ? [] : text.split(/,(?![^(]*\))/).map((p) => p.trim());
  for (const part of parts) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^(${key})\\s*(==?|!=)\\s*(${value})$`).exec(part))) {
      const [, k, , op, v = ''] = m as unknown as [string, string, string, string, string];
      if (op === '!=') matchExpressions.push({ key: k, operator: 'NotIn', values: [v] });
      else matchLabels[k] = v;
    } else if ((m = new RegExp(`^(${key})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(part))) {
      const [, k, , op, list = ''] = m as unknown as [string, string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${value}$`).test(v)) || values.every((v) => v === ''))
        throw new SelectorSyntaxError(`"${part}": the values in (...) must be label values`);
      matchExpressions.push({ key: k, operator: op === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = new RegExp(`^!\\s*(${key})$`).exec(part))) {
      matchExpressions.push({ key: m[1]!, operator: 'DoesNotExist' });
    } else if ((m = new RegExp(`^(${key})$`).exec(part))) {
      matchExpressions.push({ key: m[1]!, operator: 'Exists' });
    } else {
      throw new SelectorSyntaxError(
        `"${part}" is not a label requirement (expected key=value, key!=value, key in (a,b), key notin (a,b), key or !key)`,
      );
    }
  }
  return {
    ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
    ...(matchExpressions.length ? { matchExpressions } : {}),
  };
}
