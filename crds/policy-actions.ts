// The actions of a HealingPolicy (and, copied, of a HealingAction): restart, scale, patch, delete,
// webhook, job (its block in ./job-action.ts).
import { z } from 'zod';
import { celString, withRules, type CelRule } from './cel.js';
import { ItemName, MAX_NAME_LENGTH, MAX_TRIGGERS } from './common.js';
import { JobAction } from './job-action.js';
import {
  celLegacyPatchesInside,
  firstOutsideAllowed,
  legacyPointer,
  needsEscaping,
  outsideMessage,
} from './patch-paths.js';
import {
  PRIVILEGED_WORD_PATTERN,
  PRIVILEGED_FIELDS,
  privilegedFieldIn,
  privilegedMessage,
} from '../domain/patch.js';

export const RestartAction = z.object({
  strategy: z
    .enum(['evict', 'delete', 'rollout', 'rolling', 'recreate', 'graceful'])
    .default('evict')
    .describe(
      'evict: Eviction API, honours PodDisruptionBudgets; delete: delete the pod (uid precondition); ' +
        'rollout: rollout restart of the owning Deployment/StatefulSet. Original names: rolling = rollout, ' +
        'recreate = delete, graceful = evict.',
    ),
  gracePeriodSeconds: z.number().int().min(0).default(30).describe('Termination grace period for the pod.'),
  maxConcurrent: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'At most this many restarts by this action open at once, across targets (a Go KubeSkippy ' +
        'field it never read). Default: only safetyRules.maxConcurrentActions bounds them.',
    ),
});
export type RestartAction = z.infer<typeof RestartAction>;

export const ScaleAction = withRules(
  z.object({
    direction: z.enum(['up', 'down', 'absolute']).describe('Add replicas, remove replicas, or set a count.'),
    replicas: z.number().int().min(0).describe('Replicas to add or remove, or the absolute count.'),
    minReplicas: z.number().int().min(0).default(1).describe('Never scale below this; at most maxReplicas.'),
    maxReplicas: z.number().int().min(1).default(10).describe('Never scale above this.'),
    strategy: z
      .string()
      .max(64)
      .optional()
      .describe(
        'Accepted for policies written for the Go KubeSkippy ("predictive", "coordinated"), which ' +
          'had no such field: a scale is one step; the policy says so in its Warnings condition.',
      ),
  }),
  [
    {
      rule: 'self.minReplicas <= self.maxReplicas',
      check: (s) =>
        s.minReplicas > s.maxReplicas ? `must not exceed maxReplicas (${s.maxReplicas})` : undefined,
      message: 'must not exceed maxReplicas',
      // format(), not string(int): the API server estimates string()'s output as unbounded.
      messageExpression: "'must not exceed maxReplicas (%d)'.format([self.maxReplicas])",
      fieldPath: '.minReplicas',
    },
  ],
);
export type ScaleAction = z.infer<typeof ScaleAction>;

/** Longest legacy value; CEL reads every value for privileged fields, which needs a bound. */
const MAX_LEGACY_VALUE_LENGTH = 1024;

/** The privileged-field words in CEL: RE2 takes the case-insensitive flag inline. */
const CEL_PRIVILEGED = celString(`(?i)${PRIVILEGED_WORD_PATTERN}`);
const PRIVILEGED_RULE_MESSAGE = `must not set privileged fields (${PRIVILEGED_FIELDS.join(', ')}): a healing patch may never widen what the pod may do`;

/** No privileged field in the patch document (./patch.ts PRIVILEGED_FIELDS), whatever allowedPaths says. */
const privilegedInPatch: CelRule<{ patch?: string | undefined }> = {
  rule: `!has(self.patch) || !self.patch.matches(${CEL_PRIVILEGED})`,
  check: (p) => {
    const field = p.patch ? privilegedFieldIn(p.patch) : undefined;
    return field ? privilegedMessage(field) : undefined;
  },
  message: PRIVILEGED_RULE_MESSAGE,
  fieldPath: '.patch',
  reason: 'FieldValueForbidden',
};

