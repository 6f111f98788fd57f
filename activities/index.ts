// The activity factory: built once in operator/worker.ts with its dependencies; workflows see only
// `Activities`, as a type. Activities are the only place KubeSkippy does I/O.
import { Context, log } from '@temporalio/activity';
import type { ResourceChange } from '../crds/healing-action.js';
import type { JobView } from '../domain/job.js';
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
  readJob,
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
import { collectChanges } from './snapshot/changes.js';
import type { ChangeRequest } from '../domain/change-gate.js';
import type { ChangeSnapshot } from '../domain/snapshot.js';
import {
  readSync,
  requestSync,
  resumeSync,
  suspendSync,
  type OwnerRef,
  type SuspendResult,
  type SyncState,
} from './kube/gitops-sync.js';
import { clusterActivities, type ClusterDeps } from './cluster.js';
import type { HealingActionStatus } from '../crds/healing-action.js';
import type { IncidentNotice, NotificationChannel } from '../domain/notifications.js';
import {
  notificationChannels,
  postNotification,
  routeFor,
  type NotifyRoute,
  type SecretRef,
} from './notify.js';

export interface ActivityDeps extends ClusterDeps {
  kube: Kube;
  /** Base URL of the Temporal Web UI, for links on HealingActions. */
  temporalUiUrl: string;
  temporalNamespace: string;
  prometheusUrl?: string;
  /** Alertmanager whose silences gate actions (KUBESKIPPY_ALERTMANAGER_URL); absent: none read. */
  alertmanagerUrl?: string;
  /** Model endpoints and credentials for AI analysis (operator configuration only). */
  ai?: AiDeps;
  /** The worker's shared watch cache (operator/operator.ts); absent = direct lists every time. */
  cache?: WatchCache;
  /** Told about every policy snapshot request, so the worker knows whom to wake (operator/wake.ts). */
  onPolicyRequest?: (workflowId: string, req: SnapshotRequest) => void;
  /** URL prefixes webhook actions may POST to (KUBESKIPPY_WEBHOOK_ALLOW); absent or empty: none. */
  webhookAllow?: string[];
  /** The operator-wide notification Secret (KUBESKIPPY_NOTIFICATIONS_SECRET), for policies naming none. */
  notificationsSecret?: SecretRef;
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
    ...notifyActivities(deps),
    ...gitopsActivities(kube),
    ...clusterActivities(deps),
    async collectSnapshot(req: SnapshotRequest): Promise<ClusterSnapshot> {
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      if (req.wakeOn && workflowId) deps.onPolicyRequest?.(workflowId, req);
      return collectSnapshot(kube, req, {
        ...(deps.prometheusUrl ? { prometheusUrl: deps.prometheusUrl } : {}),
        ...(deps.cache ? { cache: deps.cache } : {}),
      });
    },

    /** What is changing around an action's target: its workload's rollout, node versions, silences. */
    async collectChanges(req: ChangeRequest): Promise<ChangeSnapshot> {
      return collectChanges(kube, req, deps.alertmanagerUrl ? { alertmanagerUrl: deps.alertmanagerUrl } : {});
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

    /** A job action's Job and its pods, read while the workflow waits for it to finish. */
    async readJob(ref: { namespace: string; name: string }): Promise<JobView> {
      return readJob(kube, ref);
    },

    async revertPatch(input: { target: ObjectRef; inversePatch: string }): Promise<ResourceChange[]> {
      return revertPatch(kube, input.target, input.inversePatch, Context.current().info.attempt);
    },
  };
}

/** The GitOps sync activities (activities/kube/gitops-sync.ts); inferred return type, as above. */
function gitopsActivities(kube: Kube) {
  return {
    /** safetyRules.gitops suspendSync: the Flux object's spec.suspend or the Application's auto-sync. */
    async suspendGitOpsSync(input: { owner: OwnerRef; actionId: string }): Promise<SuspendResult> {
      return suspendSync(kube, input);
    },

    /** Restores what suspendGitOpsSync suspended for this action (a no-op once restored). */
    async resumeGitOpsSync(input: {
      owner: OwnerRef;
      actionId: string;
    }): Promise<{ resumed: boolean; message: string }> {
      return resumeSync(kube, input);
    },

    /** Asks the owner to reconcile now, then whether it did and reports in sync. */
    async requestGitOpsSync(input: { owner: OwnerRef; token: string }): Promise<void> {
      return requestSync(kube, input);
    },

    async readGitOpsSync(input: { owner: OwnerRef; token: string }): Promise<SyncState> {
      return readSync(kube, input);
    },
  };
}

/** The notification activities (activities/notify.ts): the Secret's channels, one post. Inferred
 * return type, for the same reason as createActivities'. */
function notifyActivities(deps: ActivityDeps) {
  const notifyDeps = { kube: deps.kube, allow: deps.webhookAllow ?? [] };
  const defaults = deps.notificationsSecret ? { defaultSecret: deps.notificationsSecret } : {};
  return {
    /** Where an incident's messages go and which channels its Secret has; none when nothing is set. */
    async resolveNotifications(input: {
      secret?: SecretRef;
    }): Promise<{ route?: NotifyRoute; channels: NotificationChannel[] }> {
      const route = routeFor(defaults, input.secret);
      if (!route) return { channels: [] };
      return { route, channels: await notificationChannels(notifyDeps, route) };
    },

    /** One message about an incident to one channel (Slack or the JSON webhook). */
    async postNotification(input: {
      route: NotifyRoute;
      channel: NotificationChannel;
      notice: IncidentNotice;
    }): Promise<{ status: number }> {
      const notice = { ...input.notice, workflowUrl: workflowUrl(deps, input.notice.incidentId) };
      return postNotification(notifyDeps, { ...input, notice });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
