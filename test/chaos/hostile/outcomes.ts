// What became of each document, judged from what a user can see: kubectl's answer, then the stored
// policy's Ready condition, then the spec the API server stored read by the operator's own parser.
// Exactly one of three ends is allowed; anything else is listed by name, with why.
import { HealingPolicySpec } from '../../../crds/healing-policy.js';
import { parseHealingPolicySpec } from '../../../crds/validate.js';
import type { ApplyVerdict } from './apply.js';
import type { HostileDocument } from './generate.js';

export interface StoredPolicy {
  metadata: { name: string; generation?: number };
  spec?: unknown;
  status?: {
    conditions?: { type: string; status: string; message?: string; observedGeneration?: number }[];
  };
}

export type Outcome =
  | { end: 'refused'; message: string }
  | { end: 'invalid'; message: string }
  | { end: 'valid' }
  | { end: 'unexplained'; why: string };

/** A field as the API server or kubectl names one: `spec.a[0].b: ...`, `unknown field "spec.x"`, `.spec.x: field not declared`. */
const NAMES_A_FIELD = /(^|[\s"([])\.?spec(\.[^\s:"[\]]+|\[\d+\])*(: |"| in body| field not declared)/;
/** The controller's Ready=False message: `spec.<path>: <what is wrong>`. */
const READY_FALSE_FIELD = /^spec(\.[^\s:[\]]+|\[\d+\])*: \S/;

export const readyOf = (
  p: StoredPolicy,
): NonNullable<NonNullable<StoredPolicy['status']>['conditions']>[number] | undefined =>
  p.status?.conditions?.find((c) => c.type === 'Ready');

/** The three allowed ends, or why a document reached none of them. */
export function outcomeOf(verdict: ApplyVerdict | undefined, stored: StoredPolicy | undefined): Outcome {
  if (!verdict) return { end: 'unexplained', why: 'kubectl reported nothing for it' };
  if (!verdict.accepted) {
    if (stored) return { end: 'unexplained', why: `refused (${verdict.message}) but stored` };
    return NAMES_A_FIELD.test(verdict.message)
      ? { end: 'refused', message: verdict.message }
      : { end: 'unexplained', why: `refused without naming a field: ${verdict.message.slice(0, 300)}` };
  }
  if (!stored) return { end: 'unexplained', why: 'accepted but not stored' };
  const ready = readyOf(stored);
  if (!ready) return { end: 'unexplained', why: 'accepted but no Ready condition' };
  const parsed = parseHealingPolicySpec(stored.spec);
  if (ready.status === 'True') {
    return parsed.ok
      ? { end: 'valid' }
      : {
          end: 'unexplained',
          why: `Ready=True but the spec does not parse: ${JSON.stringify(parsed.errors).slice(0, 300)}`,
        };
  }
  const message = ready.message ?? '';
  if (parsed.ok)
    return { end: 'unexplained', why: `Ready=${ready.status} (${message.slice(0, 200)}) on a valid spec` };
  return READY_FALSE_FIELD.test(message)
    ? { end: 'invalid', message }
    : { end: 'unexplained', why: `Ready=False without naming a field: ${message.slice(0, 300)}` };
}

/** What kubectl refuses before any schema or rule runs: unknown fields, bodies that do not decode. */
const DECODING =
  /unknown field|field not declared in schema|strict decoding error|error decoding|cannot be handled|Request entity too large|too large|exceeded/i;

/**
 * Where the API server (OpenAPI schema + CEL) and the zod schema (the same rules, in TypeScript)
 * judge one document differently. Checks only code can make (regexes compile, patch documents
 * parse: parseHealingPolicySpec beyond HealingPolicySpec) are by design the controller's, not a
 * disagreement.
 */
export function disagreement(
  doc: HostileDocument,
  verdict: ApplyVerdict | undefined,
  stored: StoredPolicy | undefined,
): string | undefined {
  if (!verdict) return undefined;
  if (verdict.accepted) {
    const zod = HealingPolicySpec.safeParse(stored?.spec);
    if (zod.success) return undefined;
    const issues = zod.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ');
    return `the API server accepts, zod refuses: ${issues.slice(0, 400)}`;
  }
  if (DECODING.test(verdict.message)) return undefined;
  const zod = HealingPolicySpec.safeParse(doc.doc.spec);
  return zod.success ? `the API server refuses, zod accepts: ${verdict.message.slice(0, 400)}` : undefined;
}
