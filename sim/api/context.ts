// What every HTTP handler gets.
import type { ServerResponse } from 'node:http';
import type { MetricsSource } from '../contract.js';
import type { Faults } from './faults.js';
import type { CpuCounters } from './pod-series.js';
import type { RequestLog } from './requests.js';
import type { MemoryStore } from './store.js';

/** An open watch stream: the path it watches, and how to end it. */
export interface OpenWatch {
  path: string;
  /** Ends the stream cleanly, as the server's own timeout would: clients resume. */
  close(): void;
  /** Cuts the connection, as an API server restart or a network fault would. */
  reset(): void;
}

export interface ServerContext {
  store: MemoryStore;
  faults: Faults;
  metrics(): MetricsSource | undefined;
  /** Open watch streams, ended when the server stops or a test drops them. */
  watches: Map<ServerResponse, OpenWatch>;
  bookmarkIntervalMs: number;
  /** Resource requests served (GET /sim/requests reads them, DELETE resets). */
  requests: RequestLog;
  /** CPU seconds per container, advanced by each read of /metrics/pods (pod-series.ts). */
  cpuCounters: CpuCounters;
}

export interface ApiRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  accept: string;
  contentType: string;
  /** The body as text (JSON, YAML, patches) and as bytes (protobuf). */
  body: string;
  raw: Buffer;
}
