// Parsing at the edge: the controller runs every HealingPolicy through `parseHealingPolicySpec`
// before a workflow sees it. The CRD schema already rejects wrong types at admission; this adds
// what only code can check, and turns every problem into "<field path>: <what is wrong>".
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { parseDurationOr } from '../domain/duration.js';
import { HealingPolicySpec } from './healing-policy.js';

export interface FieldError {
  /** e.g. "spec.triggers[0].metricTrigger.threshold" */
  field: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function formatPath(path: readonly PropertyKey[], prefix = 'spec'): string {
  let out = prefix;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

export function formatErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

const TRIGGER_BLOCK = {
  metric: 'metricTrigger',
  event: 'eventTrigger',
  condition: 'conditionTrigger',
} as const;

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

function checkSpec(spec: HealingPolicySpec, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });
  const seenTriggers = new Set<string>();
  spec.triggers.forEach((t, i) => {
    if (seenTriggers.has(t.name)) issue(['triggers', i, 'name'], `duplicate trigger name "${t.name}"`);
    seenTriggers.add(t.name);
    const block = TRIGGER_BLOCK[t.type];
    if (!t[block]) issue(['triggers', i, block], `required when type is "${t.type}"`);
    for (const other of Object.values(TRIGGER_BLOCK)) {
      if (other !== block && t[other]) issue(['triggers', i, other], `not allowed when type is "${t.type}"`);
    }
    const pattern = t.eventTrigger?.reasonPattern;
    if (pattern !== undefined && !isValidRegex(pattern)) {
      issue(['triggers', i, 'eventTrigger', 'reasonPattern'], `not a valid regular expression: ${pattern}`);
    }
    if (t.eventTrigger?.reason && pattern) {
      issue(['triggers', i, 'eventTrigger'], 'set reason or reasonPattern, not both');
    }
    const m = t.metricTrigger;
    if (m?.for && m.duration && m.for !== m.duration) {
      issue(['triggers', i, 'metricTrigger', 'duration'], 'conflicts with `for`; set only one');
    }
  });
  const seenActions = new Set<string>();
  spec.actions.forEach((a, i) => {
    if (seenActions.has(a.name)) issue(['actions', i, 'name'], `duplicate action name "${a.name}"`);
    seenActions.add(a.name);
    if (a.type === 'scale' && !a.scaleAction)
      issue(['actions', i, 'scaleAction'], 'required when type is "scale"');
    if (a.type === 'patch' && !a.patchAction)
      issue(['actions', i, 'patchAction'], 'required when type is "patch"');
    const s = a.scaleAction;
    if (s && s.minReplicas > s.maxReplicas) {
      issue(['actions', i, 'scaleAction', 'minReplicas'], `must not exceed maxReplicas (${s.maxReplicas})`);
    }
    const p = a.patchAction;
    if (p && !p.patch && !p.patches?.length) {
      issue(['actions', i, 'patchAction', 'patch'], 'a patch document (or patches) is required');
    }
    if (p?.patch && p.type === 'json') {
      let ops: unknown;
      try {
        ops = JSON.parse(p.patch);
      } catch {
        ops = undefined;
      }
      if (!Array.isArray(ops))
        issue(['actions', i, 'patchAction', 'patch'], 'a json patch must be a JSON array');
    } else if (p?.patch) {
      let doc: unknown;
      try {
        doc = parseYaml(p.patch);
      } catch (err) {
        doc = err;
      }
      if (!doc || typeof doc !== 'object' || Array.isArray(doc) || doc instanceof Error) {
        issue(['actions', i, 'patchAction', 'patch'], `a ${p.type} patch must be a JSON or YAML object`);
      }
    }
    for (const name of a.triggers ?? []) {
      if (!seenTriggers.has(name)) issue(['actions', i, 'triggers'], `unknown trigger "${name}"`);
    }
  });
  const v = spec.verification;
  if (v.enabled && parseDurationOr(v.stabilityPeriod, 0) >= parseDurationOr(v.timeout, Infinity)) {
    issue(
      ['verification', 'stabilityPeriod'],
      `must be shorter than verification.timeout (${v.timeout}), or the action can never succeed`,
    );
  }
}

const StrictSpec = HealingPolicySpec.superRefine(checkSpec);

export function parseHealingPolicySpec(input: unknown): ParseResult<HealingPolicySpec> {
  const result = StrictSpec.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message })),
  };
}
