// The in-memory object store behind the API: one map per resource, one global resourceVersion,
// committed events in order. It applies the parts of kube-apiserver's "registry strategies" that
// clients observe: uid/creationTimestamp/generation, generateName, optimistic concurrency,
// status subresource separation (object-strategy.ts), defaults and validation. Deletion lives in
// deletion.ts.
import { randomUUID } from 'node:crypto';
import type {
  DeleteOptions,
  KObject,
  ListOptions,
  ResourceId,
  Store,
  StoreEvent,
  WatchEventType,
} from '../contract.js';
import { registerBuiltins } from './builtins.js';
import { CRD_RESOURCE, syncCrd } from './crds.js';
import { EventBus } from './event-bus.js';
import { canonicalise, prepareUpdate } from './object-strategy.js';
import { afterRemoval, deleteObject, type DeleteContext } from './deletion.js';
import { ApiError, alreadyExists, conflict, invalid, notFound, STALE } from './errors.js';
import { matchesFields, parseFieldSelector } from './field-selectors.js';
import { History } from './history.js';
import { Registry, type ResourceInfo } from './resources.js';
import { matchesLabels, parseLabelSelector } from './selectors.js';
import { clone, deepEqual, isoSeconds, randomSuffix } from './util.js';

export interface StoreOptions {
  /** Watch events retained for resume; older resumes get 410 Gone. Default 10000. */
  historySize?: number;
  now?: () => number;
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: 'status';
}

