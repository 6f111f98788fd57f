// One watch cache per worker process, shared by every policy it runs (docs/architecture.md,
// "Watch cache and wake-ups"). Kinds start lazily on the first snapshot that needs them; each is a
// KindCache (list+watch, compact values). metrics.k8s.io cannot be watched, so its pod metrics are
// shared instead: one list per namespace per freshness window, however many policies ask.
import { Watch, type PodMetricsList } from '@kubernetes/client-node';
import type { EventSnapshot } from '../../domain/snapshot.js';
import type { Kube } from '../kube/clients.js';
import { KindCache, type KindCacheDeps, type KindState } from './kind-cache.js';
import { KIND_NAMES, type CachedPod, type KindName, type KindValues } from './kinds.js';

export type CacheChange =
  | { kind: 'pods'; before?: CachedPod; after?: CachedPod }
  | { kind: 'events'; before?: EventSnapshot; after?: EventSnapshot };

export interface WatchCacheOptions {
  kube: Kube;
  log?: KindCacheDeps['log'];
  nowMs?: () => number;
  random?: () => number;
  /** How long one metrics.k8s.io answer serves every policy in the namespace. Default 5 s. */
  metricsFreshMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  staleAfterMs?: number;
  recheckMs?: number;
}

export interface KindStats {
  state: KindState;
  objects: number;
  lists: number;
  watches: number;
}

type Caches = { [K in KindName]: KindCache<K> };

export class WatchCache {
  private readonly caches: Caches;
  private readonly listeners = new Set<(change: CacheChange) => void>();
  private readonly metrics = new Map<string, { atMs: number; value: Promise<PodMetricsList> }>();
  private readonly nowMs: () => number;

  constructor(private readonly opts: WatchCacheOptions) {
    this.nowMs = opts.nowMs ?? Date.now;
    const deps: KindCacheDeps = {
      kube: opts.kube,
      watch: new Watch(opts.kube.config),
      nowMs: this.nowMs,
      random: opts.random ?? Math.random,
      log: opts.log ?? ((): void => undefined),
      onChange: (kind, before, after) => this.emit(kind, before, after),
      ...(opts.backoffBaseMs !== undefined ? { backoffBaseMs: opts.backoffBaseMs } : {}),
      ...(opts.backoffMaxMs !== undefined ? { backoffMaxMs: opts.backoffMaxMs } : {}),
      ...(opts.staleAfterMs !== undefined ? { staleAfterMs: opts.staleAfterMs } : {}),
      ...(opts.recheckMs !== undefined ? { recheckMs: opts.recheckMs } : {}),
    };
    this.caches = Object.fromEntries(KIND_NAMES.map((k) => [k, new KindCache(k, deps)])) as Caches;
  }

  kind<K extends KindName>(kind: K): KindCache<K> {
    return this.caches[kind];
  }

  /** Current values of `kind` in `namespace`; see KindCache.read. */
  read<K extends KindName>(kind: K, namespace: string): KindValues[K][] | 'unserved' | undefined {
    return this.caches[kind].read(namespace);
  }

  /** Pod and event changes, for the wake-ups (operator/wake.ts). Returns the unsubscribe. */
  onChange(listener: (change: CacheChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** metrics.k8s.io for a namespace, shared by every caller within the freshness window. */
  podMetrics(namespace: string): Promise<PodMetricsList> {
    const now = this.nowMs();
    const hit = this.metrics.get(namespace);
    if (hit && now - hit.atMs < (this.opts.metricsFreshMs ?? 5000)) return hit.value;
    const value = this.opts.kube.metrics.getPodMetrics(namespace);
    this.metrics.set(namespace, { atMs: now, value });
    value.catch(() => this.metrics.delete(namespace)); // a failure is not shared beyond its callers
    return value;
  }

  stats(): Record<KindName, KindStats> {
    return Object.fromEntries(
      KIND_NAMES.map((k) => {
        const c = this.caches[k];
        return [k, { state: c.state, objects: c.size(), ...c.counts }];
      }),
    ) as Record<KindName, KindStats>;
  }

  stop(): void {
    for (const k of KIND_NAMES) this.caches[k].stop();
    this.listeners.clear();
  }

  private emit(kind: KindName, before: unknown, after: unknown): void {
    if (kind !== 'pods' && kind !== 'events') return;
    const change = {
      kind,
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    } as CacheChange;
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.opts.log?.('warn', 'watch cache listener failed', { error: String(err) });
      }
    }
  }
}
