// HealingPolicy: "if this, then that" for Kubernetes. Field names follow the original KubeSkippy
// (selector / triggers[].metricTrigger / actions[].restartAction ...) so its policies keep
// applying; every new field is optional with a safe default. Rules between fields (a metric
// trigger needs metricTrigger, names are unique, minReplicas <= maxReplicas, ...) sit next to
// their schema as `withRules` (./cel.ts): CEL in the CRD, the same check in zod. What CEL cannot
// judge (regexes compile, patch documents parse) is checked by `parseHealingPolicySpec` in
// ./validate.ts, which the controller runs before starting a workflow.
import { z } from 'zod';
import { celString, withRules, type CelRule } from './cel.js';
import {
  API_VERSION,
  Condition,
  Duration,
  IntOrPercent,
  LabelSelector,
  MAX_NAME_LENGTH,
  ObjectMeta,
  PositiveDuration,
  celIsDuration,
} from './common.js';
import { parseDurationOr } from '../domain/duration.js';
import {
  celLegacyOutsideMessage,
  celLegacyPatchesInside,
  firstOutsideAllowed,
  legacyPointer,
  outsideMessage,
} from './patch-paths.js';

/** Bounds of the lists CEL rules iterate over (the API server budgets each rule's cost). */
export const MAX_TRIGGERS = 16;
export const MAX_ACTIONS = 16;

const Name = (what: string): z.ZodString =>
  z.string().min(1).max(MAX_NAME_LENGTH).describe(`Name of the ${what}, unique in the policy.`);

/** `for` and its alias `duration` (CEL escapes the reserved word `for` as `__for__`). */
const forAliasRule: CelRule<{ for?: string | undefined; duration?: string | undefined }> = {
  rule: '!has(self.__for__) || !has(self.duration) || self.__for__ == self.duration',
  check: (t) =>
    t.for && t.duration && t.for !== t.duration ? 'conflicts with `for`; set only one' : undefined,
  message: 'conflicts with `for`; set only one',
  fieldPath: '.duration',
};

export const ResourceFilter = z.object({
  apiVersion: z
    .string()
    .optional()
    .describe('API version of the kind, e.g. "v1" or "apps/v1". Empty matches any version.'),
  kind: z.string().min(1).describe('Kind of resource, e.g. Pod, Deployment, StatefulSet.'),
  excludeNames: z.array(z.string()).optional().describe('Names (exact) of objects never to select.'),
});
export type ResourceFilter = z.infer<typeof ResourceFilter>;

export const ResourceSelector = z.object({
  namespaces: z
    .array(z.string())
    .optional()
    .describe("Namespaces to watch. Empty means the policy's own namespace."),
  labelSelector: LabelSelector.optional().describe('Only objects whose labels match are targets.'),
  resources: z
    .array(ResourceFilter)
    .optional()
    .describe('Kinds that are targets. Default: Pods. Workload kinds are evaluated through their pods.'),
});
export type ResourceSelector = z.infer<typeof ResourceSelector>;

export const MetricOperator = z.enum(['>', '>=', '<', '<=', '==', '!=']);
export type MetricOperator = z.infer<typeof MetricOperator>;

export const MetricTrigger = withRules(
  z.object({
    query: z
      .string()
      .min(1)
      .describe(
        'What to measure per target: memory_usage_percent, cpu_usage_percent (usage over the container ' +
          'limit, else request), memory_usage_bytes, cpu_usage_millicores, restart_count (restarts within ' +
          '`window`), or a PromQL expression (needs a configured Prometheus).',
      ),
    operator: MetricOperator.default('>').describe('Comparison of the value with the threshold.'),
    threshold: z.number().describe('The value the measurement is compared with.'),
    for: Duration.optional().describe(
      'How long the comparison must hold continuously before the trigger fires ("3m"). Empty: at once.',
    ),
    duration: Duration.optional().describe('Alias of `for`, the original KubeSkippy name.'),
    window: PositiveDuration.default('5m').describe(
      'The look-back window of restart_count ("restarts in 5 minutes"); longer than 0s.',
    ),
  }),
  [forAliasRule],
);
export type MetricTrigger = z.infer<typeof MetricTrigger>;

