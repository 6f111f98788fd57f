// What the server knows about each resource: names for discovery, scope, subresources, and the
// per-resource strategy hooks (defaults, validation, table printing). Built-ins are registered
// at start; CustomResourceDefinitions add and remove entries while the server runs.
import type { KObject, ResourceId } from '../contract.js';
import type { StatusCause } from './errors.js';

export interface ColumnDefinition {
  name: string;
  type: string; // string | integer | number | boolean | date
  format?: string;
  description?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string; // ".spec.replicas"
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceInfo {
  id: ResourceId;
  group: string; // "" for core
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Has a /status subresource: the main endpoint ignores status, /status ignores the rest. */
  status: boolean;
  scale?: ScaleSubresource;
  /** Other subresources served for discovery, e.g. pods/eviction. */
  extraSubresources?: { name: string; group: string; version: string; kind: string; verbs: string[] }[];
  /** Custom resources do not accept strategic merge patch (415), like the real server. */
  strategicMerge: boolean;
  /** Set for custom resources: the CRD's name and the version's openAPIV3Schema. */
  crd?: { name: string; schema?: Record<string, unknown>; columns?: CrdColumn[] };
  defaults?(obj: KObject): void;
  validate?(obj: KObject, old: KObject | undefined): StatusCause[];
  /** Server-side printing for `kubectl get` (Accept ...;as=Table). */
  table?: TablePrinter;
  /** Served from outside the store (metrics.k8s.io). */
  virtual?: boolean;
}

export interface CrdColumn extends ColumnDefinition {
  jsonPath: string;
}

export interface TablePrinter {
  columns: ColumnDefinition[];
  cells(obj: KObject, nowMs: number): unknown[];
}

export const apiVersionOf = (info: Pick<ResourceInfo, 'group' | 'version'>): string =>
  info.group ? `${info.group}/${info.version}` : info.version;

export const resourceId = (group: string, version: string, plural: string): ResourceId =>
  `${group || 'core'}/${version}/${plural}`;

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export class Registry {
  private readonly byId = new Map<ResourceId, ResourceInfo>();
  private listeners = new Set<() => void>();

  add(info: ResourceInfo): void {
    this.byId.set(info.id, info);
    this.changed();
  }

  remove(id: ResourceId): void {
    if (this.byId.delete(id)) this.changed();
  }

  get(id: ResourceId): ResourceInfo | undefined {
    return this.byId.get(id);
  }

  all(): ResourceInfo[] {
    return [...this.byId.values()];
  }

  /** Finds a resource by URL parts; plural, singular or kind, as the real REST mapper would. */
  find(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byId.get(resourceId(group, version, plural));
  }

  /** Groups in a stable order: core first, then built-in groups, then custom groups. */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const r of this.byId.values()) {
      if (!out.has(r.group)) out.set(r.group, new Set());
      out.get(r.group)!.add(r.version);
    }
    return [...out.entries()].map(([group, versions]) => ({ group, versions: [...versions] }));
  }

  /** Discovery caches depend on this; the server uses it to refresh the openapi hash. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
