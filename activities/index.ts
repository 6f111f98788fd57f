// The activity factory: built once in operator/worker.ts with its dependencies; workflows see only
// `Activities`, as a type. Activities are the only place KubeSkippy does I/O.
import { Context, log } from '@temporalio/activity';
import type { ResourceChange } from '../crds/healing-action.js';
import type { ClusterSnapshot } from '../domain/snapshot.js';
import {
  analyzeIncident,
  type AiDeps,
  type AnalyzeIncidentInput,
  type AnalyzeIncidentResult,
} from './ai/analyze.js';
import type { SnapshotRequest } from '../domain/targets.js';
import {
  executeAction,
  revertPatch,
  type ExecuteActionInput,
  type ExecuteActionResult,
  type ObjectRef,
} from './executors/index.js';
import type { Kube } from './kube/clients.js';
import {
  emitEvent,
  ensureActionRecord,
  labelActionRecord,
  patchActionStatus,
  type EmitEventInput,
  type EnsureActionRecordInput,
} from './records.js';
import type { WatchCache } from './cache/watch-cache.js';
import { collectSnapshot } from './snapshot/collect.js';
import type { HealingActionStatus } from '../crds/healing-action.js';

export interface ActivityDeps {
  kube: Kube;
  /** Base URL of the Temporal Web UI, for links on HealingActions. */
  temporalUiUrl: string;
  temporalNamespace: string;
  prometheusUrl?: string;
  /** Model endpoints and credentials for AI analysis (operator configuration only). */
  ai?: AiDeps;
  /** The worker's shared watch cache (operator/operator.ts); absent = direct lists every time. */
  cache?: WatchCache;
  /** Told about every policy snapshot request, so the worker knows whom to wake (operator/wake.ts). */
  onPolicyRequest?: (workflowId: string, req: SnapshotRequest) => void;
  /** URL prefixes webhook actions may POST to (KUBESKIPPY_WEBHOOK_ALLOW); absent or empty: none. */
  webhookAllow?: string[];
}

export function workflowUrl(
  deps: Pick<ActivityDeps, 'temporalUiUrl' | 'temporalNamespace'>,
  workflowId: string,
  runId?: string,
): string {
  const base = deps.temporalUiUrl.replace(/\/$/, '');
  const ns = encodeURIComponent(deps.temporalNamespace);
  return `${base}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${encodeURIComponent(runId)}` : ''}`;
}

// The return type is inferred on purpose: `Activities = ReturnType<typeof createActivities>` is the one
// type workflows see, so it cannot drift from the implementation.
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types
export function createActivities(deps: ActivityDeps) {
  const { kube } = deps;
  return {
    async collectSnapshot(req: SnapshotRequest): Promise<ClusterSnapshot> {
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      if (req.wakeOn && workflowId) deps.onPolicyRequest?.(workflowId, req);
      return collectSnapshot(kube, req, {
        ...(deps.prometheusUrl ? { prometheusUrl: deps.prometheusUrl } : {}),
        ...(deps.cache ? { cache: deps.cache } : {}),
      });
    },

    /** Creates (or finds) the HealingAction and writes its first status, with the workflow link. */
    async recordAction(input: EnsureActionRecordInput): Promise<{ uid: string; created: boolean }> {
      const { workflowId = '', runId = '' } = Context.current().info.workflowExecution ?? {};
      const status: HealingActionStatus = {
        ...input.status,
        workflowId,
        runId,
        workflowUrl: workflowUrl(deps, workflowId, runId),
      };
      return ensureActionRecord(kube, { ...input, status });
    },

    async updateActionStatus(input: {
      name: string;
      namespace: string;
      status: HealingActionStatus;
      labels?: Record<string, string>;
    }): Promise<void> {
      await patchActionStatus(kube, input);
      if (input.labels)
        await labelActionRecord(kube, { name: input.name, namespace: input.namespace, labels: input.labels });
    },

    async emitEvents(events: EmitEventInput[]): Promise<void> {
      for (const e of events) await emitEvent(kube, e);
    },

    async executeAction(input: ExecuteActionInput): Promise<ExecuteActionResult> {
      // The activity logger adds the workflow id and activity attempt to every line.
      const target = `${input.target.kind}/${input.target.namespace}/${input.target.name}`;
      log.info('executing healing action', {
        action: input.actionId,
        type: input.action.type,
        target,
        dryRun: input.dryRun,
      });
      const result = await executeAction(
        kube,
        { ...input, attempt: Context.current().info.attempt },
        { webhook: { allow: deps.webhookAllow ?? [] } },
      );
      log.info('healing action executed', {
        action: input.actionId,
        target,
        outcome: result.outcome,
        message: result.message,
      });
      return result;
    },

    /** Asks the configured model about one incident; typed non-retryable failures otherwise. */
    async analyzeIncident(input: AnalyzeIncidentInput): Promise<AnalyzeIncidentResult> {
      return analyzeIncident(deps.ai ?? {}, input);
    },

    async revertPatch(input: { target: ObjectRef; inversePatch: string }): Promise<ResourceChange[]> {
      return revertPatch(kube, input.target, input.inversePatch, Context.current().info.attempt);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