export const EventTrigger = withRules(
  z.object({
    reason: z.string().optional().describe('Event reason to match exactly, e.g. BackOff. Empty: any reason.'),
    reasonPattern: z
      .string()
      .optional()
      .describe('Regular expression the whole event reason must match, e.g. "BackOff|Unhealthy".'),
    type: z.enum(['Normal', 'Warning']).optional().describe('Event type to match. Empty: any type.'),
    count: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("How many occurrences within the window fire the trigger (an event's own count is summed)."),
    window: PositiveDuration.default('5m').describe('Look-back window for counting events; longer than 0s.'),
  }),
  [
    {
      rule: "!has(self.reason) || !has(self.reasonPattern) || self.reason == '' || self.reasonPattern == ''",
      check: (e) => (e.reason && e.reasonPattern ? 'set reason or reasonPattern, not both' : undefined),
      message: 'set reason or reasonPattern, not both',
    },
  ],
);
export type EventTrigger = z.infer<typeof EventTrigger>;

export const ConditionTrigger = withRules(
  z.object({
    type: z
      .string()
      .min(1)
      .describe(
        'A pod condition (Ready, ContainersReady, PodScheduled, Initialized) or a container state ' +
          '(CrashLoopBackOff, OOMKilled, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, Error).',
      ),
    status: z
      .enum(['True', 'False', 'Unknown'])
      .default('True')
      .describe('Required status; "Ready" with "False" means not ready. Container states use True.'),
    for: Duration.optional().describe('How long the condition must hold before the trigger fires.'),
    duration: Duration.optional().describe('Alias of `for`, the original KubeSkippy name.'),
  }),
  [forAliasRule],
);
export type ConditionTrigger = z.infer<typeof ConditionTrigger>;

const TRIGGER_TYPES = ['metric', 'event', 'condition'] as const;
type TriggerType = (typeof TRIGGER_TYPES)[number];
type TriggerBlocks = { type: TriggerType } & Partial<Record<`${TriggerType}Trigger`, unknown>>;

/** Each trigger type needs its own block and no other. */
const triggerBlockRules = TRIGGER_TYPES.flatMap((type): CelRule<TriggerBlocks>[] => {
  const block = `${type}Trigger` as const;
  return [
    {
      rule: `self.type != '${type}' || has(self.${block})`,
      check: (t) => (t.type === type && !t[block] ? `required when type is "${type}"` : undefined),
      message: `required when type is "${type}"`,
      fieldPath: `.${block}`,
      reason: 'FieldValueRequired',
    },
    {
      rule: `!has(self.${block}) || self.type == '${type}'`,
      check: (t) => (t[block] && t.type !== type ? `not allowed when type is "${t.type}"` : undefined),
      message: `allowed only when type is "${type}"`,
      messageExpression: `'not allowed when type is "' + self.type + '"'`,
      fieldPath: `.${block}`,
      reason: 'FieldValueForbidden',
    },
  ];
});

export const HealingTrigger = withRules(
  z.object({
    name: Name('trigger'),
    type: z.enum(TRIGGER_TYPES).describe('Which of the trigger blocks below applies.'),
    metricTrigger: MetricTrigger.optional().describe('Settings of a metric trigger.'),
    eventTrigger: EventTrigger.optional().describe('Settings of an event trigger.'),
    conditionTrigger: ConditionTrigger.optional().describe('Settings of a condition trigger.'),
    cooldownPeriod: Duration.default('5m').describe(
      'After an action for this trigger on a target, how long the same trigger ignores that target.',
    ),
  }),
  triggerBlockRules,
);
export type HealingTrigger = z.infer<typeof HealingTrigger>;

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
});
export type RestartAction = z.infer<typeof RestartAction>;

