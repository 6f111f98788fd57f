// `kubeskippy demo` (= `npm run demo`) and `kubeskippy demo monitor` (= demo/monitor.sh). Flags
// are checked before anything starts, so a typo costs nothing.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEMO_NAMESPACE, SCENARIO_NAMES, selectScenarios } from '../../demo/scenarios.js';
import { CliError } from '../errors.js';

interface DemoFlags {
  scenario: string;
  watch?: boolean;
  interactive?: boolean;
  temporalAddress?: string;
  kubeconfig?: string;
  cluster: string;
  uiPort: string;
  temporalPort: string;
  timeScale: string;
}

const SCENARIO_HELP = `all or a comma-separated list of: ${SCENARIO_NAMES.join(', ')}`;

export function registerDemoCommand(program: Command): void {
  const demo = program
    .command('demo')
    .description('Run the demo: Temporal dev server + simulated cluster + operator, narrated live')
    .option('--scenario <names>', SCENARIO_HELP, 'all')
    .option('--watch', 'keep running after the summary (Ctrl-C stops everything)')
    .option('--interactive', 'wait for you to approve the approval scenario (Enter, or a command)')
    .option('--temporal-address <host:port>', 'reuse this Temporal server instead of starting a dev server')
    .option(
      '--kubeconfig <path>',
      'reuse this cluster (or a running sim) instead of starting the simulated one',
    )
    .option(
      '--cluster <kind>',
      'the cluster to start: sim (simulated, ready in seconds) or real (kube-apiserver, etcd, ' +
        'controllers and kwok from `npm run tools:cluster`; the operator runs as its ServiceAccount)',
      'sim',
    )
    .option('--ui-port <port>', 'Temporal Web UI port of the dev server (0 = a free port)', '8233')
    .option('--temporal-port <port>', 'gRPC port of the dev server the demo starts (0 = a free port)', '7233')
    .option(
      '--time-scale <x>',
      'speed: multiplies the apps’ behaviour times and the policies’ windows (0.5 = twice as fast)',
      '1',
    )
    .action((flags: DemoFlags) => demoAction(flags));

  demo
    .command('monitor')
    .description('Show the live view of apps and HealingActions for any cluster (changes nothing)')
    .option(
      '--kubeconfig <path>',
      'cluster to watch (default: .kubeskippy/sim.kubeconfig if present, else $KUBECONFIG)',
    )
    .option('-n, --namespace <ns>', 'namespace of the apps and HealingActions', DEMO_NAMESPACE)
    .option('--temporal-address <host:port>', 'also show policy refusals from this Temporal server')
    .action(async (_flags: unknown, cmd: Command) => {
      // `demo` has --kubeconfig and --temporal-address too, and commander hands a flag both know
      // to the parent: read them merged, or `demo monitor --kubeconfig X` watched the default cluster.
      const flags = cmd.optsWithGlobals<{
        kubeconfig?: string;
        namespace: string;
        temporalAddress?: string;
      }>();
      const options = {
        namespace: flags.namespace,
        ...monitorKubeconfig(flags.kubeconfig),
        ...(flags.temporalAddress ? { temporalAddress: checkAddress(flags.temporalAddress) } : {}),
      };
      // Loaded on use (client-node and the client take seconds), after the flags are checked.
      const { runMonitor } = await import('../../demo/monitor.js');
      await runMonitor(options);
    });
}

async function demoAction(flags: DemoFlags): Promise<void> {
  const scenarios = selectScenarios(flags.scenario);
  if (!scenarios) throw new CliError(`--scenario must be ${SCENARIO_HELP}; got "${flags.scenario}"`);
  if (flags.cluster !== 'sim' && flags.cluster !== 'real')
    throw new CliError(`--cluster must be sim or real, got "${flags.cluster}"`);
  if (flags.kubeconfig && flags.cluster === 'real')
    throw new CliError('--kubeconfig reuses a running cluster; it cannot be combined with --cluster real');
  if (flags.cluster === 'real' && flags.timeScale !== '1')
    throw new CliError('--time-scale speeds the simulated cluster only; the real one runs in real time');
  const uiPort = portFlag('--ui-port', flags.uiPort);
  const temporalPort = portFlag('--temporal-port', flags.temporalPort);
  const timeScale = Number(flags.timeScale);
  if (!Number.isFinite(timeScale) || timeScale < 0.1 || timeScale > 10)
    throw new CliError(
      `--time-scale must be a number from 0.1 to 10 (1 = real time), got "${flags.timeScale}"`,
    );
  // Loaded on use: the demo pulls in the whole operator, seconds that other commands should not pay.
  const { runDemo } = await import('../../demo/run.js');
  process.exitCode = await runDemo({
    scenarios,
    watch: flags.watch === true,
    interactive: flags.interactive === true,
    ...(flags.temporalAddress ? { temporalAddress: checkAddress(flags.temporalAddress) } : {}),
    ...(flags.kubeconfig ? { kubeconfig: resolve(flags.kubeconfig) } : {}),
    cluster: flags.cluster,
    uiPort,
    temporalPort,
    timeScale,
    stateDir: resolve('.kubeskippy'),
  });
}

function portFlag(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new CliError(`${flag} must be a port number between 0 and 65535, got "${value}"`);
  return port;
}

function checkAddress(value: string): string {
  if (!/^[^:\s]+:\d+$/.test(value))
    throw new CliError(`--temporal-address must be HOST:PORT, got "${value}"`);
  return value;
}

/** The demo's own sim when it runs (setup.sh), else whatever kubectl would use. */
function monitorKubeconfig(flag: string | undefined): { kubeconfig?: string } {
  if (flag) {
    if (!existsSync(flag)) throw new CliError(`--kubeconfig: no such file "${flag}"`);
    return { kubeconfig: resolve(flag) };
  }
  const sim = resolve('.kubeskippy/sim.kubeconfig');
  return existsSync(sim) ? { kubeconfig: sim } : {};
}