/** The same for the legacy `patches`: neither a key on the path nor the value names one. */
const privilegedInPatches: CelRule<{ patches?: { path: string[]; value: string }[] | undefined }> = {
  rule: `!has(self.patches) || self.patches.all(op, !op.path.exists(k, k.matches(${CEL_PRIVILEGED})) && !op.value.matches(${CEL_PRIVILEGED}))`,
  check: (p) => {
    for (const [i, op] of (p.patches ?? []).entries()) {
      const field = op.path.map(privilegedFieldIn).find(Boolean) ?? privilegedFieldIn(op.value);
      if (field) return { message: privilegedMessage(field), path: ['patches', i] };
    }
    return undefined;
  },
  message: PRIVILEGED_RULE_MESSAGE,
  fieldPath: '.patches',
  reason: 'FieldValueForbidden',
};

export const LegacyPatchOperation = z.object({
  path: z
    .array(z.string().max(128))
    .max(10)
    .describe('Map keys from the object root to the field to set; inside allowedPaths.'),
  value: z.string().max(MAX_LEGACY_VALUE_LENGTH).describe('New value, as JSON (else used as a string).'),
});

/** Longest patch document; the CEL rule that looks at its first character needs a bound. */
export const MAX_PATCH_LENGTH = 32_768;
/** JSON's whitespace, then the `[` of an array. */
const JSON_ARRAY_START = String.raw`^[ \t\r\n]*\[`;