export const ScaleAction = withRules(
  z.object({
    direction: z.enum(['up', 'down', 'absolute']).describe('Add replicas, remove replicas, or set a count.'),
    replicas: z.number().int().min(0).describe('Replicas to add or remove, or the absolute count.'),
    minReplicas: z.number().int().min(0).default(1).describe('Never scale below this; at most maxReplicas.'),
    maxReplicas: z.number().int().min(1).default(10).describe('Never scale above this.'),
  }),
  [
    {
      rule: 'self.minReplicas <= self.maxReplicas',
      check: (s) =>
        s.minReplicas > s.maxReplicas ? `must not exceed maxReplicas (${s.maxReplicas})` : undefined,
      message: 'must not exceed maxReplicas',
      messageExpression: "'must not exceed maxReplicas (' + string(self.maxReplicas) + ')'",
      fieldPath: '.minReplicas',
    },
  ],
);
export type ScaleAction = z.infer<typeof ScaleAction>;

export const LegacyPatchOperation = z.object({
  path: z
    .array(z.string().max(253))
    .max(16)
    .describe('Map keys from the object root to the field to set; inside allowedPaths.'),
  value: z.string().describe('New value, as JSON (else used as a string).'),
});

/** Longest patch document; the CEL rule that looks at its first character needs a bound. */
export const MAX_PATCH_LENGTH = 65_536;
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
      .max(32)
      .optional()
      .describe(
        'Original KubeSkippy form: fields to set, applied as a merge patch. Ignored when patch is set.',
      ),
    allowedPaths: z
      .array(z.string().max(256).regex(/^\//, 'must be a JSON pointer such as /spec/template'))
      .max(16)
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
        const outside = firstOutsideAllowed(
          p.patches.filter((op) => op.path.length > 0).map((op) => legacyPointer(op.path)),
          p.allowedPaths,
        );
        return outside === undefined ? undefined : outsideMessage(outside, p.allowedPaths);
      },
      message: 'every path must be inside allowedPaths (default /spec/template)',
      messageExpression: celLegacyOutsideMessage,
      fieldPath: '.patches',
    },
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

const requiredBlock = (type: 'scale' | 'patch'): CelRule<{ type: string } & Record<string, unknown>> => ({
  rule: `self.type != '${type}' || has(self.${type}Action)`,
  check: (a) => (a.type === type && !a[`${type}Action`] ? `required when type is "${type}"` : undefined),
  message: `required when type is "${type}"`,
  fieldPath: `.${type}Action`,
  reason: 'FieldValueRequired',
});

export const HealingActionTemplate = withRules(
  z.object({
    name: Name('action'),
    type: z.enum(['restart', 'scale', 'patch', 'delete']).describe('What the action does.'),
    description: z.string().optional().describe('Free text for people.'),
    restartAction: RestartAction.optional().describe('Settings of a restart.'),
    scaleAction: ScaleAction.optional().describe('Settings of a scale (required for type scale).'),
    patchAction: PatchAction.optional().describe('Settings of a patch (required for type patch).'),
    deleteAction: DeleteAction.optional().describe('Settings of a delete.'),
    priority: z
      .number()
      .int()
      .default(50)
      .describe('Order among actions: HIGHER runs first (as in the original); ties keep list order.'),
    requiresApproval: z.boolean().default(false).describe('Wait for a person to approve before acting.'),
    triggers: z
      .array(z.string().max(MAX_NAME_LENGTH))
      .max(MAX_TRIGGERS)
      .optional()
      .describe(
        'Names of the triggers this action answers (each one in spec.triggers). Empty: every trigger.',
      ),
  }),
  [requiredBlock('scale'), requiredBlock('patch')],
);
export type HealingActionTemplate = z.infer<typeof HealingActionTemplate>;

const verificationFits: CelRule<{ enabled: boolean; stabilityPeriod: string; timeout: string }> = {
  rule:
    '!self.enabled || !has(self.stabilityPeriod) || !has(self.timeout) || ' +
    `!${celIsDuration('self.stabilityPeriod')} || !${celIsDuration('self.timeout')} || ` +
    'duration(self.stabilityPeriod) < duration(self.timeout)',
  check: (v) =>
    v.enabled && parseDurationOr(v.stabilityPeriod, 0) >= parseDurationOr(v.timeout, Infinity)
      ? `must be shorter than verification.timeout (${v.timeout}), or the action can never succeed`
      : undefined,
  message: 'must be shorter than verification.timeout, or the action can never succeed',
  messageExpression:
    "'must be shorter than verification.timeout (' + self.timeout + '), or the action can never succeed'",
  fieldPath: '.stabilityPeriod',
};

