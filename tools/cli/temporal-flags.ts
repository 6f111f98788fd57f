// Shared by the commands that talk to Temporal only (policy, action): where the server is.
import type { Command } from 'commander';
import type { Client, ClientPlugin } from '@temporalio/client';
import { ConfigError, DEFAULTS, loadConfig, type OperatorConfig } from '../../operator/config.js';
import { CliError } from './errors.js';

export interface TemporalFlags {
  temporalAddress?: string;
  temporalNamespace?: string;
  clusterName?: string;
  output?: string;
}

/** --temporal-address and --temporal-namespace: where the server is (the operator's commands too). */
export function withTemporalServerFlags(cmd: Command): Command {
  return cmd
    .option(
      '--temporal-address <host:port>',
      `Temporal frontend (env TEMPORAL_ADDRESS; default ${DEFAULTS.temporalAddress})`,
    )
    .option(
      '--temporal-namespace <ns>',
      `Temporal namespace (env TEMPORAL_NAMESPACE; default ${DEFAULTS.temporalNamespace})`,
    );
}

/** The server flags, the cluster and -o table|json, for the commands that only talk to Temporal. */
export function withTemporalFlags(cmd: Command): Command {
  return withTemporalServerFlags(cmd)
    .option(
      '--cluster-name <name>',
      "the operator's cluster, as in its workflow ids (env KUBESKIPPY_CLUSTER_NAME; default the kubeconfig context)",
    )
    .option('-o, --output <format>', 'table or json', 'table');
}

export async function temporalClient(flags: TemporalFlags): Promise<Client> {
  return connect(cliConfig(flags));
}

function cliConfig(flags: TemporalFlags): OperatorConfig {
  try {
    return loadConfig({
      ...(flags.temporalAddress ? { temporalAddress: flags.temporalAddress } : {}),
      ...(flags.temporalNamespace ? { temporalNamespace: flags.temporalNamespace } : {}),
      ...(flags.clusterName ? { clusterName: flags.clusterName } : {}),
    });
  } catch (err) {
    throw err instanceof ConfigError ? new CliError(err.message) : err;
  }
}

async function connect(config: OperatorConfig, plugins: ClientPlugin[] = []): Promise<Client> {
  // Loaded on use: @temporalio/client costs about a second, which --help should not pay.
  const { connectClient } = await import('../../operator/temporal.js');
  try {
    return await connectClient(config, plugins);
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${config.temporalAddress}: ${(err as Error).message}\n` +
        'Start one with `kubeskippy dev-server`, or pass --temporal-address.',
      1,
    );
  }
}

/**
 * Runs `fn` with a connected client and always closes the connection. With an OTLP endpoint set
 * (README, Tracing) the client's signals and updates start traces the workflows continue, and the
 * spans are flushed before the command returns.
 */
export async function withClient<T>(
  flags: TemporalFlags,
  fn: (client: Client, config: OperatorConfig) => Promise<T>,
): Promise<T> {
  const config = cliConfig(flags);
  const tracing = config.tracing
    ? (await import('../../operator/tracing.js')).startTracing(config.tracing)
    : undefined;
  try {
    const client = await connect(config, tracing ? [tracing.plugin] : []);
    try {
      return await fn(client, config);
    } finally {
      await client.connection.close();
    }
  } finally {
    await tracing?.shutdown();
  }
}
