// Building blocks shared by the HealingPolicy and HealingAction schemas. Every field carries a
// description: it becomes the CRD's OpenAPI description, which is what `kubectl explain` prints.
import { z } from 'zod';
import { celString, withRules, type CelRule } from './cel.js';
import { parseDurationOr } from '../domain/duration.js';

export { API_VERSION, GROUP, VERSION } from './api-group.js';

/**
 * Go-style duration ("30s", "5m", "1h30m", "250ms"); checked at admission by the CRD pattern.
 * Every value it admits is also valid Go duration syntax, so CEL rules may call `duration()` on it
 * (after a `matches` guard: the API server runs CEL even when the pattern failed).
 */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** Longest duration text; bounds the cost of the CEL rules that read durations. */
export const MAX_DURATION_LENGTH = 32;
export const Duration = z
  .string()
  .max(MAX_DURATION_LENGTH)
  .regex(new RegExp(DURATION_PATTERN), 'must be a duration such as "30s", "5m" or "1h30m"');

/**
 * Durations CEL's `duration()` can convert: Go's time.ParseDuration overflows past 2562047h, and
 * the API server then refuses the whole object with "type conversion error". At most five digits
 * before each unit's decimal point, in at most 32 characters, stays far below that.
 */
const CEL_SAFE_DURATION = '^([0-9]{1,5}(\\.[0-9]+)?(ms|s|m|h))+$';
export const isCelSafeDuration = (v: string): boolean => new RegExp(CEL_SAFE_DURATION).test(v);

/** CEL: `expr` (a string) is a well-formed duration that does not overflow, so `duration(expr)` cannot fail. */
export const celIsDuration = (expr: string): string => `${expr}.matches(${celString(CEL_SAFE_DURATION)})`;

/** A duration whose every number is zero ("0s", "0m0s", "0.0h"). */
const ZERO_DURATION = '^([0.]+(ms|s|m|h))+$';

const ZERO_RULE = {
  rule: `!self.matches(${celString(ZERO_DURATION)})`,
  check: (v: string) => (new RegExp(ZERO_DURATION).test(v) ? 'must be longer than 0s' : undefined),
  message: 'must be longer than 0s',
};

/** A duration that must be longer than zero: a zero window or interval never works. */
export const PositiveDuration = withRules(Duration, [ZERO_RULE]);

/**
 * How often a policy evaluates: at least 1s. Each evaluation reads the cluster and adds to the
 * workflow's history; "4ms" would spin both for nothing (found by the hostile-policy chaos test).
 */
export const IntervalDuration = withRules(Duration, [
  ZERO_RULE,
  {
    rule: `self.matches(${celString(ZERO_DURATION)}) || !self.matches(${celString(CEL_SAFE_DURATION)}) || duration(self) >= duration('1s')`,
    check: (v) =>
      !new RegExp(ZERO_DURATION).test(v) && isCelSafeDuration(v) && parseDurationOr(v, Infinity) < 1000
        ? 'must be at least 1s'
        : undefined,
    message: 'must be at least 1s',
  },
]);

/**
 * A duration at most `max`, judged alike by the API server (CEL) and zod. A value CEL cannot
 * convert (more than five digits before a unit) is refused too, as CEL cannot compare it.
 */
export function atMostRule(max: string, message: string): CelRule<string> {
  return {
    rule: `self.matches(${celString(CEL_SAFE_DURATION)}) && duration(self) <= duration('${max}')`,
    check: (v: string) =>
      !isCelSafeDuration(v) || parseDurationOr(v, Infinity) > parseDurationOr(max, 0) ? message : undefined,
    message,
  };
}

/** Longest maintenance or allowed window: a week covers every weekly schedule. */
export const MAX_WINDOW_DURATION = '168h';
const MAX_WINDOW_MESSAGE = `must be at most ${MAX_WINDOW_DURATION} (7 days)`;

/**
 * How long a maintenance or allowed window lasts: longer than 0s, at most a week. A value CEL
 * cannot convert (more than five digits before a unit) is refused too, as CEL cannot compare it.
 */