export const Verification = withRules(
  z.object({
    enabled: z.boolean().default(true).describe('Check that the target recovered after acting.'),
    delay: Duration.default('30s').describe('Wait this long after acting before the first check.'),
    timeout: Duration.default('5m').describe('Give up and mark the action Failed after this long.'),
    interval: PositiveDuration.default('10s').describe('Time between checks; longer than 0s.'),
    stabilityPeriod: Duration.default('0s').describe(
      'How long the target must stay healed, every check in a row, before the action counts as ' +
        "Succeeded (like a Deployment's minReadySeconds); a relapse restarts the clock. Must be " +
        'shorter than timeout. 0s: the first healthy check suffices.',
    ),
    requireReady: z.boolean().default(true).describe('The target, or its replacement, must be Ready.'),
    requireTriggerCleared: z.boolean().default(true).describe('The trigger must no longer hold.'),
    rollbackOnFailure: z.boolean().default(true).describe('Revert a patch that did not heal.'),
  }),
  [verificationFits],
);
export type Verification = z.infer<typeof Verification>;

export const ProtectedResource = z.object({
  apiVersion: z.string().optional().describe('API version; empty matches any.'),
  kind: z.string().optional().describe('Kind; empty matches any.'),
  namespaces: z.array(z.string()).optional().describe('Namespaces; empty matches any.'),
  names: z.array(z.string()).optional().describe('Exact names; empty matches any.'),
  labelSelector: LabelSelector.optional().describe('Labels; empty matches any.'),
});
export type ProtectedResource = z.infer<typeof ProtectedResource>;

export const SafetyRules = z.object({
  maxActionsPerHour: z
    .number()
    .int()
    .min(0)
    .default(5)
    .describe('Sliding one-hour budget of started actions, failures included. 0 disables acting.'),
  maxConcurrentActions: z.number().int().min(1).default(3).describe('Open actions at once for this policy.'),
  protectedResources: z.array(ProtectedResource).max(32).optional().describe('Objects never to act on.'),
  protectedNamespaces: z
    .array(z.string())
    .default(['kube-system', 'kube-public', 'kube-node-lease'])
    .describe('Namespaces never to act in.'),
  minReadyReplicas: IntOrPercent.default(1).describe(
    'Ready replicas the owning workload must keep during a disruptive action (count or "50%").',
  ),
  approvalTimeout: Duration.default('1h').describe('An action waiting for approval this long is Rejected.'),
  maxConsecutiveFailures: z
    .number()
    .int()
    .min(1)
    .default(3)
    .describe('Failed actions in a row on one target before it is put on hold (policy Degraded).'),
  holdDuration: Duration.default('1h').describe('How long a target stays on hold unless cleared sooner.'),
});
export type SafetyRules = z.infer<typeof SafetyRules>;

export const AiAnalysis = z.object({
  enabled: z.boolean().default(false).describe('Ask a language model to analyse each incident.'),
  provider: z.enum(['ollama', 'openai']).default('ollama').describe('Ollama, or any OpenAI-compatible API.'),
  model: z.string().optional().describe('Model name; default from operator configuration.'),
  minConfidence: z.number().min(0).max(1).default(0.7).describe('Recommendations below this are ignored.'),
  mode: z
    .enum(['advise', 'decide'])
    .default('advise')
    .describe("advise: record the analysis only; decide: the model may pick among this policy's actions."),
  timeout: Duration.default('30s').describe('Longest wait for the model; then the rules decide alone.'),
});
export type AiAnalysis = z.infer<typeof AiAnalysis>;

export const PolicyMode = z.enum(['monitor', 'dryrun', 'automatic', 'manual']);
export type PolicyMode = z.infer<typeof PolicyMode>;

