// Connections to Temporal from configuration: the dev server, a self-hosted cluster or Temporal
// Cloud differ only in address, namespace, TLS and API key.
import { Client, Connection, type ClientPlugin } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { OperatorConfig } from './config.js';

type TemporalSettings = Pick<
  OperatorConfig,
  'temporalAddress' | 'temporalNamespace' | 'temporalTls' | 'temporalApiKey'
>;

function connectionOptions(cfg: TemporalSettings): { address: string; tls?: boolean; apiKey?: string } {
  return {
    address: cfg.temporalAddress,
    ...(cfg.temporalTls ? { tls: true } : {}),
    ...(cfg.temporalApiKey ? { apiKey: cfg.temporalApiKey } : {}),
  };
}

/** `plugins`: the tracing plugin (operator/tracing.ts), when traces are on. */
export async function connectClient(cfg: TemporalSettings, plugins: ClientPlugin[] = []): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(cfg));
  return new Client({ connection, namespace: cfg.temporalNamespace, ...(plugins.length ? { plugins } : {}) });
}

export function connectWorker(cfg: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(cfg));
}
