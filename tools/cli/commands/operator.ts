// `kubeskippy operator | worker | controller`: the same flags for all three; flags win over the
// environment (operator/config.ts), and bad values say which flag is wrong.
import type { Command } from 'commander';
import { ConfigError, DEFAULTS, loadConfig, type OperatorConfig } from '../../../operator/config.js';
import { findFreePort } from '../../dev-server.js';
import type { OperatorRole } from '../../../operator/operator.js';
import { CliError } from '../errors.js';
import { withTemporalServerFlags } from '../temporal-flags.js';

interface Flags {
  kubeconfig?: string;
  temporalAddress?: string;
  temporalNamespace?: string;
  taskQueue?: string;
  metricsPort?: string;
  metricsAddress?: string;
  logLevel?: string;
  prometheusUrl?: string;
  webhookAllow?: string;
  alertPort?: string;
  alertTokenFile?: string;
  temporalUiUrl?: string;
}

const ROLES: { name: OperatorRole; command: string; description: string }[] = [
  { name: 'all', command: 'operator', description: 'Run the controller and a Temporal worker together' },
  {
    name: 'worker',
    command: 'worker',
    description: 'Run only the Temporal worker (workflows and activities)',
  },
  {
    name: 'controller',
    command: 'controller',
    description: 'Run only the controller (CRs ↔ workflows, status, approvals)',
  },
];

async function run(role: OperatorRole, flags: Flags): Promise<void> {
  let config: OperatorConfig;
  try {
    config = loadConfig({
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.temporalAddress ? { temporalAddress: flags.temporalAddress } : {}),
      ...(flags.temporalNamespace ? { temporalNamespace: flags.temporalNamespace } : {}),
      ...(flags.taskQueue ? { taskQueue: flags.taskQueue } : {}),
      ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
      ...(flags.metricsAddress !== undefined ? { metricsAddress: flags.metricsAddress } : {}),
      ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
      ...(flags.prometheusUrl ? { prometheusUrl: flags.prometheusUrl } : {}),
      ...(flags.webhookAllow ? { webhookAllow: flags.webhookAllow } : {}),
      ...(flags.alertPort !== undefined ? { alertPort: flags.alertPort } : {}),
      ...(flags.alertTokenFile ? { alertTokenFile: flags.alertTokenFile } : {}),
      ...(flags.temporalUiUrl ? { temporalUiUrl: flags.temporalUiUrl } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  // Loaded here rather than at the top: the Temporal worker and client-node take seconds to load,
  // and every other command (approve, status, --help) should not pay for them.
  const [{ createLogger, installTemporalRuntime }, { startOperator }] = await Promise.all([
    import('../../../operator/logger.js'),
    import('../../../operator/operator.js'),
  ]);
  const logger = createLogger(config.logLevel, { role });
  // The SDK serves its own worker metrics on a private port; /metrics appends them.
  const sdkMetricsAddress = `127.0.0.1:${await findFreePort()}`;
  installTemporalRuntime(logger, { sdkMetricsAddress });
  let operator;
  try {
    operator = await startOperator({ config, role, logger, sdkMetricsAddress });
  } catch (err) {
    throw new CliError(
      `could not start: ${(err as Error).message}\n` +
        `Check that Temporal answers at ${config.temporalAddress} (kubeskippy dev-server) and that the kubeconfig works.`,
      1,
    );
  }
  logger.info(
    { metricsAddress: config.metricsAddress, metricsPort: operator.metricsPort },
    'health on /healthz and /readyz, metrics on /metrics',
  );
  let asked = false;
  const shutdown = (signal: string): void => {
    asked = true;
    logger.info({ signal }, 'shutting down');
    void operator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  if (role === 'controller') return new Promise<never>(() => undefined);
  const failure = await operator.done.then(
    () => undefined,
    (err: unknown) => (err as Error).message,
  );
  if (asked) return;
  // The worker stopped on its own: it failed, or the Temporal runtime shut it down (it does on
  // SIGUSR2). A process whose controller keeps mirroring status while no workflow runs would look
  // alive to its liveness probe, so stop everything and exit non-zero to be restarted.
  logger.error({ error: failure }, 'the worker stopped without being asked; the operator exits');
  await operator.stop();
  process.exit(1);
}

export function registerOperatorCommands(program: Command): void {
  for (const role of ROLES) {
    const cmd = program
      .command(role.command)
      .description(role.description)
      .option(
        '--kubeconfig <path>',
        'kubeconfig file (env KUBECONFIG; default in-cluster or ~/.kube/config)',
      );
    withTemporalServerFlags(cmd)
      .option('--task-queue <name>', `task queue (env KUBESKIPPY_TASK_QUEUE; default ${DEFAULTS.taskQueue})`)
      .option(
        '--metrics-port <port>',
        `health and metrics port, 0 = any free port (env KUBESKIPPY_METRICS_PORT; default ${DEFAULTS.metricsPort})`,
      )
      .option(
        '--metrics-address <ip>',
        'where health and metrics listen (env KUBESKIPPY_METRICS_ADDRESS; default 127.0.0.1, 0.0.0.0 in a pod)',
      )
      .option('--log-level <level>', 'trace|debug|info|warn|error (env KUBESKIPPY_LOG_LEVEL; default info)')
      .option('--prometheus-url <url>', 'Prometheus for PromQL triggers (env KUBESKIPPY_PROMETHEUS_URL)')
      .option(
        '--webhook-allow <prefixes>',
        'comma-separated URL prefixes webhook actions may POST to (env KUBESKIPPY_WEBHOOK_ALLOW; default none)',
      )
      .option(
        '--alert-port <port>',
        'Alertmanager receiver (POST /alertmanager) port, 0 = any free port (env KUBESKIPPY_ALERT_PORT; default off)',
      )
      .option(
        '--alert-token-file <path>',
        'file with the bearer token Alertmanager must send (env KUBESKIPPY_ALERT_TOKEN_FILE; required with --alert-port)',
      )
      .option(
        '--temporal-ui-url <url>',
        `Web UI base for links (env KUBESKIPPY_TEMPORAL_UI_URL; default ${DEFAULTS.temporalUiUrl})`,
      )
      .action((flags: Flags) => run(role.name, flags));
  }
}
