import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';

interface ClusterFlags {
  port: string;
  kubeconfigOut?: string;
  dataDir: string;
  nodes: string;
  kwokConfig?: string[];
  build: boolean;
}

export const DEFAULT_CLUSTER_PORT = 6445;

export function registerClusterCommand(program: Command): void {
  program
    .command('cluster')
    .description(
      'Run a real Kubernetes control plane on 127.0.0.1 (etcd, kube-apiserver, controller-manager, ' +
        'scheduler, kwok fake nodes, metrics-server); binaries from `npm run tools:cluster`',
    )
    .option('--port <port>', 'API server port (0 = a free port)', String(DEFAULT_CLUSTER_PORT))
    .option(
      '--kubeconfig-out <path>',
      'where to write the admin kubeconfig (default: .kubeskippy/cluster.kubeconfig)',
    )
    .option(
      '--data-dir <dir>',
      'certificates, etcd data and logs (kept between starts)',
      '.kubeskippy/cluster',
    )
    .option('--nodes <n>', 'number of kwok fake nodes', '1')
    .option(
      '--kwok-config <file...>',
      'kwok Stage / ClusterResourceUsage files (default: cluster/kwok/*.yaml)',
    )
    .option('--no-build', 'fail instead of building missing binaries (the first build takes ~40 min)')
    .action((flags: ClusterFlags) => runCluster(flags));
}

async function runCluster(flags: ClusterFlags): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65_535) {
    throw new CliError(`--port must be a port number between 0 and 65535, got "${flags.port}"`);
  }
  const nodes = Number(flags.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 20) {
    throw new CliError(`--nodes must be a whole number from 1 to 20, got "${flags.nodes}"`);
  }
  const kubeconfigOut = resolve(flags.kubeconfigOut ?? '.kubeskippy/cluster.kubeconfig');
  const { startCluster, ComponentDiedError, ClusterToolsError } = await import('../../../cluster/index.js');
  const log = (msg: string): void => void process.stderr.write(`cluster: ${msg}\n`);
  const started = Date.now();
  let cluster;
  try {
    cluster = await startCluster({
      port,
      nodes,
      dataDir: flags.dataDir,
      kubeconfigOut,
      ...(flags.kwokConfig ? { kwokConfigs: flags.kwokConfig.map((f) => resolve(f)) } : {}),
      allowBuild: flags.build,
      log,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(`${(err as Error).message}: stop whatever listens there or pass --port 0`, 1);
    }
    if (err instanceof ClusterToolsError || err instanceof ComponentDiedError)
      throw new CliError(err.message, 1);
    throw new CliError(`the cluster did not start: ${(err as Error).message}`, 1);
  }
  const out = process.stdout;
  out.write(
    `Real cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${nodes} kwok node(s))\n`,
  );
  out.write(
    `  API server: ${cluster.server}\n  kubeconfig: ${kubeconfigOut}\n  logs:       ${cluster.logDir}\n`,
  );
  out.write(`\nTry:  kubectl --kubeconfig ${kubeconfigOut} get nodes\n`);
  out.write(`      export KUBECONFIG=${kubeconfigOut}\n\nPress Ctrl-C to stop.\n`);

  const outcome = await Promise.race([
    cluster.died,
    new Promise<NodeJS.Signals>((done) => {
      process.once('SIGINT', () => done('SIGINT'));
      process.once('SIGTERM', () => done('SIGTERM'));
    }),
  ]);
  if (typeof outcome === 'string') {
    process.stderr.write(`kubeskippy: ${outcome}: stopping the cluster\n`);
    await cluster.stop();
    return;
  }
  await cluster.stop();
  throw new CliError(`the cluster stopped because a component died: ${outcome.message}`, 1);
}
