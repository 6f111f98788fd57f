// What every HTTP handler gets.
import type { ServerResponse } from 'node:http';
import type { MetricsSource } from '../contract.js';
import type { Faults } from './faults.js';
import type { RequestLog } from './requests.js';
import type { MemoryStore } from './store.js';

/** An open watch stream: the path it watches, and how to end it (as a dropped connection). */
export interface OpenWatch {
  path: string;
  close(): void;
}

export interface ServerContext {
  store: MemoryStore;
  faults: Faults;
  metrics(): MetricsSource | undefined;
  /** Open watch streams, ended when the server stops or a test drops them. */
  watches: Map<ServerResponse, OpenWatch>;
  requests: RequestLog;
  bookmarkIntervalMs: number;
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
