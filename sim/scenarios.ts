// Applies plain Kubernetes YAML (multi-document) to the simulated cluster's store, create-or-update
// like `kubectl apply`, so demo apps and policies load at start without a kubectl round trip.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { KObject, Store } from './contract.js';

interface Target {
  resource: string;
  namespaced: boolean;
}

// Built-in kinds a scenario is likely to hold; anything else is looked up among installed CRDs,
// then guessed the way Kubernetes pluralises ("Policy" → "policies").
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
]);
const IRREGULAR: Record<string, string> = { Endpoints: 'endpoints' };

function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (IRREGULAR[kind]) return IRREGULAR[kind];
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

export function targetOf(store: Store, obj: KObject): Target {
  const [group, version] = obj.apiVersion.includes('/')
    ? obj.apiVersion.split('/')
    : ['core', obj.apiVersion];
  const crd = store
    .list('apiextensions.k8s.io/v1/customresourcedefinitions')
    .find((c) => c.spec?.group === group && c.spec?.names?.kind === obj.kind);
  if (crd)
    return {
      resource: `${group}/${version}/${crd.spec.names.plural}`,
      namespaced: crd.spec.scope !== 'Cluster',
    };
  return { resource: `${group}/${version}/${pluralOf(obj.kind)}`, namespaced: !CLUSTER_SCOPED.has(obj.kind) };
}

/** Parses multi-document YAML into objects; empty documents are skipped, syntax errors throw. */
export function parseManifests(text: string, source = 'input'): KObject[] {
  const objects: KObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as KObject | null;
    if (value === null || value === undefined) continue;
    if (value.kind === 'List' && Array.isArray(value['items']))
      objects.push(...(value['items'] as KObject[]));
    else objects.push(value);
  }
  for (const o of objects) {
    if (!o?.apiVersion || !o.kind || !o.metadata?.name) {
      throw new Error(`${source}: every object needs apiVersion, kind and metadata.name`);
    }
  }
  return objects;
}

/** Namespaces and CRDs go first, as `kubectl apply` users arrange by hand. */
const rank = (o: KObject): number =>
  o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2;

/** Creates each object, or replaces its spec if it exists; returns "kind/name created|configured". */
export function applyObjects(store: Store, objects: KObject[]): string[] {
  const results: string[] = [];
  for (const obj of [...objects].sort((a, b) => rank(a) - rank(b))) {
    const { resource, namespaced } = targetOf(store, obj);
    const namespace = namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    const body: KObject = { ...obj, metadata: { ...obj.metadata, namespace } };
    const what = `${obj.kind.toLowerCase()}/${obj.metadata.name}`;
    try {
      const existing = store.get(resource, namespace, obj.metadata.name ?? '');
      if (existing) {
        const metadata = { ...existing.metadata, ...body.metadata, resourceVersion: undefined };
        store.update(resource, { ...body, metadata });
        results.push(`${what} configured`);
      } else {
        store.create(resource, body);
        results.push(`${what} created`);
      }
    } catch (err) {
      throw new Error(`${what}${namespace ? ` in ${namespace}` : ''}: ${(err as Error).message}`);
    }
  }
  return results;
}

/** Reads and applies scenario files in order; errors name the file. */
export async function applyFiles(store: Store, files: string[]): Promise<string[]> {
  const parsed: { file: string; objects: KObject[] }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(
        `cannot read scenario ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    parsed.push({ file, objects: parseManifests(text, file) });
  }
  // One pass over all files, so namespaces and CRDs from any file go first; a document repeated
  // verbatim (the demo apps each carry their namespace) is applied once.
  const seen = new Set<string>();
  const unique = parsed
    .flatMap((p) => p.objects)
    .filter((o) => {
      const text = JSON.stringify(o);
      return !seen.has(text) && !!seen.add(text);
    });
  return applyObjects(store, unique);
}
