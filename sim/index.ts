// The simulated cluster in one call: the Kubernetes API server (sim/api) on a store, the
// controllers that make it behave like a cluster (sim/controllers) on the same store, and optional
// scenario files applied at start. `kubeskippy sim`, the demo and the integration tests use this.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ContainerUsage, MetricsSource, Store } from './contract.js';
import {
  startApiServer,
  type DropWatchesOptions,
  type FaultCounts,
  type RequestCounts,
} from './api/index.js';
import { startControllers } from './controllers/index.js';
import { applyFiles } from './scenarios.js';

type ApiOptions = NonNullable<Parameters<typeof startApiServer>[0]>;

export interface SimOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  nodes?: number;
  timeScale?: number;
  /** YAML files applied (create-or-update) once the cluster runs. */
  scenarios?: string[];
  faults?: ApiOptions['faults'];
  /** Where to write a kubeconfig for kubectl and the operator. */
  kubeconfigOut?: string;
}

export interface SimHandle {
  url: string;
  port: number;
  store: Store;
  metrics: MetricsSource;
  kubeconfigPath?: string;
  /** What applying the scenarios did, e.g. "deployment/web created". */
  applied: string[];
  kubeconfigYaml(): string;
  /** Change the API's injected faults (latency, errors) while running. */
  setFaults(faults: NonNullable<ApiOptions['faults']>): void;
  /** Requests the injected faults failed (429/500/503) or held (timeouts) so far. */
  faultCounts(): FaultCounts;
  /** Resource requests served so far, keyed "GET /api/v1/pods" / "WATCH /api/v1/pods". */
  requests(): Record<string, number>;
  resetRequests(): void;
  /** Resource requests served since start or the last reset, by verb, resource and path. */
  requestCounts(): RequestCounts;
  resetRequestCounts(): void;
  /**
   * Ends every open watch now (a dropped connection / API server restart; `graceful` ends the
   * streams as a timeout would), only those whose path matches `pathPattern` if given.
   */
  dropWatches(opts?: DropWatchesOptions): number;
  /** Compacts the watch history: a watch resuming from an older resourceVersion gets 410 Gone. */
  compactHistory(): void;
  stop(): Promise<void>;
}

export async function startSim(opts: SimOptions = {}): Promise<SimHandle> {
  // The API needs a metrics source before the controllers (which compute it) exist: delegate.
  const delegate: { source?: MetricsSource } = {};
  const metrics: MetricsSource = {
    podUsage: (ns, name): ContainerUsage[] | undefined => delegate.source?.podUsage(ns, name),
    nodeUsage: (name) => delegate.source?.nodeUsage(name),
  };
  const api = await startApiServer({
    port: opts.port ?? 0,
    metrics,
    ...(opts.faults ? { faults: opts.faults } : {}),
  });
  const controllers = startControllers({ store: api.store, nodes: opts.nodes, timeScale: opts.timeScale });
  delegate.source = controllers.metrics;
  const stop = async (): Promise<void> => {
    await controllers.stop();
    await api.stop();
  };
  try {
    const applied = await applyFiles(api.store, opts.scenarios ?? []);
    if (opts.kubeconfigOut) {
      await mkdir(dirname(opts.kubeconfigOut), { recursive: true });
      await api.writeKubeconfig(opts.kubeconfigOut);
    }
    return {
      url: api.url,
      port: api.port,
      store: api.store,
      metrics,
      kubeconfigPath: opts.kubeconfigOut,
      applied,
      kubeconfigYaml: () => api.kubeconfigYaml(),
      setFaults: (faults) => api.setFaults(faults),
      faultCounts: () => api.faultCounts(),
      requests: () => api.requests(),
      resetRequests: () => api.resetRequests(),
      requestCounts: () => api.requestCounts(),
      resetRequestCounts: () => api.resetRequestCounts(),
      dropWatches: (o) => api.dropWatches(o),
      compactHistory: () => api.compactHistory(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
