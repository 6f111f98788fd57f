// `kubeskippy backtest --policy FILE [--policy FILE2] --timeline FILE [-o table|json]`: the pure
// policy evaluation over a recorded timeline (tools/backtest/), no server and no cluster.
import type { Command } from 'commander';
import { parseDuration } from '../../../domain/duration.js';
import { assumption, backtest, type AssumedOutcome } from '../../backtest/engine.js';
import { PolicyFileError, readPolicyFile, type PolicyFile } from '../../backtest/policy-file.js';
import { describeTimeline, formatOutput, type BacktestOutput } from '../../backtest/report.js';
import { readTimeline, TimelineError, type Timeline } from '../../backtest/timeline.js';
import { CliError } from '../errors.js';

interface BacktestFlags {
  policy: string[];
  timeline?: string;
  output: string;
  assumeOutcome: string;
  actionDuration?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description('Run policies over a recorded timeline (kubeskippy record): every fire, action and refusal')
    .option(
      '--policy <file>',
      'a HealingPolicy YAML file; repeat to compare policies side by side',
      collect,
      [],
    )
    .option('--timeline <file>', 'a JSON-lines timeline from `kubeskippy record`')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--assume-outcome <phase>', 'how every planned action ends: Succeeded or Failed', 'Succeeded')
    .option(
      '--action-duration <duration>',
      'how long each action stays open (default: the verification delay)',
    )
    .action(async (flags: BacktestFlags) => {
      if (!flags.policy.length)
        throw new CliError('--policy FILE is required (repeat it to compare policies)');
      if (!flags.timeline)
        throw new CliError('--timeline FILE is required (record one with `kubeskippy record`)');
      if (flags.output !== 'table' && flags.output !== 'json')
        throw new CliError(`--output must be table or json, got "${flags.output}"`);
      if (flags.assumeOutcome !== 'Succeeded' && flags.assumeOutcome !== 'Failed')
        throw new CliError(`--assume-outcome must be Succeeded or Failed, got "${flags.assumeOutcome}"`);
      let closeAfterMs: number | undefined;
      if (flags.actionDuration !== undefined) {
        try {
          closeAfterMs = parseDuration(flags.actionDuration);
        } catch (err) {
          throw new CliError(`--action-duration: ${(err as Error).message}`);
        }
      }
      let policies: PolicyFile[];
      let timeline: Timeline;
      try {
        policies = await Promise.all(flags.policy.map((f) => readPolicyFile(f)));
        timeline = await readTimeline(flags.timeline);
      } catch (err) {
        if (err instanceof PolicyFileError) throw new CliError(`--policy ${err.message}`);
        if (err instanceof TimelineError) throw new CliError(`--timeline ${err.message}`);
        throw err;
      }
      const outcome = flags.assumeOutcome as AssumedOutcome;
      const out: BacktestOutput = {
        timeline: describeTimeline(flags.timeline, timeline),
        reports: policies.map((p) =>
          backtest(
            p,
            timeline,
            assumption(p, { outcome, ...(closeAfterMs !== undefined ? { closeAfterMs } : {}) }),
          ),
        ),
      };
      process.stdout.write(
        flags.output === 'json' ? JSON.stringify(out, null, 2) + '\n' : formatOutput(out) + '\n',
      );
    });
}
