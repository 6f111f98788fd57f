// One kind's list+watch: a cluster-wide list, then a watch from its resourceVersion, kept in the
// compact converted form (kinds.ts), never the full objects.
//
//   idle ──first read──▶ listing ──ok──▶ watching ──drop / error──▶ back-off ──▶ watching (resume at rv)
//                          │                 │ 410 Gone (ERROR event or status) ──▶ listing (diffed: changes are emitted)
//                          ├─ 404 ─▶ unserved: snapshots read none, not asked again until the re-check (5 min)
//                          └─ 403 ─▶ forbidden: snapshots list per namespace, as without the cache (logged once)
//
// Why not client-node's makeInformer: its ListWatch re-lists on every 410 and reconnects after
// errors without jitter, keeps whole objects, and offers no way to say "this kind is not served,
// stop asking" — the issue this cache exists for (API load). A loop on client-node's own `Watch`
// class is forty lines and does exactly the back-off, bookmarks and diffing we need.
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Watch } from '@kubernetes/client-node';
import type { Kube } from '../kube/clients.js';
import { httpStatus } from '../kube/errors.js';
import { KINDS, namespaceOf, type KindName, type KindValues } from './kinds.js';

export type KindState = 'idle' | 'listing' | 'watching' | 'backoff' | 'unserved' | 'forbidden' | 'stopped';

export interface KindCacheDeps {
  kube: Kube;
  watch: Watch;
  nowMs: () => number;
  random: () => number;
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
  /** Every stored change; `before` undefined = added, `after` undefined = deleted. */
  onChange?: (kind: KindName, before: unknown, after: unknown) => void;
  /** Back-off between failed watches / lists: base doubles per failure up to max, with jitter. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A cache whose watch has been down this long is not trusted: snapshots list directly. */
  staleAfterMs?: number;
  /** How long a 404 (or 403) answer is believed before asking again. */
  recheckMs?: number;
}

type WatchEnd = 'gone' | 'closed' | 'failed';
const keyOf = (o: { metadata?: { uid?: string; namespace?: string; name?: string } }): string =>
  o.metadata?.uid || `${o.metadata?.namespace}/${o.metadata?.name}`;

/** Exponential back-off with "equal jitter": half fixed, half random, so reconnects spread out. */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

