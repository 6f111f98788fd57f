// CustomResourceDefinitions: validating and completing a CRD, and turning each served version into
// a resource the server routes, discovers, validates, defaults and prints, as apiextensions does.
import type { KObject, StoreEvent } from '../contract.js';
import type { StatusCause } from './errors.js';
import { age } from './duration.js';
import { resourceId, ALL_VERBS, type CrdColumn, type ResourceInfo, type TablePrinter } from './resources.js';
import { applyDefaults, prune, validate, type Schema } from './schema.js';
import type { MemoryStore } from './store.js';
import { evaluateJsonPath } from './jsonpath.js';
import { required, validateMeta } from './validation.js';

export const CRD_RESOURCE = 'apiextensions.k8s.io/v1/customresourcedefinitions';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: CrdColumn[];
}

export function crdDefaults(crd: KObject): void {
  const names = crd.spec?.names ?? {};
  if (names.kind) {
    names.listKind ??= `${names.kind}List`;
    names.singular ??= String(names.kind).toLowerCase();
  }
  for (const v of (crd.spec?.versions as CrdVersion[] | undefined) ?? []) v.served ??= true;
  const storage = ((crd.spec?.versions as CrdVersion[] | undefined) ?? [])
    .filter((v) => v.storage)
    .map((v) => v.name);
  const now = crd.metadata.creationTimestamp;
  const condition = (type: string, reason: string, message: string): object => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  crd.status = {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: { ...names },
    storedVersions: [...new Set([...(crd.status?.storedVersions ?? []), ...storage])],
  };
}

export function crdValidate(crd: KObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = crd.spec ?? {};
  for (const f of ['group', 'names.plural', 'names.kind', 'scope']) {
    const v = f
      .split('.')
      .reduce<Record<string, unknown> | undefined>(
        (o, k) => o?.[k] as Record<string, unknown> | undefined,
        spec,
      );
    if (!v) causes.push(required(`spec.${f}`));
  }
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  if (spec.scope && !['Namespaced', 'Cluster'].includes(spec.scope)) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.scope}": supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  const versions = (spec.versions as CrdVersion[] | undefined) ?? [];
  if (!versions.length) causes.push(required('spec.versions'));
  else if (versions.filter((v) => v.storage).length !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must have exactly one version marked as storage version',
      field: 'spec.versions',
    });
  }
  versions.forEach((v, i) => {
    if (!v.schema?.openAPIV3Schema) causes.push(required(`spec.versions[${i}].schema.openAPIV3Schema`));
  });
  return causes;
}

function tableFor(columns: CrdColumn[] | undefined): TablePrinter {
  const cols = columns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return {
    columns: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      ...cols.map((c) => ({
        name: c.name,
        type: c.type,
        ...(c.format ? { format: c.format } : {}),
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      ...cols.map((c) => {
        const v = evaluateJsonPath(obj, c.jsonPath);
        if (v === undefined || v === null) return null;
        if (c.type === 'date') return typeof v === 'string' ? age(v, now) : null;
        if (c.type === 'string') return typeof v === 'string' ? v : JSON.stringify(v);
        return v;
      }),
    ],
  };
}

function infoFor(crd: KObject, v: CrdVersion): ResourceInfo {
  const { group, names, scope } = crd.spec;
  const schema = v.schema?.openAPIV3Schema ?? {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  };
  return {
    id: resourceId(group, v.name, names.plural),
    group,
    version: v.name,
    plural: names.plural,
    singular: names.singular ?? String(names.kind).toLowerCase(),
    kind: names.kind,
    namespaced: scope !== 'Cluster',
    verbs: ALL_VERBS,
    ...(names.shortNames ? { shortNames: names.shortNames } : {}),
    ...(names.categories ? { categories: names.categories } : {}),
    status: v.subresources?.status !== undefined,
    ...(v.subresources?.scale ? { scale: v.subresources.scale } : {}),
    strategicMerge: false,
    crd: {
      name: crd.metadata.name!,
      schema: schema as Record<string, unknown>,
      ...(v.additionalPrinterColumns ? { columns: v.additionalPrinterColumns } : {}),
    },
    defaults: (obj) => {
      prune(obj, schema, true);
      applyDefaults(obj, schema);
    },
    validate: (obj) => {
      const { metadata: _m, apiVersion: _a, kind: _k, ...body } = obj;
      return [...validateMeta(obj), ...validate(body, schema, '')];
    },
    table: tableFor(v.additionalPrinterColumns),
  };
}

/** Keeps the registry in step with committed CRDs; deleting a CRD deletes its objects. */
export function syncCrd(store: MemoryStore, event: StoreEvent): void {
  const crd = event.object;
  const existing = store.registry.all().filter((r) => r.crd?.name === crd.metadata.name);
  const served =
    event.type === 'DELETED'
      ? []
      : ((crd.spec?.versions as CrdVersion[]) ?? []).filter((v) => v.served !== false);
  const keep = new Set(served.map((v) => resourceId(crd.spec.group, v.name, crd.spec.names.plural)));
  for (const r of existing) {
    if (keep.has(r.id)) continue;
    if (event.type === 'DELETED') {
      for (const o of store.list(r.id)) {
        store.mutate(r.id, o.metadata.namespace, o.metadata.name!, (x) => void delete x.metadata.finalizers);
        if (store.get(r.id, o.metadata.namespace, o.metadata.name!))
          store.delete(r.id, o.metadata.namespace, o.metadata.name!);
      }
    }
    store.registry.remove(r.id);
  }
  for (const v of served) store.registry.add(infoFor(crd, v));
}
