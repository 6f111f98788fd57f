// A small in-memory Store that follows sim/contract.ts, for testing the simulated cluster's
// controllers without the HTTP API: uids, resourceVersions, generation on spec changes, the status
// subresource, graceful pod deletion and cascading deletion of dependents.
import { randomUUID } from 'node:crypto';
import type { DeleteOptions, KObject, ListOptions, Store, StoreEvent } from '../../sim/contract.js';

const clusterScoped = new Set(['core/v1/nodes', 'core/v1/namespaces']);

function apiError(code: number, reason: string, message: string): Error {
  return Object.assign(new Error(message), { code, reason });
}

export function createMemoryStore(): Store {
  const objects = new Map<string, { resource: string; obj: KObject }>();
  const listeners = new Set<(e: StoreEvent) => void>();
  let rv = 1;
  const keyOf = (resource: string, ns: string | undefined, name: string): string =>
    `${resource}|${clusterScoped.has(resource) ? '' : (ns ?? '')}|${name}`;
  const emit = (type: StoreEvent['type'], resource: string, obj: KObject): void => {
    for (const l of [...listeners]) l({ type, resource, object: structuredClone(obj) });
  };

  const store: Store = {
    now: () => Date.now(),
    get(resource, ns, name) {
      const found = objects.get(keyOf(resource, ns, name));
      return found ? structuredClone(found.obj) : undefined;
    },
    list(resource, opts: ListOptions = {}) {
      return [...objects.values()]
        .filter(
          (o) => o.resource === resource && (!opts.namespace || o.obj.metadata.namespace === opts.namespace),
        )
        .filter((o) =>
          (opts.labelSelector ?? '')
            .split(',')
            .filter(Boolean)
            .every((term) => {
              const [k = '', v] = term.split('=');
              return o.obj.metadata.labels?.[k] === v;
            }),
        )
        .map((o) => structuredClone(o.obj));
    },
    // Copies are a valid read-only view; the real store hands out its stored objects instead.
    view: (resource, opts) => store.list(resource, opts),
    create(resource, input) {
      const obj = structuredClone(input);
      obj.metadata.name ??= `${obj.metadata.generateName ?? ''}${randomUUID().slice(0, 5)}`;
      const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
      if (objects.has(key)) throw apiError(409, 'AlreadyExists', `${obj.metadata.name} already exists`);
      obj.metadata.uid = randomUUID();
      obj.metadata.resourceVersion = String(++rv);
      obj.metadata.generation = 1;
      obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      objects.set(key, { resource, obj });
      emit('ADDED', resource, obj);
      return structuredClone(obj);
    },
    update(resource, input, opts) {
      const key = keyOf(resource, input.metadata.namespace, input.metadata.name ?? '');
      const current = objects.get(key)?.obj;
      if (!current) throw apiError(404, 'NotFound', `${input.metadata.name} not found`);
      if (
        input.metadata.resourceVersion &&
        input.metadata.resourceVersion !== current.metadata.resourceVersion
      ) {
        throw apiError(409, 'Conflict', 'the object has been modified');
      }
      const next: KObject =
        opts?.subresource === 'status'
          ? { ...structuredClone(current), status: structuredClone(input.status) }
          : { ...structuredClone(input), status: structuredClone(current.status) };
      next.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
      };
      const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
      next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      next.metadata.resourceVersion = String(++rv);
      objects.set(key, { resource, obj: next });
      emit('MODIFIED', resource, next);
      return structuredClone(next);
    },
    mutate(resource, ns, name, mutator, opts) {
      const current = store.get(resource, ns, name);
      if (!current) return undefined;
      mutator(current);
      return store.update(resource, current, opts);
    },
    delete(resource, ns, name, opts: DeleteOptions = {}) {
      const key = keyOf(resource, ns, name);
      const current = objects.get(key)?.obj;
      if (!current) throw apiError(404, 'NotFound', `${name} not found`);
      if (opts.preconditions?.uid && opts.preconditions.uid !== current.metadata.uid) {
        throw apiError(409, 'Conflict', 'uid precondition failed');
      }
      const grace = opts.gracePeriodSeconds ?? current.spec?.terminationGracePeriodSeconds ?? 30;
      if (resource === 'core/v1/pods' && current.spec?.nodeName && grace > 0) {
        if (current.metadata.deletionTimestamp) return structuredClone(current);
        current.metadata.deletionTimestamp = new Date().toISOString();
        current.metadata.deletionGracePeriodSeconds = grace;
        current.metadata.resourceVersion = String(++rv);
        emit('MODIFIED', resource, current);
        return structuredClone(current);
      }
      objects.delete(key);
      emit('DELETED', resource, current);
      if (opts.propagationPolicy !== 'Orphan') {
        for (const o of [...objects.values()]) {
          if (o.obj.metadata.ownerReferences?.some((r) => r.uid === current.metadata.uid)) {
            try {
              store.delete(o.resource, o.obj.metadata.namespace, o.obj.metadata.name ?? '');
            } catch {
              // already gone
            }
          }
        }
      }
      return structuredClone(current);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
