// Helpers for tests that need Temporal. The shared dev server comes from ./global-setup.ts; a
// test that needs special dynamic config (e.g. a low continue-as-new threshold) starts its own
// with startDedicatedServer, so the shared server keeps production-like defaults.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { inject } from 'vitest';
import { startDevServer } from '../../tools/dev-server.js';
import type { DevServer } from '../../tools/dev-server.js';

export interface TestTemporal {
  address: string;
  namespace: string;
}

export function testTemporal(): TestTemporal {
  return { address: inject('temporalAddress'), namespace: inject('temporalNamespace') };
}

/** A client on the shared server; close it with `client.connection.close()`. */
export async function connectClient(target: TestTemporal = testTemporal()): Promise<Client> {
  const { address, namespace } = target;
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/** Client + native connection for Workers (shared server by default); `teardown()` leaves the server running. */
export function createTestEnv(target: TestTemporal = testTemporal()): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer(target);
}

// Worker INFO logs (bundle stats, state changes) drown vitest's output; keep warnings and errors.
// The Runtime is per process and must be installed before the first native connection. A flag of
// this module would not do: vitest re-evaluates it for every test file, while @temporalio/worker is
// loaded by Node once per process, so in a single fork the second file found it installed already.
export function installQuietRuntime(): void {
  if (Runtime._instance) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** Task queues are per test so workers of parallel test files never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Starts a private in-memory dev server (free port, headless) with extra dynamic config, e.g.
 * `{ 'limit.historyCount.suggestContinueAsNew': 40 }`. Stop it in afterAll.
 */
export async function startDedicatedServer(
  dynamicConfig: Record<string, string | number | boolean>,
): Promise<DevServer> {
  // The PostgreSQL tier (./postgres-setup.ts) has a namespace with this config on its one server.
  const dedicated = inject('temporalDedicatedNamespaces')?.[JSON.stringify(dynamicConfig)];
  if (dedicated) return sharedServerNamespace(dedicated);
  const cliPath = inject('temporalCliPath');
  if (!cliPath) throw new Error('no temporal CLI was resolved in globalSetup; see docs/temporal.md');
  return startDevServer({ cliPath, port: 0, headless: true, dynamicConfig });
}

/** A namespace of the shared server, shaped as a DevServer whose stop() leaves the server running. */
function sharedServerNamespace(namespace: string): DevServer {
  return {
    address: inject('temporalAddress'),
    namespace,
    pid: -1,
    exited: new Promise<number | null>(() => {}),
    stop: async () => {},
  };
}
