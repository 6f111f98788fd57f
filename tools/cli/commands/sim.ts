import { resolve } from 'node:path';
import type { Command } from 'commander';
import { startSim } from '../../../sim/index.js';
import { CliError } from '../errors.js';

interface SimFlags {
  port: string;
  kubeconfigOut?: string;
  scenario?: string[];
  nodes: string;
  timeScale: string;
}

export const DEFAULT_SIM_PORT = 6443;

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('Run a simulated Kubernetes cluster (API server, nodes, kubelets, controllers) on 127.0.0.1')
    .option('--port <port>', 'API server port (0 = a free port)', String(DEFAULT_SIM_PORT))
    .option('--kubeconfig-out <path>', 'where to write the kubeconfig (default: .kubeskippy/sim.kubeconfig)')
    .option('--scenario <file...>', 'YAML files to apply at start (e.g. demo/apps/*.yaml)')
    .option('--nodes <n>', 'number of simulated nodes', '2')
    .option('--time-scale <x>', 'multiplies behaviour timings (0.1 = ten times faster)', '1')
    .action((flags: SimFlags) => runSim(flags));
}

async function runSim(flags: SimFlags): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65_535) {
    throw new CliError(`--port must be a port number between 0 and 65535, got "${flags.port}"`);
  }
  const nodes = Number(flags.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) {
    throw new CliError(`--nodes must be a whole number from 1 to 50, got "${flags.nodes}"`);
  }
  const timeScale = Number(flags.timeScale);
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new CliError(`--time-scale must be a positive number (1 = real time), got "${flags.timeScale}"`);
  }
  const kubeconfigOut = resolve(flags.kubeconfigOut ?? '.kubeskippy/sim.kubeconfig');
  const started = Date.now();
  let sim;
  try {
    sim = await startSim({ port, nodes, timeScale, scenarios: flags.scenario ?? [], kubeconfigOut });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(
        `port ${port} is already in use: stop whatever listens there or pass --port 0 (any free port)`,
        1,
      );
    }
    if (code === 'EACCES' || code === 'EROFS') {
      throw new CliError(
        `cannot write the kubeconfig to ${kubeconfigOut}: choose another --kubeconfig-out`,
        1,
      );
    }
    throw new CliError(`the simulated cluster did not start: ${(err as Error).message}`, 1);
  }

  const out = process.stdout;
  out.write(
    `Simulated cluster ready in ${Date.now() - started} ms (${nodes} nodes, time scale ${timeScale})\n`,
  );
  out.write(`  API server: ${sim.url}\n  kubeconfig: ${kubeconfigOut}\n`);
  for (const line of sim.applied) out.write(`  ${line}\n`);
  out.write(`\nTry:  kubectl --kubeconfig ${kubeconfigOut} get pods -A\n`);
  out.write(`      export KUBECONFIG=${kubeconfigOut}\n\nPress Ctrl-C to stop.\n`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  process.stderr.write(`kubeskippy: ${signal}: stopping the simulated cluster\n`);
  await sim.stop();
}
