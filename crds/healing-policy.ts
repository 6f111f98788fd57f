// HealingPolicy: "if this, then that" for Kubernetes. Field names follow the Go KubeSkippy
// (selector / triggers[].metricTrigger / actions[].restartAction ...) so its policies keep
// applying; every new field is optional with a safe default. Rules between fields (a metric
// trigger needs metricTrigger, names are unique, minReplicas <= maxReplicas, ...) sit next to
// their schema as `withRules` (./cel.ts): CEL in the CRD, the same check in zod. What CEL cannot
// judge (regexes compile, patch documents parse) is checked by `parseHealingPolicySpec` in
// ./validate.ts, which the controller runs before starting a workflow. Triggers and actions have
// files of their own (./policy-triggers.ts, ./policy-actions.ts), re-exported from here.
import { z } from 'zod';
import { withRules, type CelRule } from './cel.js';
import {
  API_VERSION,
  Condition,
  Duration,
  IntOrPercent,
  IntervalDuration,
  LabelSelector,
  MAX_ACTIONS,
  MAX_TRIGGERS,
  ObjectMeta,
  PositiveDuration,
  celIsDuration,
  isCelSafeDuration,
} from './common.js';
import { parseDurationOr } from '../domain/duration.js';
import { HealingActionTemplate } from './policy-actions.js';
import { HealingTrigger } from './policy-triggers.js';
import { Notifications } from './policy-notifications.js';
import { AllowedWindows, MaintenanceWindows } from './policy-windows.js';
import { IneffectiveHolds, IneffectiveRemediation } from './policy-ineffective.js';
import { MaxUnavailable } from './policy-blast-radius.js';
import { CHANGE_GATE_FIELDS } from './policy-change-gate.js';
import { GitOpsRules } from './policy-gitops.js';

export * from './policy-triggers.js';
export * from './policy-actions.js';
export * from './job-action.js';
export * from './policy-notifications.js';
export * from './policy-windows.js';
export * from './policy-ineffective.js';
export * from './policy-blast-radius.js';
export * from './policy-gitops.js';

/** Longest name or name pattern (a DNS subdomain is at most 253 characters). */
const MAX_NAME_PATTERN = 253;

