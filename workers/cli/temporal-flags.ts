// Shared by the commands that talk to Temporal only (policy, action): where the server is.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { ConfigError, DEFAULTS, loadConfig } from '../config.js';
import { CliError } from './errors.js';

export interface TemporalFlags {
  temporalAddress?: string;
  temporalNamespace?: string;
  output?: string;
}

export function withTemporalFlags(cmd: Command): Command {
  return cmd
    .option(
      '--temporal-address <host:port>',
      `Temporal frontend (env TEMPORAL_ADDRESS; default ${DEFAULTS.temporalAddress})`,
    )
    .option(
      '--temporal-namespace <ns>',
      `Temporal namespace (env TEMPORAL_NAMESPACE; default ${DEFAULTS.temporalNamespace})`,
    )
    .option('-o, --output <format>', 'table or json', 'table');
}

export async function temporalClient(flags: TemporalFlags): Promise<Client> {
  let config;
  try {
    config = loadConfig({
      ...(flags.temporalAddress ? { temporalAddress: flags.temporalAddress } : {}),
      ...(flags.temporalNamespace ? { temporalNamespace: flags.temporalNamespace } : {}),
    });
  } catch (err) {
    throw err instanceof ConfigError ? new CliError(err.message) : err;
  }
  // Loaded on use: @temporalio/client costs about a second, which --help should not pay.
  const { connectClient } = await import('../temporal.js');
  try {
    return await connectClient(config);
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${config.temporalAddress}: ${(err as Error).message}\n` +
        'Start one with `kubeskippy dev-server`, or pass --temporal-address.',
      1,
    );
  }
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(flags: TemporalFlags, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await temporalClient(flags);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

/** `<namespace>/<name>`, as kubectl prints it. */
export function parseRef(text: string, what: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text);
  if (!m)
    throw new CliError(
      `${what} must be <namespace>/<name> (e.g. demo-apps/memory-leak-healing), got "${text}"`,
    );
  return { namespace: m[1]!, name: m[3]! };
}

export function outputFormat(flags: TemporalFlags): 'table' | 'json' {
  if (flags.output !== 'table' && flags.output !== 'json')
    throw new CliError(`--output must be table or json, got "${flags.output}"`);
  return flags.output;
}

/** A fixed-width table like kubectl's. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function age(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
