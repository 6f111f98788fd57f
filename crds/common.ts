// Building blocks shared by the HealingPolicy and HealingAction schemas. Every field carries a
// description: it becomes the CRD's OpenAPI description, which is what `kubectl explain` prints.
import { z } from 'zod';

export { API_VERSION, GROUP, VERSION } from './api-group.js';

/** Go-style duration ("30s", "5m", "1h30m", "250ms"); checked at admission by the CRD pattern. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
export const Duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), 'must be a duration such as "30s", "5m" or "1h30m"');

/** A Kubernetes-style int-or-string, e.g. `2` or `"50%"`. */
export const IntOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^[0-9]+%$/, 'must be an integer or a percentage such as "50%"'),
]);

export const LabelSelectorRequirement = z.object({
  key: z.string().min(1).describe('The label key the selector applies to.'),
  operator: z
    .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
    .describe('How the key relates to the values: In, NotIn, Exists or DoesNotExist.'),
  values: z
    .array(z.string())
    .optional()
    .describe('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
});
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirement>;

export const LabelSelector = z.object({
  matchLabels: z
    .record(z.string(), z.string())
    .optional()
    .describe('Labels that must all be present with exactly these values.'),
  matchExpressions: z
    .array(LabelSelectorRequirement)
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
