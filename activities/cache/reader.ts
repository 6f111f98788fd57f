// Where collectSnapshot reads from: the worker's watch cache when it is current for a kind, else
// the API directly (per namespace, as before the cache). Both answer in the same compact form.
import type { PodMetricsList } from '@kubernetes/client-node';
import type { LabelSelector } from '../../crds/common.js';
import { matchesLabelSelector } from '../../domain/selector.js';
import type { Kube } from '../kube/clients.js';
import { isNotFound, toFailure } from '../kube/errors.js';
import { KINDS, type CachedPod, type KindName, type KindValues } from './kinds.js';
import type { WatchCache } from './watch-cache.js';

export interface ClusterReader {
  /** Pods are filtered by `labelSelector` when one is given; other kinds ignore it. */
  list<K extends KindName>(
    kind: K,
    namespace: string,
    labelSelector?: LabelSelector,
  ): Promise<KindValues[K][]>;
  /** `maxAgeMs`: how old a shared answer may be (the cache); a direct read is always fresh. */
  podMetrics(namespace: string, maxAgeMs?: number): Promise<PodMetricsList>;
}

export function labelSelectorString(sel: LabelSelector | undefined): string | undefined {
  if (!sel) return undefined;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : undefined;
}

async function listDirect<K extends KindName>(
  kube: Kube,
  kind: K,
  namespace: string,
  labelSelector?: LabelSelector,
): Promise<KindValues[K][]> {
  const spec = KINDS[kind];
  try {
    const list = await spec.listIn(kube, namespace, labelSelectorString(labelSelector));
    return list.items.flatMap((o) => {
      const v = spec.convert(o) as KindValues[K] | undefined;
      return v === undefined ? [] : [v];
    });
  } catch (err) {
    if (!spec.required && isNotFound(err)) return []; // the API group is not served on this cluster
    throw toFailure(err, `list ${kind} in ${namespace}`);
  }
}

/** Lists every kind from the API on every call: the behaviour with KUBESKIPPY_WATCH_CACHE=off. */
export function directReader(kube: Kube): ClusterReader {
  return {
    list: (kind, namespace, labelSelector) => listDirect(kube, kind, namespace, labelSelector),
    podMetrics: (namespace) => kube.metrics.getPodMetrics(namespace),
  };
}

/** Reads the watch cache; lists directly only for a kind whose cache is not synced (or is stale). */
export function cachedReader(cache: Pick<WatchCache, 'read' | 'podMetrics'>, kube: Kube): ClusterReader {
  return {
    list: async <K extends KindName>(
      kind: K,
      namespace: string,
      labelSelector?: LabelSelector,
    ): Promise<KindValues[K][]> => {
      const hit = cache.read(kind, namespace);
      if (hit === 'unserved') return [];
      if (hit === undefined) return listDirect(kube, kind, namespace, labelSelector);
      if (kind !== 'pods' || !labelSelector) return hit;
      return hit.filter((p) => matchesLabelSelector(labelSelector, (p as CachedPod).pod.labels));
    },
    podMetrics: (namespace, maxAgeMs) => cache.podMetrics(namespace, maxAgeMs),
  };
}
