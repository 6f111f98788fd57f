// vitest globalSetup: one Temporal dev server for the whole run (headless, free ports, a temp
// SQLite file). Tests reach it through `inject('temporalAddress')` (see ./temporal.ts); child
// processes through TEMPORAL_ADDRESS. A TEMPORAL_ADDRESS already set means "use that server".
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { ensureSearchAttributes, startDevServer } from '../../tools/dev-server.js';
import { kubeSkippySearchAttributes } from '../../operator/search-attributes.js';
import { isResolvedCli, resolveTemporalCli } from '../../tools/temporal-cli.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    /** The resolved `temporal` binary ('' when none), for tests that start their own server. */
    temporalCliPath: string;
  }
}

const log = (msg: string): void => void process.stderr.write(`[temporal] ${msg}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const cli = await resolveTemporalCli({ allowBuild: true, onProgress: log });
  project.provide('temporalCliPath', isResolvedCli(cli) ? cli.path : '');
  project.provide('temporalNamespace', namespace);

  const existing = process.env.TEMPORAL_ADDRESS;
  if (existing) {
    const connection = await Connection.connect({ address: existing, connectTimeout: 10_000 });
    try {
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
    log(`using the existing server at ${existing} (TEMPORAL_ADDRESS)`);
    project.provide('temporalAddress', existing);
    return async () => {};
  }

  const teardown = isResolvedCli(cli)
    ? await startOwnServer(project, cli.path, namespace)
    : await startSdkServer(project, namespace);
  return async () => {
    await teardown();
    delete process.env.TEMPORAL_ADDRESS;
  };
}

async function startOwnServer(
  project: TestProject,
  cliPath: string,
  namespace: string,
): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-temporal-'));
  const started = Date.now();
  const server = await startDevServer({
    cliPath,
    port: 0,
    headless: true,
    namespace,
    dbFile: path.join(dir, 'temporal.sqlite'),
  });
  log(`dev server ${server.address} (pid ${server.pid}) ready in ${Date.now() - started} ms`);
  project.provide('temporalAddress', server.address);
  process.env.TEMPORAL_ADDRESS = server.address;
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

// No binary and no Go: the SDK downloads a CLI (needs network) and gives it only 5 s to start.
async function startSdkServer(project: TestProject, namespace: string): Promise<() => Promise<void>> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      namespace,
      searchAttributes: [...kubeSkippySearchAttributes],
    },
  });
  project.provide('temporalAddress', env.address);
  process.env.TEMPORAL_ADDRESS = env.address;
  return () => env.teardown();
}
