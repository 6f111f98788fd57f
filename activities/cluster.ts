// The activities that reach the cluster workflow (workflows/cluster-workflow.ts) from a policy or an
// action: a workflow cannot send an update to another workflow, nor query it, so these do it
// through the worker's Temporal client. No cluster workflow (no KubeSkippyConfig was ever applied)
// means no kill switch and no cluster budget: every action may start.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AdmitRequest, AdmitVerdict, ClusterView } from '../domain/cluster-budget.js';
import { clusterWorkflowId } from '../domain/ids.js';
import { admitActionsUpdate, clusterStatusQuery } from '../workflows/messages.js';

export interface ClusterDeps {
  /** The worker's Temporal client; absent: there is no cluster workflow to ask (all admitted). */
  temporal?: Client;
}

function handle(client: Client) {
  return client.workflow.getHandle(clusterWorkflowId(Context.current().info.taskQueue));
}

const notFound = (err: unknown): boolean =>
  err instanceof WorkflowNotFoundError || (err as Error)?.name === 'WorkflowNotFoundError';

// Inferred return type, as for createActivities (activities/index.ts).
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types
export function clusterActivities(deps: ClusterDeps) {
  return {
    /** Asks the cluster workflow whether these actions may start; one verdict per workflow id. */
    async admitActions(requests: AdmitRequest[]): Promise<Record<string, AdmitVerdict>> {
      const all = (): Record<string, AdmitVerdict> =>
        Object.fromEntries(requests.map((r) => [r.workflowId, { ok: true } as const]));
      if (!deps.temporal || requests.length === 0) return all();
      // The update id names the requests: a retried attempt is the same update, answered once.
      const updateId = createHash('sha256')
        .update(requests.map((r) => r.workflowId).join('\n'))
        .digest('hex');
      try {
        return await handle(deps.temporal).executeUpdate(admitActionsUpdate, { args: [requests], updateId });
      } catch (err) {
        if (notFound(err)) return all();
        throw err;
      }
    },

    /** The kill switch at an action's safe step: the reason when the cluster is suspended. */
    async clusterSuspension(): Promise<{ reason?: string } | undefined> {
      if (!deps.temporal) return undefined;
      let view: ClusterView;
      try {
        view = await handle(deps.temporal).query(clusterStatusQuery);
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
      if (!view.settings.suspended) return undefined;
      return view.settings.reason ? { reason: view.settings.reason } : {};
    },
  };
}