export class KindCache<K extends KindName> {
  state: KindState = 'idle';
  /** Requests this cache made (lists, watches), for tests and metrics. */
  readonly counts = { lists: 0, watches: 0 };
  private readonly byNs = new Map<string, Map<string, KindValues[K]>>();
  private rv = '';
  private synced = false;
  private downSinceMs: number | undefined;
  private recheckAtMs = 0;
  private failures = 0;
  private loggedForbidden = false;
  private abort: AbortController | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    readonly kind: K,
    private readonly deps: KindCacheDeps,
  ) {}

  /**
   * The kind's values in `namespace` when the cache is current; `'unserved'` when the cluster does
   * not serve the kind (read none); undefined when the caller must list directly.
   */
  read(namespace: string): KindValues[K][] | 'unserved' | undefined {
    this.start();
    if (this.state === 'unserved') return 'unserved';
    if (!this.synced || this.state === 'forbidden') return undefined;
    const down = this.downSinceMs;
    if (down !== undefined && this.deps.nowMs() - down > (this.deps.staleAfterMs ?? 5000)) return undefined;
    return [...(this.byNs.get(namespace)?.values() ?? [])];
  }

  /** Every stored value (for the wake-up rules' look-ups). */
  get(namespace: string, key: (v: KindValues[K]) => boolean): KindValues[K] | undefined {
    for (const v of this.byNs.get(namespace)?.values() ?? []) if (key(v)) return v;
    return undefined;
  }

  size(): number {
    let n = 0;
    for (const m of this.byNs.values()) n += m.size;
    return n;
  }

  /** Starts the loop on first need, and again once a 404/403 answer is old enough to re-check. */
  start(): void {
    const waiting = this.state === 'unserved' || this.state === 'forbidden';
    if (this.state !== 'idle' && !(waiting && this.deps.nowMs() >= this.recheckAtMs)) return;
    this.state = 'listing';
    // The loop outlives the activity whose read started it: its lists and watches belong to no
    // incident's trace (a no-op when tracing is off).
    void context.with(ROOT_CONTEXT, () => this.run());
  }

  stop(): void {
    this.state = 'stopped';
    this.abort?.abort();
    this.wakeSleep?.();
  }

  private async run(): Promise<void> {
    while (this.state !== 'stopped') {
      if (!this.rv) {
        const listed = await this.relist();
        if (listed === 'give-up') return;
        if (listed === 'retry') {
          await this.sleep(this.nextBackoff());
          continue;
        }
      }
      const end = await this.watchOnce();
      if (this.isStopped()) return;
      this.downSinceMs ??= this.deps.nowMs();
      if (end === 'gone')
        this.rv = ''; // the server compacted past us: list again, at once
      else if (end === 'failed') {
        this.state = 'backoff';
        await this.sleep(this.nextBackoff());
      }
    }
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private nextBackoff(): number {
    this.failures++;
    const { backoffBaseMs = 250, backoffMaxMs = 30_000, random } = this.deps;
    return backoffMs(this.failures, backoffBaseMs, backoffMaxMs, random);
  }

  private async relist(): Promise<'ok' | 'retry' | 'give-up'> {
    const spec = KINDS[this.kind];
    this.counts.lists++;
    try {
      const list = await spec.listAll(this.deps.kube);
      this.replaceAll(list.items);
      this.rv = list.metadata?.resourceVersion ?? '';
      this.synced = true;
      this.state = 'listing';
      return 'ok';
    } catch (err) {
      const code = httpStatus(err);
      if (code === 404 || code === 403) {
        this.state = code === 404 ? 'unserved' : 'forbidden';
        this.recheckAtMs = this.deps.nowMs() + (this.deps.recheckMs ?? 300_000);
        if (code === 404)
          this.deps.log('info', 'kind not served by this cluster; not asking again for a while', {
            kind: this.kind,
          });
        else if (!this.loggedForbidden) {
          this.loggedForbidden = true;
          this.deps.log('warn', 'cluster-wide list forbidden; snapshots list per namespace instead', {
            kind: this.kind,
          });
        }
        return 'give-up';
      }
      this.deps.log('warn', 'watch cache list failed; backing off', { kind: this.kind, error: String(err) });
      return 'retry';
    }
  }

  /** Stores a fresh list; after a 410 the differences are emitted so no change is lost. */
  private replaceAll(items: unknown[]): void {
    const seen = new Set<string>();
    for (const o of items) {
      seen.add(keyOf(o as never));
      this.put(o, this.synced);
    }
    for (const [ns, m] of this.byNs)
      for (const [key, before] of m)
        if (!seen.has(key)) {
          m.delete(key);
          if (this.synced) this.deps.onChange?.(this.kind, before, undefined);
          if (!m.size) this.byNs.delete(ns);
        }
  }

  private put(o: unknown, emit: boolean): void {
    const after = KINDS[this.kind].convert(o) as KindValues[K] | undefined;
    if (!after) return;
    const ns = namespaceOf(this.kind, after);
    const key = keyOf(o as never);
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    const before = m.get(key);
    m.set(key, after);
    if (emit && JSON.stringify(before) !== JSON.stringify(after))
      this.deps.onChange?.(this.kind, before, after);
  }

  private remove(o: unknown): void {
    const key = keyOf(o as never);
    for (const [ns, m] of this.byNs) {
      const before = m.get(key);
      if (before === undefined) continue;
      m.delete(key);
      if (!m.size) this.byNs.delete(ns);
      this.deps.onChange?.(this.kind, before, undefined);
    }
  }

  private watchOnce(): Promise<WatchEnd> {
    const spec = KINDS[this.kind];
    const startedMs = this.deps.nowMs();
    let gone = false;
    let events = 0;
    let ended = false;
    this.counts.watches++;
    return new Promise<WatchEnd>((resolve) => {
      const onEvent = (
        type: string,
        obj: { code?: number; metadata?: { resourceVersion?: string } },
      ): void => {
        events++;
        if (type === 'ERROR') gone ||= obj?.code === 410;
        else if (type === 'DELETED') this.remove(obj);
        else if (type !== 'BOOKMARK') this.put(obj, true);
        if (type !== 'ERROR' && obj?.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
      };
      const done = (err: unknown): void => {
        ended = true;
        this.abort = undefined;
        if (gone || httpStatus(err) === 410 || (err as { statusCode?: number })?.statusCode === 410)
          return resolve('gone');
        const timedOut = (err as Error | undefined)?.name === 'TimeoutError'; // client-side inactivity: just resume
        // A watch that ends at once with nothing said counts as a failure, so a server that drops
        // every watch gets back-off, not a tight reconnect loop.
        const quiet = events === 0 && this.deps.nowMs() - startedMs < 1000;
        const failed = (err && !timedOut) || (quiet && !timedOut);
        if (!failed) this.failures = 0;
        resolve(failed ? 'failed' : 'closed');
      };
      const query = {
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds: 300,
        ...(spec.fieldSelector ? { fieldSelector: spec.fieldSelector } : {}),
      };
      this.deps.watch.watch(spec.path, query, onEvent, done).then(
        (abort) => {
          this.abort = abort;
          if (this.isStopped()) abort.abort();
          else if (!ended) {
            this.state = 'watching';
            this.downSinceMs = undefined;
          }
        },
        (err: unknown) => done(err),
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
