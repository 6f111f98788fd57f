// Parsing at the edge: the controller runs every HealingPolicy through `parseHealingPolicySpec`
// before a workflow sees it. The CRD refuses wrong types and, with its CEL rules (./cel.ts),
// wrong combinations at admission; the zod schema checks the same again (the sim has no CEL). This
// adds what only code can check, and turns every problem into "<field path>: <what is wrong>",
// which the controller reports as Ready=False.
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { HealingPolicySpec } from './healing-policy.js';
import { firstOutsideAllowed, legacyPointer, outsideMessage } from './patch-paths.js';
import { webhookBodyProblem } from '../domain/webhook.js';
import { privilegedFieldIn, privilegedFieldOfChange, privilegedMessage } from '../domain/patch.js';
import { windowProblem } from '../domain/windows.js';

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

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** The JSON pointers a JSON Patch writes (`path`, and `from` for a move, which removes there). */
function jsonPatchPointers(ops: unknown[]): string[] {
  return ops.flatMap((op) => {
    if (!op || typeof op !== 'object') return [];
    const { op: verb, path, from } = op as { op?: unknown; path?: unknown; from?: unknown };
    if (verb === 'test') return [];
    return [path, verb === 'move' ? from : undefined].filter((p): p is string => typeof p === 'string');
  });
}

/**
 * A privileged field the text check (./policy-actions.ts) cannot see because the document spells
 * it with escapes (`"hostNetw\u006frk"` in JSON, `"\x68ostPID"` in YAML): found on the parsed keys.
 */
function hiddenPrivileged(text: string, parsed: unknown, report: (message: string) => void): void {
  if (privilegedFieldIn(text)) return; // already refused by the rule on the text, in the same words
  const ops = Array.isArray(parsed) ? (parsed as { path?: unknown; value?: unknown }[]) : [{ value: parsed }];
  for (const op of ops) {
    const field = privilegedFieldOfChange(typeof op?.path === 'string' ? op.path : '', op?.value);
    if (field) return report(privilegedMessage(field));
  }
}

/** Cron schedules and time zones of the windows: no CEL function parses either. */
function checkWindows(spec: HealingPolicySpec, issue: (path: PropertyKey[], message: string) => void): void {
  for (const list of ['maintenanceWindows', 'allowedWindows'] as const)
    spec.safetyRules[list]?.forEach((w, i) => {
      const problem = windowProblem(w);
      if (problem) issue(['safetyRules', list, i, problem.field], problem.message);
    });
}

/** What CEL cannot judge: regular expressions, patch documents, webhook bodies, cron schedules. */
function checkSpec(spec: HealingPolicySpec, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });
  checkWindows(spec, issue);
  spec.triggers.forEach((t, i) => {
    const pattern = t.eventTrigger?.reasonPattern;
    if (pattern !== undefined && !isValidRegex(pattern)) {
      issue(['triggers', i, 'eventTrigger', 'reasonPattern'], `not a valid regular expression: ${pattern}`);
    }
  });
  spec.actions.forEach((a, i) => {
    const body = a.webhookAction?.body;
    const bodyProblem = body === undefined ? undefined : webhookBodyProblem(body);
    if (bodyProblem) issue(['actions', i, 'webhookAction', 'body'], bodyProblem);
    const p = a.patchAction;
    if (p && !p.patch && p.patches) {
      // The legacy keys CEL cannot judge (their pointers need escaping, see ./patch-paths.ts).
      const pointers = p.patches.filter((op) => op.path.length > 0).map((op) => legacyPointer(op.path));
      const outside = firstOutsideAllowed(pointers, p.allowedPaths);
      if (outside !== undefined)
        issue(['actions', i, 'patchAction', 'patches'], outsideMessage(outside, p.allowedPaths));
    }
    const where = ['actions', i, 'patchAction', 'patch'];
    if (p?.patch && p.type === 'json') {
      let ops: unknown;
      try {
        ops = JSON.parse(p.patch);
      } catch {
        ops = undefined;
      }
      if (!Array.isArray(ops)) {
        issue(where, 'a json patch must be a JSON array');
        return;
      }
      const outside = firstOutsideAllowed(jsonPatchPointers(ops), p.allowedPaths);
      if (outside !== undefined) issue(where, outsideMessage(outside, p.allowedPaths));
      hiddenPrivileged(p.patch, ops, (m) => issue(where, m));
    } else if (p?.patch) {
      let doc: unknown;
      try {
        doc = parseYaml(p.patch);
      } catch (err) {
        doc = err;
      }
      if (!doc || typeof doc !== 'object' || Array.isArray(doc) || doc instanceof Error) {
        issue(where, `a ${p.type} patch must be a JSON or YAML object`);
      } else hiddenPrivileged(p.patch, doc, (m) => issue(where, m));
    }
  });
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
