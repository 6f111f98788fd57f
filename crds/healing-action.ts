// HealingAction: one remediation, created by its healing-action workflow before anything is done
// and kept current at every step, so `kubectl get healingactions` is the audit trail.
import { z } from 'zod';
import { API_VERSION, Condition, ObjectMeta } from './common.js';
import { GitOpsRecord, HealingActionTemplate, LadderChoice, PolicyMode } from './healing-policy.js';
import { BlastRadiusRecord } from './action-blast-radius.js';

export * from './action-blast-radius.js';

export const ActionPhase = z.enum([
  'Pending',
  'AwaitingApproval',
  'Executing',
  'Verifying',
  'Succeeded',
  'Failed',
  'Rejected',
  'Skipped',
  'DryRun',
]);
export type ActionPhase = z.infer<typeof ActionPhase>;

export const PolicyRef = z.object({
  name: z.string().describe('Name of the HealingPolicy.'),
  namespace: z.string().describe('Namespace of the HealingPolicy.'),
  uid: z.string().optional().describe('UID of the HealingPolicy when the action started.'),
});

export const TargetResource = z.object({
  apiVersion: z.string().describe('API version of the target, e.g. v1 or apps/v1.'),
  kind: z.string().describe('Kind of the target, e.g. Pod or Deployment.'),
  namespace: z.string().optional().describe('Namespace of the target.'),
  name: z.string().describe('Name of the target.'),
  uid: z.string().optional().describe('UID seen when the trigger fired; a different UID means a new object.'),
});
export type TargetResource = z.infer<typeof TargetResource>;

export const FiredTrigger = z.object({
  name: z.string().describe('Name of the trigger that fired.'),
  type: z.enum(['metric', 'event', 'condition', 'alert']).describe('Trigger type.'),
  observedValue: z.string().optional().describe('The value that crossed the threshold, e.g. "87.1".'),
  threshold: z.string().optional().describe('The threshold it was compared with.'),
  reason: z.string().optional().describe('Why the trigger fired, in words.'),
  firstTrueTime: z.string().optional().describe('When the condition first held (start of the `for` window).'),
  firedAt: z.string().optional().describe('When the trigger fired (RFC 3339).'),
  alert: z
    .object({
      alertname: z.string().describe('The alert that fired.'),
      fingerprint: z.string().describe("Alertmanager's fingerprint of the alert's labels."),
      startsAt: z.string().describe('When this firing episode started (RFC 3339).'),
    })
    .optional()
    .describe('For an alert trigger: the alert episode this action answers (one action per episode).'),
});
export type FiredTrigger = z.infer<typeof FiredTrigger>;

export const HealingActionSpec = z.object({
  cluster: z
    .string()
    .optional()
    .describe(
      'The cluster name (--cluster-name) of the operator that planned this action, as in its workflow id and the kubeskippy.io/cluster label.',
    ),
  policyRef: PolicyRef.describe('The policy that planned this action.'),
  targetResource: TargetResource.describe('The object acted on.'),
  trigger: FiredTrigger.optional().describe('The trigger that fired, with its observed value.'),
  action: HealingActionTemplate.describe("A copy of the policy's action template."),
  mode: PolicyMode.optional().describe('The policy mode in effect when the action was planned.'),
  dryRun: z.boolean().default(false).describe('Record what would change; change nothing.'),
  approvalRequired: z.boolean().default(false).describe('Wait for a person to approve before acting.'),
  ladder: LadderChoice.optional().describe(
    "Why this action runs rather than the trigger's usual one, or waits for a person: the usual one is on hold on this workload because it did not last.",
  ),
});
export type HealingActionSpec = z.infer<typeof HealingActionSpec>;

export const ResourceChange = z.object({
  resourceRef: z.string().describe('Kind/namespace/name of the changed object.'),
  changeType: z.enum(['create', 'update', 'delete', 'patch', 'scale', 'evict']).describe('What was done.'),
  field: z.string().optional().describe('The field changed, e.g. spec.replicas.'),
  oldValue: z.string().optional().describe('Value before.'),
  newValue: z.string().optional().describe('Value after.'),
  timestamp: z.string().optional().describe('When (RFC 3339).'),
});
export type ResourceChange = z.infer<typeof ResourceChange>;

export const ActionResult = z.object({
  success: z.boolean().describe('True only when the action ran and verification proved the target healed.'),
  message: z.string().optional().describe('What happened, in words.'),
  error: z.string().optional().describe('The error, if any.'),
  changes: z
    .array(ResourceChange)
    .optional()
    .describe('Changes made (or, in a dry run, that would be made).'),
  before: z.record(z.string(), z.string()).optional().describe('Measurements before acting.'),
  after: z.record(z.string(), z.string()).optional().describe('Measurements after verification.'),
  inversePatch: z.string().optional().describe('For patches: the patch that reverts the change.'),
});
export type ActionResult = z.infer<typeof ActionResult>;

