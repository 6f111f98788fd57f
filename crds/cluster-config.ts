// KubeSkippyConfig: the one cluster-scoped object that speaks for the whole cluster. A singleton
// named `cluster` (the CRD's root CEL rule refuses any other name at `kubectl apply`; the sim has
// no CEL, so the controller also sets Ready=False on another name and ignores it).
//
//   spec.suspended: true ──▶ every policy refuses every new action (reason Suspended), a running
//                            action stops at its next safe step (Skipped, Suspended), and the
//                            ValidatingAdmissionPolicy in deploy/admission denies the operator's
//                            writes to pods and workloads, even if the operator ignored the flag.
//   spec.clusterBudget    ──▶ bounds all policies together (reason ClusterBudget).
import { z } from 'zod';
import { API_VERSION } from './api-group.js';
import { Condition, ObjectMeta } from './common.js';

/** The one name the operator reads. */
export const CLUSTER_CONFIG_NAME = 'cluster';
export const CLUSTER_CONFIG_PLURAL = 'kubeskippyconfigs';

const PositiveInt = (what: string): z.ZodOptional<z.ZodNumber> =>
  z.number().int().min(1).max(100_000).optional().describe(what);

export const ClusterBudget = z.object({
  maxActionsPerHour: PositiveInt(
    'Actions all policies together may start in any sliding hour (attempts count, failures included).',
  ),
  maxConcurrentActions: PositiveInt('Actions of all policies that may be running at the same time.'),
  maxPerNamespace: PositiveInt(
    'Actions that may be running at the same time in one namespace (the namespace of the target).',
  ),
});
export type ClusterBudget = z.infer<typeof ClusterBudget>;

export const KubeSkippyConfigSpec = z.object({
  suspended: z
    .boolean()
    .default(false)
    .describe(
      'The kill switch. True: no policy starts a new action (refusal reason Suspended), running actions ' +
        'stop before they change anything (Skipped, Suspended), and the admission policy in ' +
        'deploy/admission denies the operator writes to pods and workloads. False or absent: normal.',
    ),
  reason: z
    .string()
    .max(256)
    .optional()
    .describe('Why the cluster is suspended, in words; shown in refusals, Events and kubectl get.'),
  clusterBudget: ClusterBudget.optional().describe(
    'Limits for all policies together, on top of each policy’s own (refusal reason ClusterBudget).',
  ),
});
export type KubeSkippyConfigSpec = z.infer<typeof KubeSkippyConfigSpec>;
export type KubeSkippyConfigSpecInput = z.input<typeof KubeSkippyConfigSpec>;

export const ClusterBudgetUsage = z.object({
  actionsInLastHour: z.number().int().optional().describe('Actions started in the last hour.'),
  runningActions: z.number().int().optional().describe('Actions running now.'),
  busiestNamespace: z.string().optional().describe('The namespace with the most running actions.'),
  busiestNamespaceActions: z.number().int().optional().describe('Running actions in the busiest namespace.'),
});

export const KubeSkippyConfigStatus = z.object({
  observedGeneration: z.number().int().optional().describe('The generation the status reflects.'),
  conditions: z
    .array(Condition)
    .optional()
    .describe('Ready (the operator read this spec) and Suspended (the kill switch is on).'),
  budget: ClusterBudgetUsage.optional().describe('What the cluster budget has used.'),
  refusals: z
    .record(z.string(), z.number().int())
    .optional()
    .describe('Actions refused by the cluster, by reason (Suspended, ClusterBudget).'),
  workflowId: z.string().optional().describe('The Temporal workflow that owns the cluster state.'),
});
export type KubeSkippyConfigStatus = z.infer<typeof KubeSkippyConfigStatus>;

export const KubeSkippyConfig = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('KubeSkippyConfig'),
  metadata: ObjectMeta,
  spec: KubeSkippyConfigSpec,
  status: KubeSkippyConfigStatus.optional(),
});
export type KubeSkippyConfig = z.infer<typeof KubeSkippyConfig>;

/** The message for any name but `cluster`, the same in CEL and in the controller. */
export const CLUSTER_NAME_MESSAGE = `the KubeSkippyConfig must be named "${CLUSTER_CONFIG_NAME}" (the operator reads only that one)`;

/**
 * The CRD root rule: the root schema's CEL may read metadata.name (no fieldPath: the schema does
 * not declare metadata's fields, so the API server could not resolve one).
 */
export const CLUSTER_NAME_RULE = {
  rule: `self.metadata.name == '${CLUSTER_CONFIG_NAME}'`,
  message: CLUSTER_NAME_MESSAGE,
};

export type ParsedClusterConfig = { ok: true; value: KubeSkippyConfigSpec } | { ok: false; message: string };

/** Parses at the edge (the controller): a bad spec or name is a message naming the field. */
export function parseClusterConfig(name: string | undefined, spec: unknown): ParsedClusterConfig {
  if (name !== CLUSTER_CONFIG_NAME) return { ok: false, message: `metadata.name: ${CLUSTER_NAME_MESSAGE}` };
  const parsed = KubeSkippyConfigSpec.safeParse(spec ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  const message = parsed.error.issues
    .map(
      (i) =>
        `spec${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`,
    )
    .join('; ');
  return { ok: false, message };
}
