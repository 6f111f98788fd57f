// Entry point of the simulated Kubernetes API server.
import type { AddressInfo } from 'node:net';
import type { MetricsSource } from '../contract.js';
import type { ServerContext } from './context.js';
import { Faults, type FaultConfig } from './faults.js';
import { CpuCounters } from './pod-series.js';
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
import { RequestLog, type RequestCounts } from './requests.js';
import { createApiHttpServer, dropWatches, type DropWatchesOptions } from './server.js';
import { MemoryStore } from './store.js';

export { MemoryStore, createStore, type StoreOptions } from './store.js';
export type { FaultConfig } from './faults.js';
export type { RequestCounts } from './requests.js';
export type { DropWatchesOptions } from './server.js';
export { SIM_CONTEXT } from './kubeconfig.js';

export interface ApiServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Share a store with in-process controllers; created when absent. */
  store?: MemoryStore;
  metrics?: MetricsSource;
  faults?: FaultConfig;
  /** How often watches with allowWatchBookmarks get a BOOKMARK. Default 10 s. */
  bookmarkIntervalMs?: number;
  /** Randomness for fault injection (tests pass a seeded function). */
  random?: () => number;
}

export interface ApiServerHandle {
  url: string;
  port: number;
  store: MemoryStore;
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  setFaults(faults: FaultConfig): void;
  /**
   * Ends every open watch now (whose path matches `pathPattern`, if given): cuts the connection,
   * as an API server restart would, or with `graceful` ends the stream as a timeout would.
   */
  dropWatches(opts?: DropWatchesOptions): number;
  /** Resource requests served since start or the last reset, by verb, resource and path. */
  requestCounts(): RequestCounts;
  resetRequestCounts(): void;
  setMetricsSource(metrics: MetricsSource | undefined): void;
  /** Resource requests served so far, keyed "GET /api/v1/pods" / "WATCH /api/v1/pods". */
  requests(): Record<string, number>;
  resetRequests(): void;
  /** Compacts the watch history: a watch resuming from an older resourceVersion gets 410 Gone. */
  compactHistory(): void;
  stop(): Promise<void>;
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServerHandle> {
  const store = opts.store ?? new MemoryStore();
  const faults = new Faults(opts.faults, opts.random);
  let metrics = opts.metrics;
  const ctx: ServerContext = {
    store,
    faults,
    metrics: () => metrics,
    watches: new Map(),
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
    requests: new RequestLog(),
    cpuCounters: new CpuCounters(),
  };
  const host = opts.host ?? '127.0.0.1';
  let port = 0;
  const server = createApiHttpServer(ctx, () => `${host}:${port}`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    store,
    kubeconfigYaml: () => kubeconfigYaml(url),
    writeKubeconfig: (path) => writeKubeconfig(path, url),
    setFaults: (f) => faults.set(f),
    dropWatches: (o) => dropWatches(ctx, o),
    requestCounts: () => ctx.requests.get(),
    resetRequestCounts: () => ctx.requests.reset(),
    setMetricsSource: (m) => void (metrics = m),
    requests: () => ctx.requests.get().byPath,
    resetRequests: () => ctx.requests.reset(),
    compactHistory: () => store.history.compact(Number(store.resourceVersion())),
    stop: async () => {
      dropWatches(ctx, { graceful: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
