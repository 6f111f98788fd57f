// The job action's block: a bounded batch/v1 Job template. The operator creates the Job in the
// policy's namespace, owned by the HealingAction, so whoever may write a HealingPolicy there may
// run these pods there. It must never run them with more than that: fields that widen what a pod
// may do on its node or in the cluster are declared here only to be refused by name, at
// `kubectl apply` (CEL) and by the controller (zod) alike, even under --validate=warn (which
// would otherwise drop an unknown field in silence and run the pod anyway).
import { z } from 'zod';
import { celIsDuration, isCelSafeDuration, PositiveDuration } from './common.js';
import { withRules, type CelRule } from './cel.js';
import { parseDurationOr } from '../domain/duration.js';

/** Longest wait for a Job: a healing action is not a batch scheduler. */
export const MAX_JOB_TIMEOUT = '6h';

const DnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lowercase letters, digits, "-")');

/** Any JSON object, kept as written (the API server prunes nothing inside it). */
const PRESERVE = { 'x-kubernetes-preserve-unknown-fields': true };
const anyObject = () => z.object({}).catchall(z.any()).meta(PRESERVE);

const FORBIDDEN_WHY =
  'a job action may never widen what its pod may do (no privilege escalation through the operator)';

/** One CEL rule per refused field: present → refused, naming it. */
function refused<T extends Record<string, unknown>>(fields: readonly string[]): CelRule<T>[] {
  return fields.map((f) => ({
    rule: `!has(self.${f})`,
    check: (v: T) => (v[f] !== undefined ? `must not be set: ${FORBIDDEN_WHY}` : undefined),
    message: `must not be set: ${FORBIDDEN_WHY}`,
    fieldPath: `.${f}`,
    reason: 'FieldValueForbidden',
  }));
}

/** Pod-level fields refused in a job template (each declared below with its Kubernetes type). */
export const JOB_REFUSED_POD_FIELDS = [
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'hostUsers',
  'nodeName',
  'serviceAccountName',
  'serviceAccount',
  'securityContext',
] as const;
/** Container-level: securityContext is where privileged, capabilities and allowPrivilegeEscalation live. */
export const JOB_REFUSED_CONTAINER_FIELDS = ['securityContext'] as const;

const JobContainer = withRules(
  z.object({
    name: DnsLabel.describe('Container name (DNS-1123 label).'),
    image: z.string().min(1).max(512).describe('Image to run, e.g. busybox:1.36.'),
    command: z.array(z.string().max(4096)).max(32).optional().describe('Entrypoint (exec form).'),
    args: z.array(z.string().max(4096)).max(64).optional().describe('Arguments to the entrypoint.'),
    env: z
      .array(
        z.object({
          name: z.string().min(1).max(128).describe('Variable name.'),
          value: z.string().max(4096).describe('Its value (literal; nothing is evaluated).'),
        }),
      )
      .max(32)
      .optional()
      .describe(
        'Environment. KUBESKIPPY_TARGET_KIND, KUBESKIPPY_TARGET_NAME, KUBESKIPPY_TARGET_NAMESPACE, ' +
          'KUBESKIPPY_POLICY, KUBESKIPPY_TRIGGER and KUBESKIPPY_ACTION_ID are added to every container.',
      ),
    volumeMounts: z
      .array(
        z.object({
          name: DnsLabel.describe('A volume of template.spec.volumes.'),
          mountPath: z.string().min(1).max(1024).describe('Where it is mounted.'),
          readOnly: z.boolean().optional().describe('Mount read-only.'),
          subPath: z.string().max(1024).optional().describe('A path inside the volume.'),
        }),
      )
      .max(16)
      .optional()
      .describe('Volumes to mount.'),
    securityContext: anyObject().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
  }),
  refused(JOB_REFUSED_CONTAINER_FIELDS),
);

const JobVolume = withRules(
  z
    .object({
      name: DnsLabel.describe('Volume name.'),
      hostPath: anyObject().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    })
    .catchall(z.any())
    .meta(PRESERVE)
    .describe(
      'A pod volume (persistentVolumeClaim, configMap, secret, emptyDir, ...), passed to the API server as written; hostPath is refused.',
    ),
  refused(['hostPath']),
);

const JobPodSpec = withRules(
  z.object({
    containers: z.array(JobContainer).min(1).max(4).describe('The containers of the Job pod.'),
    restartPolicy: z
      .enum(['Never', 'OnFailure'])
      .default('Never')
      .describe('As in a Job: Never (a failed pod counts against backoffLimit) or OnFailure.'),
    volumes: z.array(JobVolume).max(8).optional().describe('Pod volumes; hostPath is refused.'),
    hostNetwork: z.boolean().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    hostPID: z.boolean().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    hostIPC: z.boolean().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    hostUsers: z.boolean().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    nodeName: z.string().max(253).optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    serviceAccountName: z
      .string()
      .max(253)
      .optional()
      .describe(`Refused: ${FORBIDDEN_WHY}. The pod runs as the namespace's default service account.`),
    serviceAccount: z.string().max(253).optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
    securityContext: anyObject().optional().describe(`Refused: ${FORBIDDEN_WHY}.`),
  }),
  refused(JOB_REFUSED_POD_FIELDS),
);

/** A string map of at most 16 entries, bounded for the API server and zod alike. */
const smallMap = (valueMax: number) =>
  z
    .record(z.string().max(317), z.string().max(valueMax))
    .refine((m) => Object.keys(m).length <= 16, 'must have at most 16 entries')
    .meta({ maxProperties: 16 });

export const JobTemplate = z.object({
  metadata: z
    .object({
      labels: smallMap(63).optional().describe('Extra labels of the Job pod.'),
      annotations: smallMap(4096)
        .optional()
        .describe('Annotations of the Job pod, e.g. sidecar.istio.io/inject: "false".'),
    })
    .optional()
    .describe('Labels and annotations of the Job pod.'),
  spec: JobPodSpec.describe('The Job pod: containers, restartPolicy, volumes.'),
});

const timeoutBounded: CelRule<{ timeout: string }> = {
  rule: `!${celIsDuration('self.timeout')} || duration(self.timeout) <= duration('${MAX_JOB_TIMEOUT}')`,
  check: (j) =>
    isCelSafeDuration(j.timeout) && parseDurationOr(j.timeout, 0) > parseDurationOr(MAX_JOB_TIMEOUT, 0)
      ? `must be at most ${MAX_JOB_TIMEOUT}`
      : undefined,
  message: `must be at most ${MAX_JOB_TIMEOUT}`,
  fieldPath: '.timeout',
};

export const JobAction = withRules(
  z.object({
    template: JobTemplate.describe(
      "The Job's pod template (a bounded batch/v1 PodTemplateSpec). The Job runs in the policy's namespace, owned by the HealingAction.",
    ),
    timeout: PositiveDuration.default('10m').describe(
      `How long the action waits for the Job to finish (at most ${MAX_JOB_TIMEOUT}); still running then: the action fails.`,
    ),
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(21600)
      .optional()
      .describe(
        "The Job's own deadline (batch/v1); default: the timeout, so the Job does not outlive the wait.",
      ),
    backoffLimit: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(0)
      .describe('Retries of a failed pod before the Job fails (batch/v1; default 0 here: run once).'),
    ttlSecondsAfterFinished: z
      .number()
      .int()
      .min(60)
      .max(604800)
      .optional()
      .describe(
        'Delete the finished Job (and its pods, their logs) this long after it ends; at least 60 s, so the outcome is read first.',
      ),
  }),
  [timeoutBounded],
);
export type JobAction = z.infer<typeof JobAction>;
