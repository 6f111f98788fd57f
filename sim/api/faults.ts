// Fault injection for resilience tests: latency, error responses, requests that hang and watch
// drops, switchable at start, through the handle, or over HTTP (GET/PUT /sim/faults). Only
// resource requests are affected; discovery, health and /sim/faults itself stay reliable so
// clients can bootstrap.
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { sendError } from './http-util.js';

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
  /**
   * Probability (0..1) that a request hangs: no answer until the client gives up (closes the
   * connection) or `timeoutMs` passes, then kube-apiserver's 504 Timeout. Rolled with the same die
   * as `errorRate`, so `errorRate: 0.15, timeoutRate: 0.05` fails 20% of requests in all.
   */
  timeoutRate?: PerVerb<number>;
  /** How long a hanging request is held. Default 60 s, kube-apiserver's --request-timeout. */
  timeoutMs?: number;
  /**
   * Whether a hanging request is still carried out, only its answer lost (the case a client cannot
   * tell from a failure: it must not do the work twice). Default false: nothing happens. Watches
   * always hang before they start.
   */
  timeoutApplied?: PerVerb<boolean>;
}

/** What the dice decided for one request. */
export type FaultVerdict = 'ok' | 'error' | 'timeout';

const pick = <T>(v: PerVerb<T> | undefined, verb: Verb): T | undefined =>
  v !== null && typeof v === 'object' ? (v as Partial<Record<Verb, T>>)[verb] : v;

const MESSAGES: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'Too many requests, please try again later.'],
  500: ['InternalError', 'Internal error occurred: injected fault'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
};

/** How many requests the dice failed since start or the last reset. */
export interface FaultCounts {
  /** Answered 429/500/503. */
  errors: number;
  /** Held, then 504 (or the client gave up first). */
  timeouts: number;
  /** Of the timeouts, those carried out with only the answer lost. */
  timeoutsApplied: number;
}

export class Faults {
  private config: FaultConfig = {};
  private counts: FaultCounts = { errors: 0, timeouts: 0, timeoutsApplied: 0 };

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

  injected(): FaultCounts {
    return { ...this.counts };
  }

  resetInjected(): void {
    this.counts = { errors: 0, timeouts: 0, timeoutsApplied: 0 };
  }

  private applies(path: string): boolean {
    return !this.config.pathPattern || new RegExp(this.config.pathPattern).test(path);
  }

  /**
   * Waits for the configured latency, then throws an injected error if the dice say so. A hanging
   * request waits here (and then throws the 504), or, when applied, returns with `res` held: the
   * handler runs and its answer is swallowed until the 504 goes out instead.
   */
  async before(verb: Verb, path: string, res?: ServerResponse): Promise<void> {
    if (!this.applies(path)) return;
    const latency = pick(this.config.latencyMs, verb) ?? 0;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const verdict = this.roll(verb);
    if (verdict === 'error') {
      this.counts.errors++;
      throw this.injectedError();
    }
    if (verdict !== 'timeout') return;
    this.counts.timeouts++;
    const holdMs = this.config.timeoutMs ?? 60_000;
    if (res && verb !== 'watch' && pick(this.config.timeoutApplied, verb)) {
      this.counts.timeoutsApplied++;
      return holdAnswer(res, holdMs);
    }
    await hang(res, holdMs);
    throw timeoutError();
  }

  /** One die for errors and timeouts: below timeoutRate it hangs, below the sum it fails. */
  private roll(verb: Verb): FaultVerdict {
    const timeoutRate = pick(this.config.timeoutRate, verb) ?? 0;
    const errorRate = pick(this.config.errorRate, verb) ?? 0;
    if (timeoutRate + errorRate <= 0) return 'ok';
    const u = this.random();
    if (u < timeoutRate) return 'timeout';
    return u < timeoutRate + errorRate ? 'error' : 'ok';
  }

  private injectedError(): ApiError {
    const codes = this.config.errorCodes?.length ? this.config.errorCodes : [500];
    const code = codes[Math.floor(this.random() * codes.length)]!;
    const [reason, message] = MESSAGES[code]!;
    const retryAfterSeconds = this.config.retryAfterSeconds ?? 1;
    return new ApiError(code, reason, message, code === 429 ? { retryAfterSeconds, causes: [] } : {});
  }

  watchDropAfterMs(path: string): number | undefined {
    return this.applies(path) ? this.config.watchDropAfterMs : undefined;
  }

  shouldDropWatch(path: string): boolean {
    const p = this.config.watchDropProbability ?? 0;
    return p > 0 && this.applies(path) && this.random() < p;
  }
}

/** kube-apiserver's answer to a request that outlived --request-timeout. */
function timeoutError(): ApiError {
  return new ApiError(504, 'Timeout', 'Timeout: request did not complete within the allotted timeout', {});
}

/** Resolves after `ms`, or as soon as the client closes the connection. */
function hang(res: ServerResponse | undefined, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      res?.off('close', done);
      resolve();
    }
    res?.once('close', done);
  });
}

/**
 * Swallows what the handler writes (its status stays on `res.statusCode`, so the request log sees
 * what was done), then, after the hold, answers 504 if the client is still there.
 */
function holdAnswer(res: ServerResponse, ms: number): void {
  const held = res as unknown as Record<string, unknown>;
  held.writeHead = (code: number): ServerResponse => {
    res.statusCode = code;
    return res;
  };
  held.write = (): boolean => true;
  held.end = (): ServerResponse => res;
  void hang(res, ms).then(() => {
    delete held.writeHead;
    delete held.write;
    delete held.end;
    if (!res.destroyed && !res.writableEnded) sendError(res, timeoutError());
  });
}
