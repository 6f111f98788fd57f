// Validation rules declared once, next to the zod schema they belong to, and enforced twice:
//
//   withRules(schema, [rule])
//     ├─▶ .meta({ 'x-kubernetes-validations' }) ──▶ the generated CRD: the API server refuses the
//     │                                              object at `kubectl apply`, naming fieldPath
//     └─▶ .superRefine(rule.check)               ──▶ parseHealingPolicySpec: the controller (and
//                                                    the sim, which has no CEL) set Ready=False
//
// `rule` is CEL as the API server evaluates it (over `self`, after defaulting); `check` is the
// same judgement in TypeScript over the parsed value. Each returns the same message, so a policy
// is refused with the same words wherever it is refused; test/real/crd-validation.test.ts holds
// the server to that. Rules over lists and strings need `max()` bounds on those fields, or the
// API server refuses the CRD ("estimated rule cost exceeds budget").
import type { z } from 'zod';

/** How the API server reports a failed rule (apiextensions/v1 ValidationRule.reason). */
export type CelReason = 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden';

export interface CelRule<T> {
  /** CEL over `self`; true when the value is acceptable. */
  rule: string;
  /**
   * The same judgement in TypeScript: undefined when acceptable, else the message, which must say
   * exactly what `message` (or `messageExpression`) says for that value. It may also name a more
   * precise path (relative to the schema) than CEL's static fieldPath can, e.g. a list index.
   * Where CEL's cost budget allows no messageExpression, it may name the value `message` cannot.
   */
  check: (value: T) => string | { message: string; path: PropertyKey[] } | undefined;
  /** The message when it needs no values from the object. */
  message: string;
  /** CEL building the message from the object; `message` is its fallback. */
  messageExpression?: string;
  /** The field the error names, relative to the schema the rule is on, e.g. ".minReplicas". */
  fieldPath?: string;
  reason?: CelReason;
}

export interface CrdValidationRule {
  rule: string;
  message: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: CelReason;
}

/** A CEL string literal for `text` (single quotes, backslashes and quotes escaped). */
export function celString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ".a.b" → ["a", "b"], the zod issue path of a CEL fieldPath (reserved words unescaped). */
function zodPath(fieldPath: string | undefined): string[] {
  if (!fieldPath) return [];
  return fieldPath
    .split('.')
    .filter(Boolean)
    .map((p) => p.replace(/^__(.*)__$/, '$1'));
}

/** The CRD side of the rules, in the shape of x-kubernetes-validations. */
export function crdRules(rules: readonly CelRule<never>[]): CrdValidationRule[] {
  return rules.map(({ rule, message, messageExpression, fieldPath, reason }) => ({
    rule,
    message,
    ...(messageExpression ? { messageExpression } : {}),
    ...(fieldPath ? { fieldPath } : {}),
    ...(reason ? { reason } : {}),
  }));
}

/** `schema` with `rules` checked in zod and carried into the generated CRD. */
export function withRules<S extends z.ZodType>(schema: S, rules: CelRule<z.output<S>>[]): S {
  return schema
    .superRefine((value, ctx) => {
      for (const r of rules) {
        const found = r.check(value as z.output<S>);
        if (found === undefined) continue;
        const { message, path } =
          typeof found === 'string' ? { message: found, path: zodPath(r.fieldPath) } : found;
        ctx.addIssue({ code: 'custom', path, message });
      }
    })
    .meta({ 'x-kubernetes-validations': crdRules(rules as CelRule<never>[]) });
}