export const PatchAction = withRules(
  z.object({
    type: z.enum(['strategic', 'merge', 'json']).default('strategic').describe('Patch semantics.'),
    patch: z
      .string()
      .max(MAX_PATCH_LENGTH)
      .optional()
      .describe('The patch document (JSON or YAML); for type json, a JSON Patch array of operations.'),
    patches: z
      .array(LegacyPatchOperation)
      .max(16)
      .optional()
      .describe(
        'Original KubeSkippy form: fields to set, applied as a merge patch. Ignored when patch is set.',
      ),
    allowedPaths: z
      .array(z.string().max(256).regex(/^\//, 'must be a JSON pointer such as /spec/template'))
      .max(8)
      .optional()
      .describe(
        'JSON-pointer prefixes the patch may touch, e.g. /spec/template/spec/containers. Default: ' +
          '/spec/template (the pod template of the owning workload).',
      ),
    target: z
      .enum(['owner', 'self'])
      .default('owner')
      .describe("owner: patch the pod's Deployment/StatefulSet; self: patch the target object itself."),
  }),
  [
    {
      rule: "(has(self.patch) && self.patch != '') || (has(self.patches) && size(self.patches) > 0)",
      check: (p) =>
        !p.patch && !p.patches?.length ? 'a patch document (or patches) is required' : undefined,
      message: 'a patch document (or patches) is required',
      fieldPath: '.patch',
      reason: 'FieldValueRequired',
    },
    {
      // CEL cannot parse JSON: it refuses what does not even start like an array, and
      // parseHealingPolicySpec parses the rest (with the same message).
      rule: `self.type != 'json' || !has(self.patch) || self.patch == '' || self.patch.matches(${celString(JSON_ARRAY_START)})`,
      check: (p) =>
        p.type === 'json' && p.patch && !new RegExp(JSON_ARRAY_START).test(p.patch)
          ? 'a json patch must be a JSON array'
          : undefined,
      message: 'a json patch must be a JSON array',
      fieldPath: '.patch',
    },
    {
      rule: celLegacyPatchesInside,
      check: (p) => {
        if (p.patch || !p.patches) return undefined;
        // Keys that need escaping are left to parseHealingPolicySpec, as CEL leaves them.
        const judged = p.patches.filter((op) => op.path.length > 0 && !op.path.some(needsEscaping));
        const outside = firstOutsideAllowed(
          judged.map((op) => legacyPointer(op.path)),
          p.allowedPaths,
        );
        return outside === undefined ? undefined : outsideMessage(outside, p.allowedPaths);
      },
      // No messageExpression naming the path: every CEL form of it is estimated over budget.
      message: 'every path must be inside allowedPaths (default /spec/template)',
      fieldPath: '.patches',
    },
    privilegedInPatch,
    privilegedInPatches,
  ],
);
export type PatchAction = z.infer<typeof PatchAction>;

export const DeleteAction = z.object({
  gracePeriodSeconds: z.number().int().min(0).default(30).describe('Termination grace period.'),
  force: z.boolean().default(false).describe('Remove finalizers first (only with care).'),
  propagationPolicy: z
    .enum(['Orphan', 'Background', 'Foreground'])
    .default('Background')
    .describe('What happens to dependents.'),
});
export type DeleteAction = z.infer<typeof DeleteAction>;

/** Longest webhook body template; bounded so a rendered body stays small. */
export const MAX_WEBHOOK_BODY_LENGTH = 8192;

export const WebhookAction = z.object({
  url: z
    .string()
    .max(2048)
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
    .describe(
      'Where to POST. It must start with one of the operator-wide allowed prefixes ' +
        '(KUBESKIPPY_WEBHOOK_ALLOW / --webhook-allow); any other URL is refused before anything is sent.',
    ),
  body: z
    .string()
    .max(MAX_WEBHOOK_BODY_LENGTH)
    .optional()
    .describe(
      'JSON body template. Named placeholders only, inside JSON strings: {{policy}}, {{namespace}}, ' +
        '{{target.kind}}, {{target.name}}, {{target.namespace}}, {{trigger}}, {{action}}, {{actionId}}. ' +
        'Nothing is evaluated. Default: an object with all of them.',
    ),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(5)
    .describe(
      'How long one POST may take (at most 10 s, below the 15 s an execute attempt may take); ' +
        'a timeout is retried like a 5xx.',
    ),
});
export type WebhookAction = z.infer<typeof WebhookAction>;

const requiredBlock = (
  type: 'scale' | 'patch' | 'webhook' | 'job',
): CelRule<{ type: string } & Record<string, unknown>> => ({
  rule: `self.type != '${type}' || has(self.${type}Action)`,
  check: (a) => (a.type === type && !a[`${type}Action`] ? `required when type is "${type}"` : undefined),
  message: `required when type is "${type}"`,
  fieldPath: `.${type}Action`,
  reason: 'FieldValueRequired',
});

export const HealingActionTemplate = withRules(
  z.object({
    name: ItemName('action'),
    type: z.enum(['restart', 'scale', 'patch', 'delete', 'webhook', 'job']).describe('What the action does.'),
    description: z.string().optional().describe('Free text for people.'),
    restartAction: RestartAction.optional().describe('Settings of a restart.'),
    scaleAction: ScaleAction.optional().describe('Settings of a scale (required for type scale).'),
    patchAction: PatchAction.optional().describe('Settings of a patch (required for type patch).'),
    deleteAction: DeleteAction.optional().describe('Settings of a delete.'),
    webhookAction: WebhookAction.optional().describe('Settings of a webhook (required for type webhook).'),
    jobAction: JobAction.optional().describe('Settings of a job (required for type job).'),
    priority: z
      .number()
      .int()
      .default(50)
      .describe('Order among actions: HIGHER runs first (as in the Go KubeSkippy); ties keep list order.'),
    requiresApproval: z.boolean().default(false).describe('Wait for a person to approve before acting.'),
    triggers: z
      .array(z.string().max(MAX_NAME_LENGTH))
      .max(MAX_TRIGGERS)
      .optional()
      .describe(
        'Names of the triggers this action answers (each one in spec.triggers). Empty: every trigger.',
      ),
  }),
  [requiredBlock('scale'), requiredBlock('patch'), requiredBlock('webhook'), requiredBlock('job')],
);
export type HealingActionTemplate = z.infer<typeof HealingActionTemplate>;
