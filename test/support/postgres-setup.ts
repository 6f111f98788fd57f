// vitest globalSetup of the PostgreSQL tier (`npm run test:postgres`): a Temporal server on
// PostgreSQL (./temporal-postgres.ts) in place of the dev server. Listed before ./global-setup.ts,
// it sets TEMPORAL_ADDRESS, which that setup reads as "use this server", so every test finds it
// through inject('temporalAddress') as usual; startDedicatedServer (./temporal.ts) gets a namespace
// with the requested dynamic config instead of a private dev server.
import { Connection } from '@temporalio/client';
import type { TestProject } from 'vitest/node';
import { isResolvedCli, resolveTemporalCli } from '../../tools/temporal-cli.js';
import { resolveTemporalServer } from '../../tools/temporal-server.js';
import { DEDICATED_NAMESPACES, startPostgresTemporal, type PostgresTemporal } from './temporal-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON of a dynamic config → a namespace of the shared server that has it (PostgreSQL tier). */
    temporalDedicatedNamespaces: Record<string, string>;
  }
}

const log = (msg: string): void => void process.stderr.write(`[temporal-postgres] ${msg}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await resolveTemporalServer({ onProgress: log });
  const cli = await resolveTemporalCli({ allowBuild: true, onProgress: log });
  if (!isResolvedCli(cli))
    throw new Error('the PostgreSQL tier needs the temporal CLI: run `npm run tools:temporal`');
  const started = Date.now();
  const temporal = await startPostgresTemporal({
    server: server,
    cliPath: cli.path,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    onProgress: log,
  });
  const t = temporal.timings;
  log(
    `Temporal server ${server.version} on PostgreSQL at ${temporal.address} ready in ${Date.now() - started} ms ` +
      `(postgres ${t.postgres} ms, schema ${t.schema} ms, server ${t.server} ms, namespaces ${t.namespaces} ms); ` +
      `search attributes added: ${JSON.stringify(temporal.searchAttributes)}`,
  );
  project.provide(
    'temporalDedicatedNamespaces',
    Object.fromEntries(Object.entries(DEDICATED_NAMESPACES).map(([key, d]) => [key, d.namespace])),
  );
  process.env.TEMPORAL_ADDRESS = temporal.address;
  return async () => {
    delete process.env.TEMPORAL_ADDRESS;
    try {
      // The proof the tier ran where it says: the executions its tests left in PostgreSQL.
      log(`workflow executions on PostgreSQL: ${JSON.stringify(await countExecutions(temporal))}`);
    } finally {
      await temporal.stop();
    }
  };
}

async function countExecutions(temporal: PostgresTemporal): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const counts: Record<string, number> = {};
    for (const namespace of temporal.namespaces) {
      const { count } = await connection.workflowService.countWorkflowExecutions({ namespace });
      counts[namespace] = Number(count ?? 0);
    }
    return counts;
  } finally {
    await connection.close();
  }
}
