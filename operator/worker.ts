// The Temporal worker half of the operator: the workflow bundle plus activities built once from
// their dependencies, so tests can build the same worker with other clients.
import { fileURLToPath } from 'node:url';
import { Worker, type InjectedSinks, type NativeConnection, type WorkerPlugin } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import type { KubeSkippySinks } from '../workflows/sinks.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /** A prebuilt bundle (bundleWorkflowCode), in memory or in a file, saves the few seconds of bundling per worker. */
  workflowBundle?: { code: string } | { codePath: string };
  /** Grace for in-flight activities on shutdown. */
  shutdownGraceTime?: string;
  identity?: string;
  /** Where workflow metrics go (operator/metrics.ts). */
  sinks?: InjectedSinks<KubeSkippySinks>;
  /** The tracing plugin (operator/tracing.ts), when traces are on; a prebuilt bundle must hold its workflow modules. */
  plugins?: WorkerPlugin[];
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(opts.activities),
    shutdownGraceTime: (opts.shutdownGraceTime ?? '10s') as `${number}s`,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.sinks ? { sinks: opts.sinks } : {}),
    ...(opts.plugins?.length ? { plugins: opts.plugins } : {}),
  });
}
