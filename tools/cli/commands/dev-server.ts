import type { Command } from 'commander';
import { startDevServer } from '../../dev-server.js';
import { kubeSkippySearchAttributes } from '../../../operator/search-attributes.js';
import { isResolvedCli, resolveTemporalCli, TemporalCliError } from '../../temporal-cli.js';
import { CliError } from '../errors.js';

interface DevServerFlags {
  port: string;
  uiPort?: string;
  db?: string;
  headless?: boolean;
  namespace: string;
}

export function registerDevServerCommand(program: Command): void {
  program
    .command('dev-server')
    .description('Run a local Temporal dev server (Web UI, KubeSkippy search attributes) on 127.0.0.1')
    .option('--port <port>', 'frontend gRPC port (0 = a free port)', '7233')
    .option('--ui-port <port>', 'Web UI port (default: --port + 1000)')
    .option('--db <file>', 'SQLite file that keeps workflows across restarts (default: in memory)')
    .option('--headless', 'do not serve the Web UI')
    .option('--namespace <name>', 'Temporal namespace to create and prepare', 'default')
    .action((flags: DevServerFlags) => runDevServer(flags));
}

async function runDevServer(flags: DevServerFlags): Promise<void> {
  // Validate every flag before the (possibly slow) CLI resolution.
  const port = parsePort('--port', flags.port);
  const uiPort = flags.uiPort === undefined ? undefined : parsePort('--ui-port', flags.uiPort);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(flags.namespace)) {
    throw new CliError(`--namespace must be a Temporal namespace name, got "${flags.namespace}"`);
  }
  const progress = (msg: string): void => void process.stderr.write(`kubeskippy: ${msg}\n`);
  const cli = await resolveTemporalCli({ onProgress: progress });
  let server;
  try {
    server = await startDevServer({
      port,
      uiPort,
      headless: flags.headless === true,
      dbFile: flags.db,
      namespace: flags.namespace,
      // No binary and no Go: startDevServer falls back to the SDK's download.
      ...(isResolvedCli(cli) ? { cliPath: cli.path } : {}),
      onProgress: progress,
    });
  } catch (err) {
    if (err instanceof TemporalCliError) throw new CliError(err.message, 1);
    throw err;
  }

  const out = process.stdout;
  out.write(
    isResolvedCli(cli)
      ? `Temporal dev server ${cli.version} (CLI from ${cli.source}: ${cli.path}), pid ${server.pid}\n`
      : 'Temporal dev server (CLI downloaded by the Temporal SDK)\n',
  );
  out.write(`  address:    ${server.address}\n  namespace:  ${server.namespace}\n`);
  out.write(`  Web UI:     ${server.uiUrl ?? '(headless)'}\n`);
  out.write(`  storage:    ${flags.db ?? 'in memory (lost on stop; use --db FILE to keep it)'}\n`);
  out.write(`  search attributes (Keyword): ${kubeSkippySearchAttributes.map((k) => k.name).join(', ')}\n\n`);
  out.write(`TEMPORAL_ADDRESS=${server.address}\n\nPress Ctrl-C to stop.\n`);

  // Stop the child on SIGINT/SIGTERM; report an unexpected exit of the server itself.
  const signal = await new Promise<NodeJS.Signals | 'exited'>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    void server.exited.then(() => resolve('exited'));
  });
  if (signal === 'exited') {
    throw new CliError(`the Temporal dev server exited unexpectedly (code ${await server.exited})`, 1);
  }
  process.stderr.write(`kubeskippy: ${signal}: stopping the dev server\n`);
  await server.stop();
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new CliError(`${flag} must be a port number between 0 and 65535, got "${value}"`);
  }
  return port;
}
