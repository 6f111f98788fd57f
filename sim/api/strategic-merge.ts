// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) without Go struct tags:
// the merge keys of the built-in kinds are known by field name, as below. Supports null deletes,
// `$patch: replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<f>` and
// `$setElementOrder/<f>` (which kubectl apply sends).
import { clone, isPlainObject } from './util.js';

type Obj = Record<string, unknown>;

/** patchMergeKey per list field name in core/apps/policy v1 (`ports` depends on its items). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  taints: 'key',
  addresses: 'type',
};
/** Primitive lists whose patch strategy is merge (set union) rather than replace. */
const MERGE_PRIMITIVES = new Set(['finalizers']);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === 'ports')
    return items.some((i) => isPlainObject(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

function mergeList(
  field: string,
  original: unknown[],
  patch: unknown[],
  order: unknown[] | undefined,
): unknown[] {
  const key = mergeKeyFor(field, [...patch, ...original]);
  if (!key || !patch.every(isPlainObject)) {
    if (MERGE_PRIMITIVES.has(field) && patch.every((v) => !isPlainObject(v)))
      return [...new Set([...original, ...patch])];
    return clone(patch);
  }
  if (patch.some((p) => (p as Obj).$patch === 'replace')) {
    return patch.filter((p) => (p as Obj).$patch !== 'replace').map(clone);
  }
  const result = original.map(clone);
  for (const p of patch as Obj[]) {
    const idx = result.findIndex((o) => isPlainObject(o) && o[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) result.splice(idx, 1);
    } else if (idx >= 0) {
      result[idx] = strategicMerge(result[idx], p);
    } else {
      result.push(strategicMerge({}, p));
    }
  }
  if (!order) return result;
  // $setElementOrder: the listed items first in the given order, then any others as they were.
  const rank = (o: unknown): number => {
    const i = order.findIndex((e) => isPlainObject(e) && isPlainObject(o) && e[key] === o[key]);
    return i < 0 ? order.length : i;
  };
  return result
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map((x) => x.o);
}

export function strategicMerge(original: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  const base: Obj = directive === 'replace' || !isPlainObject(original) ? {} : clone(original);
  const retain = patch.$retainKeys as string[] | undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(base[field]))
        base[field] = (base[field] as unknown[]).filter((x) => !(v as unknown[]).includes(x));
      continue;
    }
    if (v === null) {
      delete base[k];
    } else if (Array.isArray(v)) {
      const order = patch[`$setElementOrder/${k}`] as unknown[] | undefined;
      base[k] = mergeList(k, Array.isArray(base[k]) ? (base[k] as unknown[]) : [], v, order);
    } else if (isPlainObject(v)) {
      const merged = strategicMerge(base[k], v);
      if (merged === undefined) delete base[k];
      else base[k] = merged;
    } else {
      base[k] = v;
    }
  }
  if (retain) for (const k of Object.keys(base)) if (!retain.includes(k)) delete base[k];
  return base;
}
