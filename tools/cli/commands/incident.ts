// `kubeskippy incident export --workflow-id ID --out DIR [--kubeconfig PATH]`: an incident as
// files, to attach to a bug report and replay elsewhere (tools/replay/incident.ts).
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { temporalClient, withTemporalFlags, type TemporalFlags } from '../temporal-flags.js';

interface ExportFlags extends TemporalFlags {
  workflowId?: string;
  runId?: string;
  out?: string;
  kubeconfig?: string;
}

export function registerIncidentCommands(program: Command): void {
  const incident = program.command('incident').description('Package incidents for bug reports');
  withTemporalFlags(
    incident
      .command('export')
      .description(
        'Write a workflow history, its HealingPolicy/HealingActions and related Events into a directory',
      ),
  )
    .option(
      '--workflow-id <id>',
      'the policy or healing-action workflow (kubeskippy/<cluster>/policy/... or kubeskippy/<cluster>/action/...)',
    )
    .option('--run-id <id>', 'a specific run (default: the latest)')
    .option('--out <dir>', 'directory to write (created if missing)')
    .option('--kubeconfig <path>', 'also export the objects and Events from this cluster')
    .action(async (flags: ExportFlags) => {
      if (!flags.workflowId) throw new CliError('--workflow-id is required');
      if (!flags.out) throw new CliError('--out DIR is required');
      // Loaded on use: client-node takes seconds to load, which other commands should not pay.
      const [{ createKube, loadKubeConfig }, { exportIncident }] = await Promise.all([
        import('../../../activities/kube/clients.js'),
        import('../../replay/incident.js'),
      ]);
      let kube;
      if (flags.kubeconfig) {
        try {
          kube = createKube(loadKubeConfig(flags.kubeconfig));
        } catch (err) {
          throw new CliError(`--kubeconfig ${flags.kubeconfig}: ${(err as Error).message}`);
        }
      }
      const client = await temporalClient(flags);
      try {
        const result = await exportIncident({
          client,
          workflowId: flags.workflowId,
          ...(flags.runId ? { runId: flags.runId } : {}),
          out: flags.out,
          ...(kube ? { kube } : {}),
        }).catch((err: Error) => {
          throw new CliError(`--workflow-id ${flags.workflowId}: ${err.message}`, 1);
        });
        process.stdout.write(
          `exported ${result.manifest.workflowType} ${flags.workflowId} to ${flags.out}: ${result.files.join(', ')}\n` +
            (result.missing.length ? `not found: ${result.missing.join('; ')}\n` : '') +
            `replay it with: kubeskippy replay --history ${flags.out}\n`,
        );
      } finally {
        await client.connection.close();
      }
    });
}
