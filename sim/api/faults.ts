// Fault injection for resilience tests: latency, error responses and watch drops, switchable at
// start, through the handle, or over HTTP (GET/PUT /sim/faults). Only resource requests are
// affected; discovery, health and /sim/faults itself stay reliable so clients can bootstrap.
import { ApiError } from './errors.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
type PerVerb<T> = T | Partial<Record<Verb, T>>;

export interface FaultConfig {
  /** Added delay in ms, for all verbs or per verb. */
  latencyMs?: PerVerb<number>;
  /** Probability (0..1) that a request fails, for all verbs or per verb. */
  errorRate?: PerVerb<number>;
  /** Codes to pick from when failing (429, 500, 503). Default [500]. */
  errorCodes?: number[];
  /** Retry-After sent with 429. Default 1. */
  retryAfterSeconds?: number;
  /** Close every watch stream this long after it opens. */
  watchDropAfterMs?: number;
  /** Probability that a watch is closed after each event it sends. */
  watchDropProbability?: number;
  /** Only requests whose path matches this regular expression are affected. */
  pathPattern?: string;
}

const pick = <T>(v: PerVerb<T> | undefined, verb: Verb): T | undefined =>
  v !== null && typeof v === 'object' ? (v as Partial<Record<Verb, T>>)[verb] : v;

const MESSAGES: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'Too many requests, please try again later.'],
  500: ['InternalError', 'Internal error occurred: injected fault'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
};

export class Faults {
  private config: FaultConfig = {};

  constructor(
    initial: FaultConfig = {},
    private readonly random: () => number = Math.random,
  ) {
    this.set(initial);
  }

  get(): FaultConfig {
    return structuredClone(this.config);
  }

  set(config: FaultConfig): void {
    for (const code of config.errorCodes ?? []) {
      if (!MESSAGES[code])
        throw new ApiError(400, 'BadRequest', `unsupported fault code ${code}; use 429, 500 or 503`);
    }
    if (config.pathPattern) new RegExp(config.pathPattern); // fail early on a bad pattern
    this.config = structuredClone(config);
  }

  private applies(path: string): boolean {
    return !this.config.pathPattern || new RegExp(this.config.pathPattern).test(path);
  }

  /** Waits for the configured latency, then throws an injected error if the dice say so. */
  async before(verb: Verb, path: string): Promise<void> {
    if (!this.applies(path)) return;
    const latency = pick(this.config.latencyMs, verb) ?? 0;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const rate = pick(this.config.errorRate, verb) ?? 0;
    if (rate > 0 && this.random() < rate) {
      const codes = this.config.errorCodes?.length ? this.config.errorCodes : [500];
      const code = codes[Math.floor(this.random() * codes.length)]!;
      const [reason, message] = MESSAGES[code]!;
      const retryAfterSeconds = this.config.retryAfterSeconds ?? 1;
      throw new ApiError(code, reason, message, code === 429 ? { retryAfterSeconds, causes: [] } : {});
    }
  }

  watchDropAfterMs(path: string): number | undefined {
    return this.applies(path) ? this.config.watchDropAfterMs : undefined;
  }

  shouldDropWatch(path: string): boolean {
    const p = this.config.watchDropProbability ?? 0;
    return p > 0 && this.applies(path) && this.random() < p;
  }
}
