// HealingAction status.blastRadius: what the action takes out of service, computed from a fresh
// read of the cluster at its safety check (domain/blast-radius.ts), before anything is done. It is
// shown while the action waits for approval and sent with its notifications, so whoever decides
// sees the cost; safetyRules.maxUnavailable refuses an action whose cost is too high.
import { z } from 'zod';

export const BlastRadiusWorkload = z.object({
  kind: z.string().describe('Kind of the workload the affected pods belong to, e.g. Deployment.'),
  name: z.string().describe('Its name.'),
  desiredReplicas: z.number().int().describe('spec.replicas now.'),
  readyBefore: z.number().int().describe('Ready replicas now (status.readyReplicas).'),
  readyAfter: z
    .number()
    .int()
    .describe('Ready replicas right after the action, before replacements become ready.'),
});

export const BlastRadiusPdb = z.object({
  name: z.string().describe('A PodDisruptionBudget that covers the affected pods.'),
  disruptionsAllowed: z.number().int().describe('Its status.disruptionsAllowed now.'),
});

export const BlastRadiusService = z.object({
  name: z.string().describe('A Service whose selector selects the affected pods.'),
  endpoints: z.number().int().describe('Its endpoints in its EndpointSlices, ready or not.'),
  readyBefore: z.number().int().describe('Its ready endpoints now.'),
  readyAfter: z.number().int().describe('Its ready endpoints right after the action.'),
});

export const BlastRadiusHpa = z.object({
  name: z.string().describe('The HorizontalPodAutoscaler that scales the workload.'),
  minReplicas: z.number().int().describe('Its spec.minReplicas.'),
  maxReplicas: z.number().int().describe('Its spec.maxReplicas.'),
  revertsScale: z
    .boolean()
    .describe('True for a scale action: the HPA owns spec.replicas and would set it back.'),
});

export const BlastRadiusRecord = z.object({
  observedAt: z.string().describe('When the cluster was read for these figures (RFC 3339).'),
  summary: z
    .string()
    .describe('The figures in one line, as the approval request and notifications show them.'),
  podsRemoved: z
    .number()
    .int()
    .describe(
      'Ready pods the action takes out of service at once (a scale-down: at most this many; a rollout ' +
        'restart or template patch: 0, as the workload replaces its pods at its own pace).',
    ),
  workload: BlastRadiusWorkload.optional().describe('Ready replicas of the workload before and after.'),
  pdbs: z.array(BlastRadiusPdb).optional().describe('PodDisruptionBudgets covering the affected pods.'),
  services: z
    .array(BlastRadiusService)
    .optional()
    .describe('Services selecting the affected pods, with their ready endpoints before and after.'),
  hpa: BlastRadiusHpa.optional().describe('The HPA of the workload, with its bounds.'),
});
export type BlastRadiusRecord = z.infer<typeof BlastRadiusRecord>;
