// OpenAPI v3 per group-version, enough for kubectl: `apply`/`create` find the fieldValidation
// parameter on each PATCH operation and so leave validation to the server, and `explain` reads
// the schemas (complete for custom resources, top-level only for built-in kinds). Strategic merge
// is deliberately not listed as a PATCH content type, so kubectl apply computes strategic patches
// from its compiled-in types (which carry the merge keys) instead of from these schemas.
import { createHash } from 'node:crypto';
import { apiVersionOf, type Registry, type ResourceInfo } from './resources.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const ref = (name: string): Record<string, unknown> => ({ $ref: `#/components/schemas/${name}` });

export function schemaName(r: ResourceInfo): string {
  if (r.crd) return `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
  if (r.group === 'apiextensions.k8s.io')
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${r.version}.${r.kind}`;
  return `io.k8s.api.${r.group || 'core'}.${r.version}.${r.kind}`;
}

function kindSchema(r: ResourceInfo): Record<string, unknown> {
  const gvk = [{ group: r.group, version: r.version, kind: r.kind }];
  const base = r.crd?.schema
    ? structuredClone(r.crd.schema)
    : {
        type: 'object',
        description: `${r.kind} (${apiVersionOf(r)}), served by the KubeSkippy simulated cluster.`,
      };
  const properties = { ...((base.properties as Record<string, unknown>) ?? {}) };
  properties.apiVersion ??= {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  properties.kind ??= {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  properties.metadata = {
    allOf: [ref(OBJECT_META)],
    default: {},
    description: "Standard object's metadata.",
  };
  if (!r.crd) {
    properties.spec ??= {
      type: 'object',
      description: `Specification of the desired behavior of the ${r.kind}.`,
      'x-kubernetes-preserve-unknown-fields': true,
    };
    if (r.status)
      properties.status ??= {
        type: 'object',
        description: `Most recently observed status of the ${r.kind}.`,
        'x-kubernetes-preserve-unknown-fields': true,
      };
  }
  return { ...base, properties, 'x-kubernetes-group-version-kind': gvk };
}

const param = (name: string, description: string): Record<string, unknown> => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});

function paths(r: ResourceInfo): Record<string, unknown> {
  const base = `${r.group ? `/apis/${r.group}` : '/api'}/${r.version}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const body = { schema: ref(schemaName(r)) };
  const ok = { '200': { description: 'OK', content: { 'application/json': body } } };
  const op = (action: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    operationId: `${action}${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
    responses: ok,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const writeParams = [
    param('dryRun', 'When present, indicates that modifications should not be persisted.'),
    param('fieldManager', 'A name associated with the actor making these changes.'),
    param('fieldValidation', 'Ignore, Warn or Strict handling of unknown or duplicate fields.'),
  ];
  return {
    [base]: {
      get: op('list'),
      post: op('post', { parameters: writeParams, requestBody: { content: { 'application/json': body } } }),
    },
    [`${base}/{name}`]: {
      get: op('get'),
      put: op('put', { parameters: writeParams, requestBody: { content: { 'application/json': body } } }),
      delete: op('delete'),
      patch: op('patch', {
        parameters: [...writeParams, param('force', 'Force is going to "force" Apply requests.')],
        requestBody: {
          content: {
            'application/json-patch+json': body,
            'application/merge-patch+json': body,
            'application/apply-patch+yaml': body,
          },
        },
      }),
    },
  };
}

const objectMeta = {
  type: 'object',
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  properties: Object.fromEntries(
    [
      ['name', 'string', 'Name must be unique within a namespace.'],
      ['generateName', 'string', 'Optional prefix used by the server to generate a unique name.'],
      ['namespace', 'string', 'Namespace defines the space within which each name must be unique.'],
      ['uid', 'string', 'UID is the unique in time and space value for this object.'],
      ['resourceVersion', 'string', 'An opaque value that represents the internal version of this object.'],
      ['generation', 'integer', 'A sequence number representing a specific generation of the desired state.'],
      ['creationTimestamp', 'string', 'Time at which this object was created.'],
      ['deletionTimestamp', 'string', 'Time at which this resource will be deleted.'],
    ].map(([n, t, d]) => [n, { type: t, description: d }]),
  ),
};

export function openApiDocument(
  registry: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rs = registry.all().filter((r) => r.group === group && r.version === version && !r.virtual);
  if (!rs.length) return undefined;
  const schemas: Record<string, unknown> = { [OBJECT_META]: objectMeta };
  for (const r of rs) schemas[schemaName(r)] = kindSchema(r);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths: Object.assign({}, ...rs.map(paths)),
    components: { schemas },
  };
}

const gvKey = (group: string, version: string): string =>
  group ? `apis/${group}/${version}` : `api/${version}`;

/** GET /openapi/v3: one entry per group-version, each URL carrying a content hash. */
export function openApiRoot(registry: Registry): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const { group, versions } of registry.groups()) {
    for (const version of versions) {
      const doc = openApiDocument(registry, group, version);
      if (!doc) continue;
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
      entries[gvKey(group, version)] = {
        serverRelativeURL: `/openapi/v3/${gvKey(group, version)}?hash=${hash}`,
      };
    }
  }
  return { paths: entries };
}
