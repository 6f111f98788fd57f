// How a write turns the client's object into the stored one (kube-apiserver's rest strategies):
// canonical apiVersion/kind/namespace, server-owned metadata kept, the status subresource kept
// apart from the main resource, generation bumped on spec changes.
import type { KObject } from '../contract.js';
import { ApiError } from './errors.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { clone, deepEqual } from './util.js';

const SERVER_OWNED = [
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
];

export function canonicalise(info: ResourceInfo, obj: KObject): void {
  if (obj.kind && obj.kind !== info.kind) {
    throw new ApiError(
      400,
      'BadRequest',
      `the kind in the data (${obj.kind}) does not match the expected kind (${info.kind})`,
    );
  }
  obj.apiVersion = apiVersionOf(info);
  obj.kind = info.kind;
  obj.metadata = obj.metadata ?? {};
  if (info.namespaced) obj.metadata.namespace = obj.metadata.namespace || 'default';
  else delete obj.metadata.namespace;
}

/** Spec changes bump generation; for kinds without a status subresource, any non-metadata change. */
function specChanged(info: ResourceInfo, a: KObject, b: KObject): boolean {
  const strip = (o: KObject): Record<string, unknown> => {
    const { metadata: _m, status, ...rest } = o;
    return info.status ? rest : { ...rest, status };
  };
  return !deepEqual(strip(a), strip(b));
}

/** The object an update would store, before defaulting and validation. */
export function prepareUpdate(
  info: ResourceInfo,
  current: KObject,
  input: KObject,
  subresource: 'status' | undefined,
): KObject {
  let next: KObject;
  if (subresource === 'status') {
    next = clone(current);
    next.status = clone(input.status);
  } else {
    next = clone(input);
    canonicalise(info, next);
    for (const k of SERVER_OWNED) {
      if (current.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = current.metadata[k];
    }
    if (info.status) next.status = clone(current.status);
    if (next.status === undefined) delete next.status;
  }
  next.metadata.namespace = current.metadata.namespace;
  if (!current.metadata.namespace) delete next.metadata.namespace;
  next.metadata.resourceVersion = current.metadata.resourceVersion;
  if (specChanged(info, current, next)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
  return next;
}
