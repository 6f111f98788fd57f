// Counts of the resource requests the API served, by verb and by resource, so a benchmark can
// say how many requests a client makes per minute (as apiserver_request_total would on a real
// server). Discovery, OpenAPI, health and /sim/* are not counted: only what reaches a resource.
import type { Verb } from './faults.js';

export interface RequestCounts {
  total: number;
  byVerb: Partial<Record<Verb, number>>;
  /** "<verb> <resource id>", e.g. "list core/v1/pods". */
  byResource: Record<string, number>;
  /**
   * "<METHOD or WATCH> <path>", e.g. "GET /api/v1/pods", "WATCH /api/v1/pods"; a request with a
   * dryRun query parameter is "<METHOD> (dryRun) <path>".
   */
  byPath: Record<string, number>;
  /** When counting started (epoch ms), for rates. */
  sinceMs: number;
}

export class RequestLog {
  private counts: RequestCounts = RequestLog.empty();

  private static empty(): RequestCounts {
    return { total: 0, byVerb: {}, byResource: {}, byPath: {}, sinceMs: Date.now() };
  }

  record(verb: Verb, resource: string): void {
    const c = this.counts;
    c.total++;
    c.byVerb[verb] = (c.byVerb[verb] ?? 0) + 1;
    const key = `${verb} ${resource}`;
    c.byResource[key] = (c.byResource[key] ?? 0) + 1;
  }

  /** Counted as the request arrives, before its resource is resolved (a 404 counts too). */
  recordPath(key: string): void {
    this.counts.byPath[key] = (this.counts.byPath[key] ?? 0) + 1;
  }

  get(): RequestCounts {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = RequestLog.empty();
  }
}