/** Names in a list are unique; zod names the index of the second one, CEL the list. */
function uniqueNames(what: 'trigger' | 'action'): CelRule<{ name: string }[]> {
  const dup = '!self.exists_one(u, u.name == t.name)';
  return {
    rule: 'self.all(t, self.exists_one(u, u.name == t.name))',
    check: (items) => {
      const i = items.findIndex((x, j) => items.findIndex((y) => y.name === x.name) !== j);
      return i < 0 ? undefined : { message: `duplicate ${what} name "${items[i]!.name}"`, path: [i, 'name'] };
    },
    message: `${what} names must be unique`,
    messageExpression: `'duplicate ${what} name "' + self.filter(t, ${dup})[0].name + '"'`,
  };
}

const unknownTrigger = '!self.triggers.exists(t, t.name == n)';
/** actions[].triggers name triggers of this policy. */
const knownTriggers: CelRule<{
  triggers: { name: string }[];
  actions: { triggers?: string[] | undefined }[];
}> = {
  rule: `self.actions.all(a, !has(a.triggers) || a.triggers.all(n, !(${unknownTrigger})))`,
  check: (spec) => {
    const names = new Set(spec.triggers.map((t) => t.name));
    for (const [i, a] of spec.actions.entries()) {
      const unknown = a.triggers?.find((n) => !names.has(n));
      if (unknown !== undefined)
        return { message: `unknown trigger "${unknown}"`, path: ['actions', i, 'triggers'] };
    }
    return undefined;
  },
  message: 'actions[].triggers must name triggers in spec.triggers',
  messageExpression:
    `'unknown trigger "' + self.actions.filter(a, has(a.triggers) && a.triggers.exists(n, ${unknownTrigger}))[0]` +
    `.triggers.filter(n, ${unknownTrigger})[0] + '"'`,
  fieldPath: '.actions',
};

export const HealingPolicySpec = withRules(
  z.object({
    selector: ResourceSelector.describe('Which objects the policy watches and may heal.'),
    triggers: withRules(z.array(HealingTrigger).min(1).max(MAX_TRIGGERS), [uniqueNames('trigger')]).describe(
      'Conditions that call for healing, per target.',
    ),
    actions: withRules(z.array(HealingActionTemplate).min(1).max(MAX_ACTIONS), [
      uniqueNames('action'),
    ]).describe('What to do when a trigger fires.'),
    verification: Verification.default(Verification.parse({})).describe('How to prove an action healed.'),
    safetyRules: SafetyRules.default(SafetyRules.parse({})).describe('Limits that keep healing safe.'),
    mode: PolicyMode.default('monitor').describe(
      'monitor: evaluate and report only; dryrun: record what would change; automatic: act; manual: ' +
        'every action waits for approval.',
    ),
    evaluationInterval: PositiveDuration.default('30s').describe(
      'How often the policy collects and evaluates; longer than 0s.',
    ),
    aiAnalysis: AiAnalysis.optional().describe('Optional language-model analysis of incidents.'),
  }),
  [knownTriggers],
);
export type HealingPolicySpec = z.infer<typeof HealingPolicySpec>;
export type HealingPolicySpecInput = z.input<typeof HealingPolicySpec>;

export const HealingPolicyStatus = z.object({
  observedGeneration: z.number().int().optional().describe('The generation the status reflects.'),
  conditions: z.array(Condition).optional().describe('Ready, Paused and Degraded.'),
  lastEvaluated: z.string().optional().describe('When the policy was last evaluated (RFC 3339).'),
  activeTriggers: z.array(z.string()).optional().describe('Triggers that held in the last evaluation.'),
  actionsTaken: z.number().int().optional().describe('HealingActions started by this policy.'),
  lastActionTime: z.string().optional().describe('When the last HealingAction started (RFC 3339).'),
  workflowId: z.string().optional().describe('The Temporal workflow that runs this policy.'),
  mode: z.string().optional().describe('The mode in effect (a setMode signal can override the spec).'),
});
export type HealingPolicyStatus = z.infer<typeof HealingPolicyStatus>;

export const HealingPolicy = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('HealingPolicy'),
  metadata: ObjectMeta,
  spec: HealingPolicySpec,
  status: HealingPolicyStatus.optional(),
});
export type HealingPolicy = z.infer<typeof HealingPolicy>;
