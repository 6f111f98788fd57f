// The triggers of a HealingPolicy: metric, event, condition and alert, each in its own block.
import { z } from 'zod';
import { BUILTIN_QUERIES } from './builtin-metrics.js';
import { celString, withRules, type CelRule } from './cel.js';
import { Duration, ItemName, PositiveDuration } from './common.js';

/** `for` and its alias `duration` (CEL escapes the reserved word `for` as `__for__`). */
const BUILTIN_THRESHOLD_MESSAGE =
  'always or never holds: built-in measurements are never below 0 (use a threshold above 0, or > 0)';

const forAliasRule: CelRule<{ for?: string | undefined; duration?: string | undefined }> = {
  rule: '!has(self.__for__) || !has(self.duration) || self.__for__ == self.duration',
  check: (t) =>
    t.for && t.duration && t.for !== t.duration ? 'conflicts with `for`; set only one' : undefined,
  message: 'conflicts with `for`; set only one',
  fieldPath: '.duration',
};

export const MetricOperator = z.enum(['>', '>=', '<', '<=', '==', '!=']);
export type MetricOperator = z.infer<typeof MetricOperator>;

/**
 * A built-in measurement is never below 0, so a negative threshold, `>= 0` and `< 0` make a
 * trigger that always or never holds: `memory_usage_percent > -5` restarted healthy pods.
 */
const builtinThresholdRule: CelRule<{ query: string; operator: MetricOperator; threshold: number }> = {
  rule:
    `!(self.query in [${BUILTIN_QUERIES.map(celString).join(', ')}]) || self.threshold > 0.0 || ` +
    "(self.threshold == 0.0 && self.operator != '>=' && self.operator != '<')",
  check: (t) =>
    !(BUILTIN_QUERIES as readonly string[]).includes(t.query) ||
    t.threshold > 0 ||
    (t.threshold === 0 && t.operator !== '>=' && t.operator !== '<')
      ? undefined
      : BUILTIN_THRESHOLD_MESSAGE,
  message: BUILTIN_THRESHOLD_MESSAGE,
  fieldPath: '.threshold',
};

export const MetricTrigger = withRules(
  z.object({
    query: z
      .string()
      .min(1)
      .max(4096)
      .describe(
        'What to measure per target: memory_usage_percent, cpu_usage_percent (usage over the container ' +
          'limit, else request), memory_usage_bytes, cpu_usage_millicores, restart_count (restarts within ' +
          '`window`), or a PromQL expression (needs a configured Prometheus).',
      ),
    operator: MetricOperator.default('>').describe('Comparison of the value with the threshold.'),
    threshold: z
      .number()
      .describe(
        'The value the measurement is compared with. The built-in measurements are never below 0, so ' +
          'for them a negative threshold, `>= 0` and `< 0` are refused: they would always or never hold.',
      ),
    for: Duration.optional().describe(
      'How long the comparison must hold continuously before the trigger fires ("3m"). Empty: at once.',
    ),
    duration: Duration.optional().describe('Alias of `for`, the name the Go KubeSkippy operator used.'),
    window: PositiveDuration.default('5m').describe(
      'The look-back window of restart_count ("restarts in 5 minutes"); longer than 0s.',
    ),
  }),
  [forAliasRule, builtinThresholdRule],
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
    duration: Duration.optional().describe('Alias of `for`, the name the Go KubeSkippy operator used.'),
  }),
  [forAliasRule],
);
export type ConditionTrigger = z.infer<typeof ConditionTrigger>;

/** A Prometheus label name (the Alertmanager webhook's label keys). */
const LabelName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)');

export const AlertTrigger = z.object({
  alertname: z
    .string()
    .min(1)
    .max(253)
    .describe('The alert to act on (its alertname label), as sent by Alertmanager to the operator.'),
  labels: z
    // Keys are checked by normalizePolicy (a warning): a map key pattern has no OpenAPI form the
    // API server would enforce, and zod must not refuse what the server accepts.
    .record(z.string(), z.string().max(1024))
    .optional()
    .describe('Further labels the alert must carry with exactly these values, e.g. {severity: critical}.'),
  podLabel: LabelName.default('pod').describe(
    "The alert's label that names the pod (the target); the pod must also match the policy's selector.",
  ),
  namespaceLabel: LabelName.default('namespace').describe(
    "The alert's label that names the pod's namespace.",
  ),
  maxAge: PositiveDuration.default('1h').describe(
    'A newly seen alert that started firing longer ago than this is stale and is recorded, not acted on.',
  ),
});
export type AlertTrigger = z.infer<typeof AlertTrigger>;

const TRIGGER_TYPES = ['metric', 'event', 'condition', 'alert'] as const;
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
    name: ItemName('trigger'),
    type: z.enum(TRIGGER_TYPES).describe('Which of the trigger blocks below applies.'),
    metricTrigger: MetricTrigger.optional().describe('Settings of a metric trigger.'),
    eventTrigger: EventTrigger.optional().describe('Settings of an event trigger.'),
    conditionTrigger: ConditionTrigger.optional().describe('Settings of a condition trigger.'),
    alertTrigger: AlertTrigger.optional().describe(
      'Settings of an alert trigger: fires while Alertmanager reports the alert firing for a selected pod.',
    ),
    cooldownPeriod: Duration.default('5m').describe(
      'After an action for this trigger on a target, how long the same trigger ignores that target.',
    ),
  }),
  triggerBlockRules,
);
export type HealingTrigger = z.infer<typeof HealingTrigger>;
