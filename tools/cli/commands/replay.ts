// `kubeskippy replay --workflow-id ID [--run-id R] | --history FILE|DIR`: would today's code have
// made the same decisions? Exit 0 same, 3 different (a determinism difference), 1 when replay
// could not run, 2 for bad input.
import type { Command } from 'commander';
import type { LoadedHistory } from '../../replay/load.js';
import { CliError } from '../errors.js';
import { outputFormat } from '../format.js';
import { temporalClient, withTemporalFlags, type TemporalFlags } from '../temporal-flags.js';

interface ReplayFlags extends TemporalFlags {
  workflowId?: string;
  runId?: string;
  history?: string;
}

export const EXIT_DIFFERENT = 3;

async function load(flags: ReplayFlags): Promise<LoadedHistory> {
  const { fetchHistory, loadHistoryFile } = await import('../../replay/load.js');
  if (flags.history) {
    try {
      return await loadHistoryFile(flags.history);
    } catch (err) {
      throw new CliError(`--history ${flags.history}: ${(err as Error).message}`);
    }
  }
  const client = await temporalClient(flags);
  try {
    return await fetchHistory(client, flags.workflowId!, flags.runId);
  } catch (err) {
    throw new CliError(
      `--workflow-id ${flags.workflowId}${flags.runId ? ` --run-id ${flags.runId}` : ''}: ` +
        `cannot fetch its history: ${(err as Error).message}`,
      1,
    );
  } finally {
    await client.connection.close();
  }
}

export function registerReplayCommand(program: Command): void {
  withTemporalFlags(
    program
      .command('replay')
      .description("Replay one recorded workflow against today's code: would it make the same decisions?"),
  )
    .option('--workflow-id <id>', 'fetch the history of this workflow from Temporal')
    .option('--run-id <id>', 'a specific run (default: the latest)')
    .option('--history <file|dir>', 'a history JSON file, or a directory from `kubeskippy incident export`')
    .action(async (flags: ReplayFlags) => {
      const format = outputFormat(flags);
      if (!flags.workflowId === !flags.history)
        throw new CliError('give exactly one of --workflow-id (from the server) or --history FILE');
      if (flags.runId && !flags.workflowId) throw new CliError('--run-id needs --workflow-id');
      // Loaded on use: the worker (native core, bundler) takes seconds to load.
      const [{ DefaultLogger, makeTelemetryFilterString, Runtime }, { bundleWorkflows, replayHistory }] =
        await Promise.all([import('@temporalio/worker'), import('../../replay/replay.js')]);
      // The core logs the difference as a WARN of its own; the verdict below says it in words.
      Runtime.install({
        logger: new DefaultLogger('ERROR'),
        telemetryOptions: {
          logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR' }) },
        },
      });
      const loaded = await load(flags);
      process.stderr.write(`replaying ${loaded.source} against the installed workflow code…\n`);
      const verdict = await replayHistory({ ...loaded, bundle: await bundleWorkflows() });
      if (format === 'json') process.stdout.write(JSON.stringify(verdict, null, 2) + '\n');
      else {
        process.stdout.write(verdict.summary + '\n');
        if (verdict.detail && !verdict.same) process.stdout.write(`\nTemporal said: ${verdict.detail}\n`);
      }
      process.exitCode = verdict.same ? 0 : verdict.broken ? 1 : EXIT_DIFFERENT;
    });
}