const key = (ns: string | undefined, name: string): string => (ns ? `${ns}/${name}` : name);
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class MemoryStore implements Store {
  readonly registry = new Registry();
  readonly history: History;
  private readonly objects = new Map<ResourceId, Map<string, KObject>>();
  // Per-namespace maps of the same objects, and each map's keys in order, kept until a key comes
  // or goes: a namespaced list then touches only its namespace and sorts nothing, which is what
  // keeps controllers that list a namespace per reconcile linear in pods rather than quadratic.
  private readonly byNamespace = new Map<ResourceId, Map<string, Map<string, KObject>>>();
  private readonly sortedKeys = new WeakMap<Map<string, KObject>, string[]>();
  private readonly bus = new EventBus();
  private rv = 0;
  private readonly clock: () => number;

  constructor(opts: StoreOptions = {}) {
    this.history = new History(opts.historySize ?? 10_000);
    this.clock = opts.now ?? Date.now;
    registerBuiltins(this.registry);
    for (const name of SYSTEM_NAMESPACES)
      this.create('core/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  now(): number {
    return this.clock();
  }

  /** The newest committed resourceVersion (what a list returns in its metadata). */
  resourceVersion(): string {
    return String(this.rv);
  }

  info(resource: ResourceId): ResourceInfo {
    const info = this.registry.get(resource);
    if (!info || info.virtual)
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${resource})`);
    return info;
  }

  get(resource: ResourceId, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.objects.get(resource)?.get(key(this.scope(resource, namespace), name));
    return o ? clone(o) : undefined;
  }

  list(resource: ResourceId, opts: ListOptions = {}): KObject[] {
    return this.view(resource, opts).map(clone);
  }

  view(resource: ResourceId, opts: ListOptions = {}): readonly KObject[] {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, resource);
    const out: KObject[] = [];
    const scope = opts.namespace
      ? this.byNamespace.get(resource)?.get(opts.namespace)
      : this.objects.get(resource);
    if (!scope) return out;
    let keys = this.sortedKeys.get(scope);
    if (!keys) this.sortedKeys.set(scope, (keys = [...scope.keys()].sort()));
    for (const k of keys) {
      const o = scope.get(k)!;
      if (!matchesLabels(labels, o.metadata.labels)) continue;
      if (!matchesFields(fields, o)) continue;
      out.push(o);
    }
    return out;
  }

  create(resource: ResourceId, input: KObject, opts: WriteOptions = {}): KObject {
    const info = this.info(resource);
    const obj = clone(input);
    canonicalise(info, obj);
    const md = obj.metadata;
    if (!md.name && md.generateName) md.name = `${md.generateName}${randomSuffix()}`;
    if (!md.name) {
      throw invalid(info, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name',
        },
      ]);
    }
    if (info.namespaced && !this.get('core/v1/namespaces', undefined, md.namespace!)) {
      throw new ApiError(404, 'NotFound', `namespaces "${md.namespace}" not found`, {
        name: md.namespace,
        kind: 'namespaces',
      });
    }
    if (this.objects.get(resource)?.has(key(md.namespace, md.name))) throw alreadyExists(info, md.name);
    md.uid = randomUUID();
    md.creationTimestamp = isoSeconds(this.now());
    md.generation = 1;
    delete md.resourceVersion;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    // Custom resources with a status subresource ignore status on create, as the real server does.
    if (info.status && info.crd) delete obj.status;
    this.admit(info, obj, undefined);
    if (opts.dryRun) return obj;
    return this.put(info, 'ADDED', obj);
  }

  update(resource: ResourceId, input: KObject, opts: WriteOptions = {}): KObject {
    const info = this.info(resource);
    const name = input.metadata?.name ?? '';
    const ns = this.scope(resource, input.metadata?.namespace);
    const current = this.objects.get(resource)?.get(key(ns, name));
    if (!current) throw notFound(info, name);
    const wanted = input.metadata.resourceVersion;
    if (wanted && wanted !== current.metadata.resourceVersion) throw conflict(info, name, STALE);
    const next = prepareUpdate(info, current, input, opts.subresource);
    this.admit(info, next, current);
    if (deepEqual(next, current)) return clone(current);
    if (opts.dryRun) return next;
    const md = next.metadata;
    const graceful = (md.deletionGracePeriodSeconds ?? 0) > 0;
    if (md.deletionTimestamp && !md.finalizers?.length && !graceful) return this.remove(info, next);
    return this.put(info, 'MODIFIED', next, current);
  }

  mutate(
    resource: ResourceId,
    namespace: string | undefined,
    name: string,
    mutator: (obj: KObject) => void,
    opts: WriteOptions = {},
  ): KObject | undefined {
    const copy = this.get(resource, namespace, name);
    if (!copy) return undefined;
    mutator(copy);
    copy.metadata.resourceVersion = this.objects
      .get(resource)!
      .get(key(this.scope(resource, namespace), name))!.metadata.resourceVersion;
    return this.update(resource, copy, opts);
  }

  delete(
    resource: ResourceId,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions & WriteOptions = {},
  ): KObject {
    const info = this.info(resource);
    const current = this.objects.get(resource)?.get(key(this.scope(resource, namespace), name));
    if (!current) throw notFound(info, name);
    return deleteObject(this.deleteContext(), info, clone(current), opts);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    return this.bus.subscribe(listener);
  }

  /** All stored objects of every resource, for garbage collection and namespace cleanup. */
  *everything(): Generator<{ resource: ResourceId; obj: KObject }> {
    for (const [resource, objs] of this.objects) for (const obj of objs.values()) yield { resource, obj };
  }

  private deleteContext(): DeleteContext {
    return {
      now: () => this.now(),
      put: (info, obj) =>
        this.put(
          info,
          'MODIFIED',
          obj,
          this.objects.get(info.id)?.get(key(obj.metadata.namespace, obj.metadata.name!)),
        ),
      remove: (info, obj) => this.remove(info, obj),
      store: this,
    };
  }

  private scope(resource: ResourceId, namespace: string | undefined): string | undefined {
    return this.registry.get(resource)?.namespaced === false ? undefined : namespace;
  }

  private admit(info: ResourceInfo, obj: KObject, old: KObject | undefined): void {
    info.defaults?.(obj);
    const causes = info.validate?.(obj, old) ?? [];
    if (causes.length) throw invalid(info, obj.metadata.name ?? '', causes);
  }

  private put(info: ResourceInfo, type: WatchEventType, obj: KObject, old?: KObject): KObject {
    obj.metadata.resourceVersion = String(++this.rv);
    this.index(info.id, obj, 'set');
    // `old` lets filtered watches turn a change that leaves their selector into DELETED.
    this.commit({ type, resource: info.id, object: obj, ...(old ? { old } : {}) });
    return clone(obj);
  }

  private remove(info: ResourceInfo, obj: KObject): KObject {
    this.index(info.id, obj, 'delete');
    obj.metadata.resourceVersion = String(++this.rv);
    this.commit({ type: 'DELETED', resource: info.id, object: obj });
    afterRemoval(this.deleteContext(), info, clone(obj));
    return clone(obj);
  }

  private index(resource: ResourceId, obj: KObject, op: 'set' | 'delete'): void {
    const k = key(obj.metadata.namespace, obj.metadata.name!);
    const ns = obj.metadata.namespace;
    let all = this.objects.get(resource);
    if (!all) this.objects.set(resource, (all = new Map()));
    let inNs: Map<string, KObject> | undefined;
    if (ns) {
      let spaces = this.byNamespace.get(resource);
      if (!spaces) this.byNamespace.set(resource, (spaces = new Map()));
      inNs = spaces.get(ns);
      if (!inNs) spaces.set(ns, (inNs = new Map()));
    }
    for (const m of inNs ? [all, inNs] : [all]) {
      const had = m.has(k);
      if (op === 'set') m.set(k, obj);
      else m.delete(k);
      if (had !== (op === 'set')) this.sortedKeys.delete(m); // a key came or went: re-sort on next read
    }
  }

  private commit(event: StoreEvent & { old?: KObject }): void {
    const frozen: StoreEvent = { ...event, object: clone(event.object) };
    this.history.push(this.rv, frozen);
    this.bus.enqueue(frozen);
    // The CRD registry follows commits synchronously so the new resource is served at once; after
    // enqueueing, so objects a CRD deletion removes are announced after the CRD itself.
    if (event.resource === CRD_RESOURCE) syncCrd(this, frozen);
    this.bus.drain();
  }
}

export const createStore = (opts?: StoreOptions): MemoryStore => new MemoryStore(opts);
