// `kubeskippy policy list|status|pause|resume|mode`: the same effect as the temporal CLI signals
// and queries, with names people know (<namespace>/<name>) instead of workflow ids.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { policyWorkflowId } from '../../../domain/ids.js';
import { successRatesLine } from '../../../domain/learning.js';
import {
  pauseSignal,
  POLICY_WORKFLOW,
  policyStatusQuery,
  resumeSignal,
  setModeSignal,
  type PolicyStatusView,
} from '../../../workflows/messages.js';
import { isPolicyMode, POLICY_MODES } from '../../../domain/state.js';
import { CliError } from '../errors.js';
import { age, outputFormat, parseRef, table } from '../format.js';
import { withClient, withTemporalFlags, type TemporalFlags } from '../temporal-flags.js';

async function policyHandle(
  client: Client,
  cluster: string,
  ref: string,
): Promise<ReturnType<Client['workflow']['getHandle']>> {
  const { namespace, name } = parseRef(ref, 'policy');
  const handle = client.workflow.getHandle(policyWorkflowId(cluster, namespace, name));
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING')
      throw new CliError(`policy ${ref} is not running (its workflow is ${status.name})`, 1);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `no policy workflow for ${ref} in cluster "${cluster}": is the HealingPolicy applied and the operator running (is --cluster-name its cluster)?`,
      1,
    );
  }
  return handle;
}

function printStatus(v: PolicyStatusView): string {
  const lines = [
    `Policy:          ${v.policy.namespace}/${v.policy.name} (generation ${v.policy.generation ?? '-'})`,
    `Mode:            ${v.mode}${v.mode !== v.specMode ? ` (overridden; spec says ${v.specMode})` : ''}`,
    `Paused:          ${v.paused}`,
    ...(v.window ? [`Window:          ${v.window.state}: ${v.window.message}`] : []),
    `Last evaluated:  ${v.lastEvaluatedMs ? new Date(v.lastEvaluatedMs).toISOString() : '-'}`,
    `Active triggers: ${v.activeTriggers.join(', ') || '-'}`,
    `Actions:         ${v.counters.actionsStarted} started, ${v.actionsInLastHour} in the last hour; outcomes ${JSON.stringify(v.counters.outcomes)}`,
    `Refusals:        ${JSON.stringify(v.counters.refusals)}`,
    `Success rates:   ${successRatesLine(v.learning)}`,
  ];
  if (v.openActions.length) {
    lines.push('Open actions:');
    for (const o of v.openActions)
      lines.push(`  ${o.action} on ${o.targetKey} (${o.trigger}), ${age(o.startedMs)} ago — ${o.workflowId}`);
  }
  if (v.held.length) {
    lines.push('On hold:');
    for (const h of v.held) lines.push(`  ${h.subjectKey} until ${new Date(h.holdUntilMs).toISOString()}`);
  }
  if (v.ineffective?.length) {
    lines.push('Ineffective fixes on hold:');
    for (const h of v.ineffective) {
      const until = new Date(h.untilMs).toISOString();
      lines.push(`  ${h.action} on ${h.subjectKey} (${h.trigger}) until ${until}, then ${h.then}`);
      for (const e of h.evidence) {
        const relapse =
          e.relapsedMs !== undefined ? `, relapsed ${new Date(e.relapsedMs).toISOString()}` : '';
        lines.push(`    ${e.healingAction} ${e.outcome} ${new Date(e.endedMs).toISOString()}${relapse}`);
      }
    }
  }
  if (v.lastRefusals.length) {
    lines.push('Last refusals:');
    for (const r of v.lastRefusals.slice(0, 10))
      lines.push(`  ${r.reason} ${r.targetKey} (${r.trigger}): ${r.message}`);
  }
  if (v.snapshotErrors.length) lines.push(`Snapshot errors: ${v.snapshotErrors.join('; ')}`);
  return lines.join('\n') + '\n';
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('Inspect and steer HealingPolicy workflows');

  withTemporalFlags(policy.command('list').description('List running policies'))
    .option('-n, --namespace <ns>', 'only this Kubernetes namespace')
    .action((flags: TemporalFlags & { namespace?: string }) =>
      withClient(flags, async (client, config) => {
        const format = outputFormat(flags);
        const query = `WorkflowType="${POLICY_WORKFLOW}" AND ExecutionStatus="Running" AND KubeSkippyCluster="${config.clusterName}"${flags.namespace ? ` AND KubeSkippyNamespace="${flags.namespace}"` : ''}`;
        const views: PolicyStatusView[] = [];
        for await (const wf of client.workflow.list({ query })) {
          views.push(await client.workflow.getHandle(wf.workflowId).query(policyStatusQuery));
        }
        if (format === 'json') return void process.stdout.write(JSON.stringify(views, null, 2) + '\n');
        const rows = views.map((v) => [
          v.policy.namespace,
          v.policy.name,
          v.mode,
          String(v.paused),
          v.activeTriggers.join(',') || '-',
          String(v.actionsInLastHour),
          String(v.openActions.length),
          String(v.held.length),
          age(v.lastEvaluatedMs),
        ]);
        process.stdout.write(
          table(
            ['NAMESPACE', 'NAME', 'MODE', 'PAUSED', 'ACTIVE', 'ACTIONS/1H', 'OPEN', 'HELD', 'EVALUATED'],
            rows,
          ),
        );
      }),
    );

  withTemporalFlags(
    policy.command('status <namespace/name>').description('Show what a policy workflow knows'),
  ).action((ref: string, flags: TemporalFlags) =>
    withClient(flags, async (client, config) => {
      const format = outputFormat(flags);
      const view = await (await policyHandle(client, config.clusterName, ref)).query(policyStatusQuery);
      process.stdout.write(format === 'json' ? JSON.stringify(view, null, 2) + '\n' : printStatus(view));
    }),
  );

  withTemporalFlags(
    policy.command('pause <namespace/name>').description('Stop starting new actions (open ones finish)'),
  )
    .option('--reason <text>', 'why (recorded in the workflow history)')
    .action((ref: string, flags: TemporalFlags & { reason?: string }) =>
      withClient(flags, async (client, config) => {
        await (
          await policyHandle(client, config.clusterName, ref)
        ).signal(pauseSignal, { by: userInfo().username, ...(flags.reason ? { reason: flags.reason } : {}) });
        process.stdout.write(`policy ${ref} paused\n`);
      }),
    );

  withTemporalFlags(
    policy.command('resume <namespace/name>').description('Start acting again (drops a mode override)'),
  ).action((ref: string, flags: TemporalFlags) =>
    withClient(flags, async (client, config) => {
      await (await policyHandle(client, config.clusterName, ref)).signal(resumeSignal);
      process.stdout.write(`policy ${ref} resumed\n`);
    }),
  );

  withTemporalFlags(
    policy
      .command('mode <namespace/name> <mode>')
      .description(`Override the mode (${POLICY_MODES.join('|')}) until the CR changes or resume`),
  ).action((ref: string, mode: string, flags: TemporalFlags) => {
    if (!isPolicyMode(mode))
      throw new CliError(`mode must be one of ${POLICY_MODES.join(', ')}, got "${mode}"`);
    return withClient(flags, async (client, config) => {
      await (await policyHandle(client, config.clusterName, ref)).signal(setModeSignal, mode);
      process.stdout.write(`policy ${ref} mode set to ${mode}\n`);
    });
  });
}