export const ApprovalRecord = z.object({
  required: z.boolean().describe('Whether approval was needed.'),
  decision: z.enum(['approve', 'reject']).optional().describe('The decision, once made.'),
  approved: z.boolean().optional().describe('True when approved.'),
  by: z.string().optional().describe('Who decided.'),
  at: z.string().optional().describe('When (RFC 3339).'),
  comment: z.string().optional().describe('Why, in their words.'),
  expiresAt: z.string().optional().describe('When an undecided request is rejected (ApprovalExpired).'),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

export const AiAnalysisRecord = z.object({
  model: z.string().optional().describe('Model that answered.'),
  confidence: z.number().optional().describe('Its confidence, 0 to 1.'),
  rootCause: z.string().optional().describe('Root cause it gave.'),
  analysis: z.string().optional().describe('Its analysis.'),
  recommendation: z.string().optional().describe('The action it recommended, or none.'),
  rationale: z.string().optional().describe('Why it recommended that action, in its words.'),
  similarIncidents: z.array(z.string()).optional().describe('Past incidents it considered similar.'),
  followed: z.boolean().optional().describe('Whether the recommendation was followed.'),
  reason: z.string().optional().describe('Why it was or was not followed.'),
});
export type AiAnalysisRecord = z.infer<typeof AiAnalysisRecord>;

export const JobRecord = z.object({
  name: z.string().describe("The Job (in the HealingAction's namespace, owned by it)."),
  namespace: z.string().describe('Its namespace.'),
  outcome: z
    .enum(['Running', 'Complete', 'Failed', 'TimedOut', 'Gone'])
    .describe(
      "Running; Complete or Failed (the Job's condition); TimedOut: still running when jobAction.timeout " +
        'passed; Gone: deleted before it finished.',
    ),
  reason: z
    .string()
    .optional()
    .describe("The Job condition's reason, e.g. BackoffLimitExceeded, DeadlineExceeded."),
  message: z.string().optional().describe("The Job condition's message."),
  succeeded: z.number().int().optional().describe('Pods that succeeded.'),
  failed: z.number().int().optional().describe('Pods that failed.'),
  pods: z.array(z.string()).optional().describe('Its pods, for their logs.'),
  logs: z.string().optional().describe('How to read its log, e.g. kubectl logs -n ns job/name.'),
});
export type JobRecord = z.infer<typeof JobRecord>;
export const NotificationRecord = z.object({
  sent: z.number().int().describe('Messages delivered (Slack and JSON webhook counted apart).'),
  failed: z.number().int().describe('Messages that still failed after their retries.'),
  lastError: z.string().optional().describe('Why the last failed message failed.'),
});
export type NotificationRecord = z.infer<typeof NotificationRecord>;

export const HealingActionStatus = z.object({
  phase: ActionPhase.optional().describe('Where the action is in its life.'),
  reason: z
    .string()
    .optional()
    .describe('One CamelCase word for the phase, e.g. Protected, ApprovalExpired.'),
  message: z.string().optional().describe('Details, in words.'),
  startTime: z.string().optional().describe('When the workflow started (RFC 3339).'),
  executionTime: z.string().optional().describe('When the change was made.'),
  completionTime: z.string().optional().describe('When the action reached a final phase.'),
  attempts: z.number().int().optional().describe('Execution attempts.'),
  result: ActionResult.optional().describe('Outcome.'),
  approval: ApprovalRecord.optional().describe('Approval request and decision.'),
  blastRadius: BlastRadiusRecord.optional().describe(
    'What the action takes out of service, read at its safety check (again after an approval).',
  ),
  aiAnalysis: AiAnalysisRecord.optional().describe('Language-model analysis, when the policy asks for one.'),
  job: JobRecord.optional().describe('For a job action: the Job, its outcome and where its log is.'),
  gitops: GitOpsRecord.optional().describe(
    'When Argo CD or Flux syncs the target: its owner, the field to change in Git, and whether sync was suspended.',
  ),
  notifications: NotificationRecord.optional().describe(
    'What became of the messages about this incident (written once they have settled).',
  ),
  conditions: z.array(Condition).optional().describe('Standard conditions.'),
  workflowId: z.string().optional().describe('Temporal workflow id.'),
  runId: z.string().optional().describe('Temporal run id.'),
  workflowUrl: z.string().optional().describe('Link to the workflow in the Temporal Web UI.'),
  observedGeneration: z.number().int().optional().describe('The generation the status reflects.'),
});
export type HealingActionStatus = z.infer<typeof HealingActionStatus>;

export const HealingAction = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('HealingAction'),
  metadata: ObjectMeta,
  spec: HealingActionSpec,
  status: HealingActionStatus.optional(),
});
export type HealingAction = z.infer<typeof HealingAction>;