export const WindowDuration = withRules(Duration, [
  ZERO_RULE,
  atMostRule(MAX_WINDOW_DURATION, MAX_WINDOW_MESSAGE),
]);

/** Longest name of a trigger or action: names are compared in CEL rules, which need a bound. */
export const MAX_NAME_LENGTH = 63;

/** Bounds of the lists CEL rules iterate over (the API server budgets each rule's cost). */
export const MAX_TRIGGERS = 16;
export const MAX_ACTIONS = 16;

/** The name of a trigger or an action. */
export const ItemName = (what: string): z.ZodString =>
  z.string().min(1).max(MAX_NAME_LENGTH).describe(`Name of the ${what}, unique in the policy.`);

/** A Kubernetes-style int-or-string, e.g. `2` or `"50%"`. */
export const IntOrPercent = withRules(
  z.union([
    z.number().int().min(0),
    z.string().regex(/^[0-9]+%$/, 'must be an integer or a percentage such as "50%"'),
  ]),
  [
    {
      // The CRD's x-kubernetes-int-or-string keeps neither branch's bounds: without this the API
      // server stored minReadyReplicas: -1, which zod then refused.
      rule: 'type(self) != int || self >= 0',
      check: (v) => (typeof v === 'number' && v < 0 ? 'must not be negative' : undefined),
      message: 'must not be negative',
    },
  ],
);

const SET_OPERATORS = "self.operator in ['In', 'NotIn']";
const hasValues = (r: { values?: string[] | undefined }): boolean => (r.values?.length ?? 0) > 0;

// As for Kubernetes' own label selectors: In/NotIn without values would match nothing (or
// everything) silently, and values next to Exists would be ignored silently.
export const LabelSelectorRequirement = withRules(
  z.object({
    key: z.string().min(1).describe('The label key the selector applies to.'),
    operator: z
      .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
      .describe('How the key relates to the values: In, NotIn, Exists or DoesNotExist.'),
    values: z
      .array(z.string())
      .optional()
      .describe('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
  }),
  [
    {
      rule: `!(${SET_OPERATORS}) || (has(self.values) && size(self.values) > 0)`,
      check: (r) =>
        (r.operator === 'In' || r.operator === 'NotIn') && !hasValues(r)
          ? 'must be specified when operator is In or NotIn'
          : undefined,
      message: 'must be specified when operator is In or NotIn',
      fieldPath: '.values',
      reason: 'FieldValueRequired',
    },
    {
      rule: `${SET_OPERATORS} || !has(self.values) || size(self.values) == 0`,
      check: (r) =>
        r.operator !== 'In' && r.operator !== 'NotIn' && hasValues(r)
          ? 'must be empty when operator is Exists or DoesNotExist'
          : undefined,
      message: 'must be empty when operator is Exists or DoesNotExist',
      fieldPath: '.values',
      reason: 'FieldValueForbidden',
    },
  ],
);
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirement>;

export const LabelSelector = z.object({
  matchLabels: z
    .record(z.string(), z.string())
    .optional()
    .describe('Labels that must all be present with exactly these values.'),
  matchExpressions: z
    .array(LabelSelectorRequirement)
    .max(32)
    .optional()
    .describe('Set-based requirements; all must hold.'),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

export const Condition = z.object({
  type: z.string().describe('Condition type, e.g. Ready, Paused, Degraded.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
  reason: z.string().optional().describe('One CamelCase word saying why the condition has this status.'),
  message: z.string().optional().describe('A human-readable explanation.'),
  lastTransitionTime: z.string().optional().describe('When the status last changed (RFC 3339).'),
  observedGeneration: z
    .number()
    .int()
    .optional()
    .describe('The .metadata.generation the condition was computed from.'),
});
export type Condition = z.infer<typeof Condition>;

/** Just enough ObjectMeta for parsing CRs at the edges; everything else passes through. */
export const ObjectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;
