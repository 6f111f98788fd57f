// `kubeskippy action list|approve|reject`: healing actions through Temporal. An action is named
// like the HealingAction CR (<namespace>/<name>) or by its workflow id; approve and reject send the
// same approveAction update as the annotation relay, so the history records who decided.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { ActionPhase, HealingActionStatus } from '../../../crds/healing-action.js';
import { KubeSkippyNamespace, KubeSkippyPhase } from '../../../workflows/search-attributes.js';
import {
  actionStatusQuery,
  approveActionUpdate,
  HEALING_ACTION_WORKFLOW,
  type ActionStatusView,
} from '../../../workflows/messages.js';
import { CliError } from '../errors.js';
import { age, outputFormat, parseRef, table } from '../format.js';
import { parseActionWorkflowId } from '../../../domain/ids.js';
import { withClient, withTemporalFlags, type TemporalFlags } from '../temporal-flags.js';

/** How long a listing waits for one action's status query before it falls back to visibility. */
const QUERY_DEADLINE_MS = 5000;

async function listActions(
  client: Client,
  filter: { cluster: string; namespace?: string; phase?: string; running?: boolean },
): Promise<(ActionStatusView & { startMs: number })[]> {
  // Only this cluster's: a fleet shares the Temporal namespace (README, Fleet).
  const clauses = [`WorkflowType="${HEALING_ACTION_WORKFLOW}"`, `KubeSkippyCluster="${filter.cluster}"`];
  if (filter.namespace) clauses.push(`KubeSkippyNamespace="${filter.namespace}"`);
  if (filter.phase) clauses.push(`KubeSkippyPhase="${filter.phase}"`);
  if (filter.running) clauses.push('ExecutionStatus="Running"');
  const found: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) found.push(wf);
  // All at once, each bounded: with no worker running, a query waits for one until its deadline.
  const views = await Promise.all(
    found.map(async (wf) => {
      const view = await client
        .withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
          client.workflow.getHandle(wf.workflowId).query(actionStatusQuery),
        )
        .catch((err: Error) => visibilityView(wf, err));
      return view ? [{ ...view, startMs: wf.startTime.getTime() }] : [];
    }),
  );
  return views.flat().sort((a, b) => b.startMs - a.startMs);
}

/**
 * What visibility alone says of an action whose status query failed (a closed action's query needs
 * a worker to replay it, and a busy or absent worker times out): the name from the memo, the phase
 * from its search attribute. Not every action carries the memo; those are left out, as before.
 */
function visibilityView(wf: WorkflowExecutionInfo, err: Error): ActionStatusView | undefined {
  const name = wf.memo?.['healingActionName'];
  const namespace = wf.typedSearchAttributes.get(KubeSkippyNamespace);
  if (typeof name !== 'string' || !namespace) return undefined;
  const phase = wf.typedSearchAttributes.get(KubeSkippyPhase) as ActionPhase | undefined;
  return {
    workflowId: wf.workflowId,
    healingActionName: name,
    namespace,
    status: {
      ...(phase ? { phase } : {}),
      message: `status query failed (${err.message}); phase from visibility`,
    },
  };
}

/** The blast radius in a column: ready pods taken out, and each selecting Service's ready endpoints. */
function blastColumn(b: HealingActionStatus['blastRadius']): string {
  if (!b) return '-';
  const services = (b.services ?? []).map((s) => `svc/${s.name} ${s.readyBefore}→${s.readyAfter}`);
  return [`${b.podsRemoved} pod${b.podsRemoved === 1 ? '' : 's'}`, ...services].join(', ');
}

/** The workflow id of an action named `ns/name` (or given as a workflow id). */
async function resolveAction(client: Client, cluster: string, ref: string): Promise<string> {
  if (parseActionWorkflowId(ref)) return ref;
  const { namespace, name } = parseRef(ref, 'action');
  const match = (await listActions(client, { cluster, namespace, running: true })).find(
    (a) => a.healingActionName === name,
  );
  if (!match)
    throw new CliError(
      `no running healing action ${ref}; \`kubeskippy action list -n ${namespace}\` shows them`,
      1,
    );
  return match.workflowId;
}

async function decide(
  ref: string,
  decision: 'approve' | 'reject',
  flags: TemporalFlags & { comment?: string; by?: string },
): Promise<void> {
  await withClient(flags, async (client, config) => {
    const workflowId = await resolveAction(client, config.clusterName, ref);
    const by = flags.by ?? userInfo().username;
    try {
      const result = await client.workflow.getHandle(workflowId).executeUpdate(approveActionUpdate, {
        args: [{ decision, by, ...(flags.comment ? { comment: flags.comment } : {}) }],
      });
      process.stdout.write(
        `${decision === 'approve' ? 'approved' : 'rejected'} ${ref} as ${result.approval.by}\n`,
      );
    } catch (err) {
      // The client library is loaded by now (it made the call): importing it here costs nothing.
      const { WorkflowUpdateFailedError } = await import('@temporalio/client');
      if (err instanceof WorkflowUpdateFailedError)
        throw new CliError(`refused: ${err.cause?.message ?? err.message}`, 1);
      throw err;
    }
  });
}

export function registerActionCommands(program: Command): void {
  const action = program.command('action').description('List, approve and reject healing actions');

  withTemporalFlags(action.command('list').description('List healing actions, newest first'))
    .option('-n, --namespace <ns>', 'only this Kubernetes namespace')
    .option('--phase <phase>', 'only this phase, e.g. AwaitingApproval')
    .action((flags: TemporalFlags & { namespace?: string; phase?: string }) =>
      withClient(flags, async (client, config) => {
        const format = outputFormat(flags);
        const actions = await listActions(client, { ...flags, cluster: config.clusterName });
        if (format === 'json') return void process.stdout.write(JSON.stringify(actions, null, 2) + '\n');
        const rows = actions.map((a) => [
          a.namespace,
          a.healingActionName,
          a.status.phase ?? '-',
          a.status.reason ?? '-',
          blastColumn(a.status.blastRadius),
          age(a.startMs),
        ]);
        process.stdout.write(table(['NAMESPACE', 'NAME', 'PHASE', 'REASON', 'TAKES OUT', 'AGE'], rows));
      }),
    );

  for (const decision of ['approve', 'reject'] as const) {
    withTemporalFlags(
      action
        .command(`${decision} <namespace/name|workflow-id>`)
        .description(
          `${decision === 'approve' ? 'Approve' : 'Reject'} an action waiting in AwaitingApproval`,
        ),
    )
      .option('--comment <text>', 'why (recorded with the decision)')
      .option('--by <name>', 'who decides (default: your user name)')
      .action((ref: string, flags: TemporalFlags & { comment?: string; by?: string }) =>
        decide(ref, decision, flags),
      );
  }
}
