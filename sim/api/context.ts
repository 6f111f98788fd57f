// What every HTTP handler gets.
import type { ServerResponse } from 'node:http';
import type { MetricsSource } from '../contract.js';
import type { Faults } from './faults.js';
import type { MemoryStore } from './store.js';

export interface ServerContext {
  store: MemoryStore;
  faults: Faults;
  metrics(): MetricsSource | undefined;
  /** Open watch streams, ended when the server stops. */
  watches: Set<ServerResponse>;
  bookmarkIntervalMs: number;
  /** Resource requests served, by "VERB path" (GET /sim/requests reads them, DELETE resets). */
  requests: Map<string, number>;
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
