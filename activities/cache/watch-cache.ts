// One watch cache per worker process, shared by every policy it runs (docs/architecture.md,
// "Watch cache and wake-ups"). Kinds start lazily on the first snapshot that needs them; each is a
// KindCache (list+watch, compact values). metrics.k8s.io cannot be watched, so its pod metrics are
// shared instead: one list per namespace per freshness window, however many policies ask; and once
// policies in several namespaces ask within a window, one cluster-wide list for all of them, so the
// cost stays flat in the number of namespaces (1,000 policies in 1,000 namespaces: one list).
import { Watch, type PodMetricsList } from '@kubernetes/client-node';
import type { EventSnapshot } from '../../domain/snapshot.js';
import type { Kube } from '../kube/clients.js';
import { classify, ErrorType } from '../kube/errors.js';
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
  /** Namespaces asked within a window from which one cluster-wide list serves them all. Default 3. */
  metricsClusterWideFrom?: number;
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
/** One cluster-wide list by namespace; `empty` answers a namespace with no pods in it. */
type ClusterMetrics = Map<string, PodMetricsList> & { empty: PodMetricsList };

export class WatchCache {
  private readonly caches: Caches;
  private readonly listeners = new Set<(change: CacheChange) => void>();
  private readonly metrics = new Map<string, { atMs: number; value: Promise<PodMetricsList> }>();
  /** Namespace → when its metrics were last asked for, to choose per-namespace or cluster-wide. */
  private readonly metricsAsked = new Map<string, number>();
  private clusterMetrics: { atMs: number; value: Promise<ClusterMetrics> } | undefined;
  /** A cluster-wide metrics list was refused (403): a namespaced Role only; list per namespace. */
  private clusterMetricsForbidden = false;
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

  /**
   * metrics.k8s.io for a namespace, shared by every caller within the freshness window, and never
   * older than the caller's `maxAgeMs` (a policy evaluating every second must not read a sample
   * from five seconds ago: its `for` windows would start late).
   */
  async podMetrics(namespace: string, maxAgeMs?: number): Promise<PodMetricsList> {
    const now = this.nowMs();
    const windowMs = this.opts.metricsFreshMs ?? 5000;
    const freshMs = Math.min(windowMs, maxAgeMs ?? windowMs);
    this.metricsAsked.set(namespace, now);
    for (const [ns, at] of this.metricsAsked) if (now - at > 2 * windowMs) this.metricsAsked.delete(ns);
    if (!this.clusterMetricsForbidden && this.metricsAsked.size >= (this.opts.metricsClusterWideFrom ?? 3)) {
      try {
        const all = await this.clusterWideMetrics(now, freshMs);
        return all.get(namespace) ?? all.empty;
      } catch (err) {
        if (classify(err).type !== ErrorType.Forbidden) throw err;
        this.clusterMetricsForbidden = true;
        this.opts.log?.('warn', 'metrics.k8s.io: cluster-wide list forbidden; listing per namespace', {});
      }
    }
    const hit = this.metrics.get(namespace);
    if (hit && now - hit.atMs < freshMs) return hit.value;
    const value = this.opts.kube.metrics.getPodMetrics(namespace);
    this.metrics.set(namespace, { atMs: now, value });
    value.catch(() => this.metrics.delete(namespace)); // a failure is not shared beyond its callers
    return value;
  }

  /** Every namespace's pod metrics from one list, shared within the freshness window. */
  private clusterWideMetrics(now: number, freshMs: number): Promise<ClusterMetrics> {
    const hit = this.clusterMetrics;
    if (hit && now - hit.atMs < freshMs) return hit.value;
    const value = this.opts.kube.metrics.getPodMetrics().then((list) => {
      const byNamespace = new Map<string, PodMetricsList>();
      for (const item of list.items) {
        const ns = item.metadata.namespace ?? '';
        const into = byNamespace.get(ns) ?? { ...list, items: [] };
        into.items.push(item);
        byNamespace.set(ns, into);
      }
      return Object.assign(byNamespace, { empty: { ...list, items: [] } });
    });
    this.clusterMetrics = { atMs: now, value };
    value.catch(() => (this.clusterMetrics = undefined));
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
