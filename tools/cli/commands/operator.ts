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
  clusterName?: string;
  taskQueue?: string;
  metricsPort?: string;
  metricsAddress?: string;
  logLevel?: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  webhookAllow?: string;
  notificationsSecret?: string;
  alertPort?: string;
  alertTokenFile?: string;
  temporalUiUrl?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId?: string;
  leaderElectLeaseDuration?: string;
  leaderElectRenewDeadline?: string;
  leaderElectRetryPeriod?: string;
}

/** The leader-election flags, as loadConfig takes them. */
function leaderFlags(flags: Flags): Parameters<typeof loadConfig>[0] {
  return {
    ...(flags.leaderElect ? { leaderElect: 'on' } : {}),
    ...(flags.leaderElectionNamespace ? { leaderElectionNamespace: flags.leaderElectionNamespace } : {}),
    ...(flags.leaderElectionId ? { leaderElectionId: flags.leaderElectionId } : {}),
    ...(flags.leaderElectLeaseDuration ? { leaseDurationMs: flags.leaderElectLeaseDuration } : {}),
    ...(flags.leaderElectRenewDeadline ? { renewDeadlineMs: flags.leaderElectRenewDeadline } : {}),
    ...(flags.leaderElectRetryPeriod ? { retryPeriodMs: flags.leaderElectRetryPeriod } : {}),
  };
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
      ...(flags.clusterName ? { clusterName: flags.clusterName } : {}),
      ...(flags.taskQueue ? { taskQueue: flags.taskQueue } : {}),
      ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
      ...(flags.metricsAddress !== undefined ? { metricsAddress: flags.metricsAddress } : {}),
      ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
      ...(flags.prometheusUrl ? { prometheusUrl: flags.prometheusUrl } : {}),
      ...(flags.alertmanagerUrl ? { alertmanagerUrl: flags.alertmanagerUrl } : {}),
      ...(flags.webhookAllow ? { webhookAllow: flags.webhookAllow } : {}),
      ...(flags.notificationsSecret ? { notificationsSecret: flags.notificationsSecret } : {}),
      ...(flags.alertPort !== undefined ? { alertPort: flags.alertPort } : {}),
      ...(flags.alertTokenFile ? { alertTokenFile: flags.alertTokenFile } : {}),
      ...(flags.temporalUiUrl ? { temporalUiUrl: flags.temporalUiUrl } : {}),
      ...leaderFlags(flags),
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
      .option(
        '--cluster-name <name>',
        'this cluster in a fleet sharing one Temporal namespace, a DNS label (env KUBESKIPPY_CLUSTER_NAME; default the kubeconfig context, in a pod "default")',
      )
      .option(
        '--task-queue <name>',
        `task queue (env KUBESKIPPY_TASK_QUEUE; default ${DEFAULTS.taskQueuePrefix}-<cluster name>)`,
      )
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
        '--alertmanager-url <url>',
        'Alertmanager whose active silences gate actions (env KUBESKIPPY_ALERTMANAGER_URL; default none)',
      )
      .option(
        '--webhook-allow <prefixes>',
        'comma-separated URL prefixes webhook actions may POST to (env KUBESKIPPY_WEBHOOK_ALLOW; default none)',
      )
      .option(
        '--notifications-secret <namespace/name>',
        'Secret with the notification endpoints for policies that name none (env KUBESKIPPY_NOTIFICATIONS_SECRET)',
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
      .option(
        '--leader-elect',
        'only the holder of a Lease runs the controller; every replica runs a worker (env KUBESKIPPY_LEADER_ELECT; default off)',
      )
      .option(
        '--leader-election-namespace <ns>',
        "the Lease's namespace (env KUBESKIPPY_LEADER_ELECTION_NAMESPACE; default POD_NAMESPACE, the pod's, the kubeconfig's)",
      )
      .option(
        '--leader-election-id <name>',
        `the Lease's name (env KUBESKIPPY_LEADER_ELECTION_ID; default ${DEFAULTS.leaderElectionId})`,
      )
      .option('--leader-elect-lease-duration <d>', 'how long followers wait on a silent leader (default 15s)')
      .option(
        '--leader-elect-renew-deadline <d>',
        'a leader that has not renewed for this long stops (default 10s)',
      )
      .option('--leader-elect-retry-period <d>', 'between attempts to acquire or renew (default 2s)')
      .action((flags: Flags) => run(role.name, flags));
  }
}