export const ResourceFilter = z.object({
  apiVersion: z
    .string()
    .optional()
    .describe('API version of the kind, e.g. "v1" or "apps/v1". Empty matches any version.'),
  kind: z.string().min(1).describe('Kind of resource, e.g. Pod, Deployment, StatefulSet.'),
  excludeNames: z
    .array(z.string().max(MAX_NAME_PATTERN))
    .max(64)
    .optional()
    .describe('Names of objects never to select; `*` matches any run of characters (canary-*).'),
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

export const Verification = withRules(
  z.object({
    enabled: z.boolean().default(true).describe('Check that the target recovered after acting.'),
    delay: Duration.default('30s').describe('Wait this long after acting before the first check.'),
    timeout: Duration.optional().describe(
      'Give up and mark the action Failed after this long. Default 5m, or safetyRules.healthCheckTimeout.',
    ),
    interval: PositiveDuration.default('10s').describe('Time between checks; longer than 0s.'),
    stabilityPeriod: Duration.default('0s').describe(
      'How long the target must stay healed, every check in a row, before the action counts as ' +
        "Succeeded (like a Deployment's minReadySeconds); a relapse restarts the clock. Must be " +
        'shorter than timeout. 0s: the first healthy check suffices.',
    ),
    requireReady: z
      .boolean()
      .optional()
      .describe(
        'The target, or its replacement, must be Ready. Default true, or safetyRules.requireHealthCheck.',
      ),
    requireTriggerCleared: z.boolean().default(true).describe('The trigger must no longer hold.'),
    rollbackOnFailure: z.boolean().default(true).describe('Revert a patch that did not heal.'),
  }),
  [],
);
export type Verification = z.infer<typeof Verification>;

export const ProtectedResource = z.object({
  apiVersion: z.string().optional().describe('API version; empty matches any.'),
  kind: z.string().optional().describe('Kind; empty matches any.'),
  namespaces: z.array(z.string()).optional().describe('Namespaces; empty matches any.'),
  names: z
    .array(z.string().max(MAX_NAME_PATTERN))
    .max(64)
    .optional()
    .describe('Names; `*` matches any run of characters (web-*); empty matches any.'),
  excludeNames: z
    .array(z.string().max(MAX_NAME_PATTERN))
    .max(64)
    .optional()
    .describe(
      "The Go KubeSkippy's name for `names`: objects excluded from healing, i.e. protected. " +
        'Same matching as names; both lists count.',
    ),
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
  requireHealthCheck: z
    .boolean()
    .optional()
    .describe(
      "The Go KubeSkippy's name for verification.requireReady (which it never read): false lets an " +
        'action succeed without the target being Ready. Set one of the two, not both.',
    ),
  healthCheckTimeout: Duration.optional().describe(
    "The Go KubeSkippy's name for verification.timeout (which it never read). Set one of the two, not both.",
  ),
  maintenanceWindows: MaintenanceWindows.optional(),
  allowedWindows: AllowedWindows.optional(),
  ineffectiveRemediation: IneffectiveRemediation.optional(),
  maxUnavailable: MaxUnavailable.optional(),
  ...CHANGE_GATE_FIELDS,
  gitops: GitOpsRules.optional().describe(
    'What an action does to a target Argo CD or Flux manages (a scale or patch it would revert). ' +
      'Absent: mode approve.',
  ),
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
  return {
    rule: 'self.all(t, self.exists_one(u, u.name == t.name))',
    check: (items) => {
      const i = items.findIndex((x, j) => items.findIndex((y) => y.name === x.name) !== j);
      return i < 0 ? undefined : { message: `duplicate ${what} name "${items[i]!.name}"`, path: [i, 'name'] };
    },
    message: `${what} names must be unique`,
    // Names are mapped out before indexing: the API server estimates the cost of indexing a
    // filtered list of objects as unbounded and would refuse the CRD.
    messageExpression: `'duplicate ${what} name "' + self.map(t, t.name).filter(n, size(self.filter(u, u.name == n)) > 1)[0] + '"'`,
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
  messageExpression: `'unknown trigger "' + self.actions.map(a, has(a.triggers) ? a.triggers : []).flatten().filter(n, ${unknownTrigger})[0] + '"'`,
  fieldPath: '.actions',
};

/** The verification timeout in effect: verification.timeout, the original's healthCheckTimeout, or 5m. */
export const DEFAULT_VERIFICATION_TIMEOUT = '5m';
const CEL_TIMEOUT =
  '(has(self.verification.timeout) ? self.verification.timeout : ' +
  'has(self.safetyRules.healthCheckTimeout) ? self.safetyRules.healthCheckTimeout : ' +
  `'${DEFAULT_VERIFICATION_TIMEOUT}')`;

interface TimeoutParts {
  verification: { enabled: boolean; stabilityPeriod: string; timeout?: string | undefined };
  safetyRules: { healthCheckTimeout?: string | undefined };
}
const effectiveTimeout = (spec: TimeoutParts): string =>
  spec.verification.timeout ?? spec.safetyRules.healthCheckTimeout ?? DEFAULT_VERIFICATION_TIMEOUT;

/** stabilityPeriod < the timeout in effect, or the action can never succeed. */
const verificationFits: CelRule<TimeoutParts> = {
  rule:
    '!self.verification.enabled || !has(self.verification.stabilityPeriod) || ' +
    `!${celIsDuration('self.verification.stabilityPeriod')} || !${celIsDuration(CEL_TIMEOUT)} || ` +
    `duration(self.verification.stabilityPeriod) < duration(${CEL_TIMEOUT})`,
  check: (spec) => {
    const timeout = effectiveTimeout(spec);
    // Like the CEL rule, judges only durations CEL can convert (see isCelSafeDuration).
    return spec.verification.enabled &&
      isCelSafeDuration(spec.verification.stabilityPeriod) &&
      isCelSafeDuration(timeout) &&
      parseDurationOr(spec.verification.stabilityPeriod, 0) >= parseDurationOr(timeout, Infinity)
      ? `must be shorter than the verification timeout (${timeout}), or the action can never succeed`
      : undefined;
  },
  message: 'must be shorter than the verification timeout, or the action can never succeed',
  messageExpression: `'must be shorter than the verification timeout (' + ${CEL_TIMEOUT} + '), or the action can never succeed'`,
  fieldPath: '.verification.stabilityPeriod',
};

/** The Go KubeSkippy's safetyRules names and ours for one setting: one of the two, not both. */
function notBoth(
  legacy: 'requireHealthCheck' | 'healthCheckTimeout',
  ours: 'requireReady' | 'timeout',
): CelRule<{
  verification: Partial<Record<'requireReady' | 'timeout', unknown>>;
  safetyRules: Partial<Record<'requireHealthCheck' | 'healthCheckTimeout', unknown>>;
}> {
  const message = `set verification.${ours} or safetyRules.${legacy} (its Go KubeSkippy name), not both`;
  return {
    rule: `!has(self.safetyRules.${legacy}) || !has(self.verification.${ours})`,
    check: (spec) =>
      spec.safetyRules[legacy] !== undefined && spec.verification[ours] !== undefined ? message : undefined,
    message,
    fieldPath: `.safetyRules.${legacy}`,
  };
}

/** requireHealthCheck: true promises a health check, which a disabled verification never makes. */
const healthCheckNeedsVerification: CelRule<{
  verification: { enabled: boolean };
  safetyRules: { requireHealthCheck?: boolean | undefined };
}> = {
  rule: '!has(self.safetyRules.requireHealthCheck) || !self.safetyRules.requireHealthCheck || self.verification.enabled',
  check: (spec) =>
    spec.safetyRules.requireHealthCheck === true && !spec.verification.enabled
      ? 'requires verification.enabled: a health check is the verification'
      : undefined,
  message: 'requires verification.enabled: a health check is the verification',
  fieldPath: '.safetyRules.requireHealthCheck',
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
    evaluationInterval: IntervalDuration.default('30s').describe(
      'How often the policy collects and evaluates; at least 1s.',
    ),
    aiAnalysis: AiAnalysis.optional().describe('Optional language-model analysis of incidents.'),
    notifications: Notifications.optional().describe(
      "Messages about each incident (one HealingAction) to Slack or a JSON webhook; absent: the operator's default, if any.",
    ),
  }),
  [
    knownTriggers,
    verificationFits,
    notBoth('requireHealthCheck', 'requireReady'),
    notBoth('healthCheckTimeout', 'timeout'),
    healthCheckNeedsVerification,
  ],
);
export type HealingPolicySpec = z.infer<typeof HealingPolicySpec>;
export type HealingPolicySpecInput = z.input<typeof HealingPolicySpec>;

export const HealingPolicyStatus = z.object({
  observedGeneration: z.number().int().optional().describe('The generation the status reflects.'),
  conditions: z
    .array(Condition)
    .optional()
    .describe(
      'Ready, Paused, Degraded, Warnings, and Window when the policy has maintenance or allowed windows.',
    ),
  lastEvaluated: z.string().optional().describe('When the policy was last evaluated (RFC 3339).'),
  activeTriggers: z.array(z.string()).optional().describe('Triggers that held in the last evaluation.'),
  actionsTaken: z.number().int().optional().describe('HealingActions started by this policy.'),
  lastActionTime: z.string().optional().describe('When the last HealingAction started (RFC 3339).'),
  workflowId: z.string().optional().describe('The Temporal workflow that runs this policy.'),
  mode: z.string().optional().describe('The mode in effect (a setMode signal can override the spec).'),
  ineffectiveRemediations: IneffectiveHolds.optional(),
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
