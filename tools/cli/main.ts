import { Command } from 'commander';
import { registerCrdsCommand } from './commands/crds.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDevServerCommand } from './commands/dev-server.js';
import { registerOperatorCommands } from './commands/operator.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerActionCommands } from './commands/action.js';
import { registerSimCommand } from './commands/sim.js';
import { registerClusterCommand } from './commands/cluster.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerIncidentCommands } from './commands/incident.js';
import { registerRecordCommand } from './commands/record.js';
import { registerBacktestCommand } from './commands/backtest.js';
import { registerSuspendCommands } from './commands/suspend.js';

const program = new Command()
  .name('kubeskippy')
  .description('Self-healing Kubernetes operator on Temporal durable workflows')
  .showHelpAfterError('(run with --help for usage)');

registerCrdsCommand(program);
registerDemoCommand(program);
registerDevServerCommand(program);
registerOperatorCommands(program);
registerPolicyCommands(program);
registerActionCommands(program);
registerSimCommand(program);
registerClusterCommand(program);
registerReplayCommand(program);
registerIncidentCommands(program);
registerRecordCommand(program);
registerBacktestCommand(program);
registerSuspendCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commands throw CliError (or anything else) for bad input; say what is wrong without a stack.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`kubeskippy: ${message}\n`);
  process.exitCode =
    typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
}
