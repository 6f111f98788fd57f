// HealingPolicy: "if this, then that" for Kubernetes. Field names follow the original KubeSkippy
// (selector / triggers[].metricTrigger / actions[].restartAction ...) so its policies keep
// applying; every new field is optional with a safe default. Rules the CRD schema cannot express
// (a metric trigger needs metricTrigger, names are unique, regexes compile, ...) are checked by
// `validatePolicySpec` in ./validate.ts, which the controller runs before starting a workflow.
import { z } from 'zod';
import { API_VERSION, Condition, Duration, IntOrPercent, LabelSelector, ObjectMeta } from './common.js';

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

export const MetricTrigger = z.object({
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
  window: Duration.default('5m').describe('The look-back window of restart_count ("restarts in 5 minutes").'),
});
export type MetricTrigger = z.infer<typeof MetricTrigger>;

export const EventTrigger = z.object({
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
  window: Duration.default('5m').describe('Look-back window for counting events.'),
});
export type EventTrigger = z.infer<typeof EventTrigger>;

export const ConditionTrigger = z.object({
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
});
export type ConditionTrigger = z.infer<typeof ConditionTrigger>;

export const HealingTrigger = z.object({
  name: z.string().min(1).describe('Name of the trigger, unique in the policy.'),
  type: z.enum(['metric', 'event', 'condition']).describe('Which of the trigger blocks below applies.'),
  metricTrigger: MetricTrigger.optional().describe('Settings of a metric trigger.'),
  eventTrigger: EventTrigger.optional().describe('Settings of an event trigger.'),
  conditionTrigger: ConditionTrigger.optional().describe('Settings of a condition trigger.'),
  cooldownPeriod: Duration.default('5m').describe(
    'After an action for this trigger on a target, how long the same trigger ignores that target.',
  ),
});
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

export const ScaleAction = z.object({
  direction: z.enum(['up', 'down', 'absolute']).describe('Add replicas, remove replicas, or set a count.'),
  replicas: z.number().int().min(0).describe('Replicas to add or remove, or the absolute count.'),
  minReplicas: z.number().int().min(0).default(1).describe('Never scale below this.'),
  maxReplicas: z.number().int().min(1).default(10).describe('Never scale above this.'),
});
export type ScaleAction = z.infer<typeof ScaleAction>;

export const LegacyPatchOperation = z.object({
  path: z.array(z.string()).describe('Map keys from the object root to the field to set.'),
  value: z.string().describe('New value, as JSON (else used as a string).'),
});

export const PatchAction = z.object({
  type: z.enum(['strategic', 'merge', 'json']).default('strategic').describe('Patch semantics.'),
  patch: z
    .string()
    .optional()
    .describe('The patch document (JSON or YAML); for type json, a JSON Patch array of operations.'),
  patches: z
    .array(LegacyPatchOperation)
    .optional()
    .describe('Original KubeSkippy form: fields to set, applied as a merge patch.'),
  allowedPaths: z
    .array(z.string())
    .optional()
    .describe(
      'JSON-pointer prefixes the patch may touch, e.g. /spec/template/spec/containers. Default: ' +
        '/spec/template (the pod template of the owning workload).',
    ),
  target: z
    .enum(['owner', 'self'])
    .default('owner')
    .describe("owner: patch the pod's Deployment/StatefulSet; self: patch the target object itself."),
});
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

export const HealingActionTemplate = z.object({
  name: z.string().min(1).describe('Name of the action, unique in the policy.'),
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
    .array(z.string())
    .optional()
    .describe('Names of the triggers this action answers. Empty: every trigger.'),
});
export type HealingActionTemplate = z.infer<typeof HealingActionTemplate>;

export const Verification = z.object({
  enabled: z.boolean().default(true).describe('Check that the target recovered after acting.'),
  delay: Duration.default('30s').describe('Wait this long after acting before the first check.'),
  timeout: Duration.default('5m').describe('Give up and mark the action Failed after this long.'),
  interval: Duration.default('10s').describe('Time between checks.'),
  stabilityPeriod: Duration.default('0s').describe(
    'How long the target must stay healed, every check in a row, before the action counts as ' +
      "Succeeded (like a Deployment's minReadySeconds); a relapse restarts the clock. Must be " +
      'shorter than timeout. 0s: the first healthy check suffices.',
  ),
  requireReady: z.boolean().default(true).describe('The target, or its replacement, must be Ready.'),
  requireTriggerCleared: z.boolean().default(true).describe('The trigger must no longer hold.'),
  rollbackOnFailure: z.boolean().default(true).describe('Revert a patch that did not heal.'),
});
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
  protectedResources: z.array(ProtectedResource).optional().describe('Objects never to act on.'),
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

export const HealingPolicySpec = z.object({
  selector: ResourceSelector.describe('Which objects the policy watches and may heal.'),
  triggers: z.array(HealingTrigger).min(1).describe('Conditions that call for healing, per target.'),
  actions: z.array(HealingActionTemplate).min(1).describe('What to do when a trigger fires.'),
  verification: Verification.default(Verification.parse({})).describe('How to prove an action healed.'),
  safetyRules: SafetyRules.default(SafetyRules.parse({})).describe('Limits that keep healing safe.'),
  mode: PolicyMode.default('monitor').describe(
    'monitor: evaluate and report only; dryrun: record what would change; automatic: act; manual: ' +
      'every action waits for approval.',
  ),
  evaluationInterval: Duration.default('30s').describe('How often the policy collects and evaluates.'),
  aiAnalysis: AiAnalysis.optional().describe('Optional language-model analysis of incidents.'),
});
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
