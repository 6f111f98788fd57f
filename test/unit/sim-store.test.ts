import { describe, expect, it } from 'vitest';
import type { KObject, StoreEvent } from '../../sim/contract.js';
import { MemoryStore } from '../../sim/api/store.js';

const PODS = 'core/v1/pods';
const DEPLOYMENTS = 'apps/v1/deployments';
const RS = 'apps/v1/replicasets';
const CM = 'core/v1/configmaps';

const pod = (name: string, extra: Partial<KObject> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
  ...extra,
});
const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
};
const deployment = (name = 'web'): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template },
});
const ownedBy = (owner: KObject, kind: string, apiVersion: string) => [
  { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true },
];
const record = (store: MemoryStore): StoreEvent[] => {
  const events: StoreEvent[] = [];
  store.subscribe((e) => events.push(e));
  return events;
};

describe('MemoryStore writes', () => {
  it('assigns uid, creationTimestamp, generation 1, a growing resourceVersion and names from generateName', () => {
    const store = new MemoryStore({ now: () => Date.parse('2025-01-01T00:00:00Z') });
    const a = store.create(PODS, pod('a'));
    const b = store.create(PODS, { ...pod(''), metadata: { generateName: 'web-', namespace: 'default' } });
    expect(a.metadata).toMatchObject({ generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(b.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(() => store.create(PODS, pod('a'))).toThrow(
      expect.objectContaining({ code: 409, reason: 'AlreadyExists' }),
    );
  });

  it('bumps generation on spec changes only, and ignores status on the main resource', () => {
    const store = new MemoryStore();
    const d = store.create(DEPLOYMENTS, deployment());
    const labelled = store.mutate(
      DEPLOYMENTS,
      'default',
      'web',
      (o) => void (o.metadata.labels = { x: 'y' }),
    )!;
    expect(labelled.metadata.generation).toBe(1);
    const withStatus = store.mutate(DEPLOYMENTS, 'default', 'web', (o) => void (o.status = { replicas: 9 }))!;
    expect(withStatus.status).toBeUndefined();
    const scaled = store.mutate(DEPLOYMENTS, 'default', 'web', (o) => void (o.spec.replicas = 3))!;
    expect(scaled.metadata.generation).toBe(2);
    const status = store.mutate(DEPLOYMENTS, 'default', 'web', (o) => void (o.status = { replicas: 3 }), {
      subresource: 'status',
    })!;
    expect(status.status).toEqual({ replicas: 3 });
    expect(status.metadata.generation).toBe(2);
    expect(status.metadata.uid).toBe(d.metadata.uid);
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', () => {
    const store = new MemoryStore();
    const first = store.create(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { a: '1' },
    });
    store.update(CM, { ...first, data: { a: '2' } });
    expect(() => store.update(CM, { ...first, data: { a: '3' } })).toThrow(
      expect.objectContaining({ code: 409, reason: 'Conflict' }),
    );
  });

  it('does not bump resourceVersion or emit an event for a no-op update', () => {
    const store = new MemoryStore();
    const c = store.create(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { a: '1' },
    });
    const events = record(store);
    expect(store.update(CM, c).metadata.resourceVersion).toBe(c.metadata.resourceVersion);
    expect(events).toHaveLength(0);
  });

  it('rejects invalid built-ins with 422 and causes that name the field', () => {
    const store = new MemoryStore();
    const bad = deployment('Bad_Name');
    bad.spec.template = { ...template, metadata: { labels: { app: 'other' } } };
    try {
      store.create(DEPLOYMENTS, bad);
      expect.unreachable();
    } catch (e) {
      const err = e as { code: number; details: { causes: { field: string }[] } };
      expect(err.code).toBe(422);
      expect(err.details.causes.map((c) => c.field)).toEqual([
        'metadata.name',
        'spec.template.metadata.labels',
      ]);
    }
    expect(() => store.create(PODS, { ...pod('p'), spec: { containers: [] } })).toThrow(
      expect.objectContaining({
        code: 422,
        message: expect.stringContaining('spec.containers: Required value'),
      }),
    );
  });

  it('changes nothing on dryRun', () => {
    const store = new MemoryStore();
    const rv = store.resourceVersion();
    const events = record(store);
    const would = store.create(PODS, pod('dry'), { dryRun: true });
    expect(would.metadata.uid).toBeDefined();
    expect(store.get(PODS, 'default', 'dry')).toBeUndefined();
    store.create(PODS, pod('real'));
    const before = store.resourceVersion();
    store.delete(PODS, 'default', 'real', { dryRun: true });
    expect(store.get(PODS, 'default', 'real')).toBeDefined();
    expect(store.resourceVersion()).toBe(before);
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
    expect(Number(before)).toBe(Number(rv) + 1);
  });
});

describe('MemoryStore deletion', () => {
  it('terminates a bound pod gracefully until the kubelet deletes it with grace 0', () => {
    const store = new MemoryStore({ now: () => 1_000_000 });
    store.create(
      PODS,
      pod('p', { spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] } }),
    );
    const terminating = store.delete(PODS, 'default', 'p');
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(terminating.metadata.deletionTimestamp).toBe(
      new Date(1_030_000).toISOString().replace('.000', ''),
    );
    expect(store.get(PODS, 'default', 'p')).toBeDefined();
    store.delete(PODS, 'default', 'p', { gracePeriodSeconds: 0 });
    expect(store.get(PODS, 'default', 'p')).toBeUndefined();
  });

  it('deletes an unscheduled pod at once and checks uid/resourceVersion preconditions', () => {
    const store = new MemoryStore();
    const p = store.create(PODS, pod('p'));
    expect(() => store.delete(PODS, 'default', 'p', { preconditions: { uid: 'other' } })).toThrow(
      expect.objectContaining({ code: 409, message: expect.stringContaining('the UID in the precondition') }),
    );
    expect(() => store.delete(PODS, 'default', 'p', { preconditions: { resourceVersion: '1' } })).toThrow(
      expect.objectContaining({ code: 409 }),
    );
    store.delete(PODS, 'default', 'p', {
      preconditions: { uid: p.metadata.uid!, resourceVersion: p.metadata.resourceVersion! },
    });
    expect(store.get(PODS, 'default', 'p')).toBeUndefined();
  });

  it('keeps an object with finalizers until they are removed', () => {
    const store = new MemoryStore();
    store.create(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default', finalizers: ['example.com/hold'] },
    });
    const deleting = store.delete(CM, 'default', 'c');
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(store.get(CM, 'default', 'c')).toBeDefined();
    const events = record(store);
    store.mutate(CM, 'default', 'c', (o) => void (o.metadata.finalizers = []));
    expect(store.get(CM, 'default', 'c')).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['DELETED']);
  });

  it('garbage-collects dependents in the background, owner first', () => {
    const store = new MemoryStore();
    const d = store.create(DEPLOYMENTS, deployment());
    const rs = store.create(RS, {
      ...deployment('web-1'),
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', namespace: 'default', ownerReferences: ownedBy(d, 'Deployment', 'apps/v1') },
    });
    store.create(
      PODS,
      pod('web-1-a', {
        metadata: {
          name: 'web-1-a',
          namespace: 'default',
          labels: { app: 'web' },
          ownerReferences: ownedBy(rs, 'ReplicaSet', 'apps/v1'),
        },
      }),
    );
    const events = record(store);
    store.delete(DEPLOYMENTS, 'default', 'web');
    expect(events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name)).toEqual([
      'web',
      'web-1',
      'web-1-a',
    ]);
  });

  it('orphans dependents with propagationPolicy Orphan', () => {
    const store = new MemoryStore();
    const d = store.create(DEPLOYMENTS, deployment());
    store.create(RS, {
      ...deployment('web-1'),
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', namespace: 'default', ownerReferences: ownedBy(d, 'Deployment', 'apps/v1') },
    });
    store.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Orphan' });
    expect(store.get(RS, 'default', 'web-1')?.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes the owner last with propagationPolicy Foreground', () => {
    const store = new MemoryStore();
    const d = store.create(DEPLOYMENTS, deployment());
    store.create(RS, {
      ...deployment('web-1'),
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', namespace: 'default', ownerReferences: ownedBy(d, 'Deployment', 'apps/v1') },
    });
    const events = record(store);
    store.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Foreground' });
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual([
      'MODIFIED:web',
      'DELETED:web-1',
      'DELETED:web',
    ]);
    expect(events[0]!.object.metadata.finalizers).toEqual(['foregroundDeletion']);
  });

  it('delivers events in resourceVersion order even when a listener writes', () => {
    const store = new MemoryStore();
    const seen: number[] = [];
    store.subscribe((e) => {
      if (e.object.metadata.name === 'first')
        store.create(CM, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'second', namespace: 'default' },
        });
    });
    store.subscribe((e) => seen.push(Number(e.object.metadata.resourceVersion)));
    store.create(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'first', namespace: 'default' },
    });
    expect(seen).toHaveLength(2);
    expect(seen[0]!).toBeLessThan(seen[1]!);
  });
});

describe('watch history', () => {
  it('replays events after a resourceVersion and reports compaction as gone', () => {
    const store = new MemoryStore({ historySize: 3 });
    const start = Number(store.resourceVersion());
    for (const n of ['a', 'b', 'c', 'd'])
      store.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, namespace: 'default' } });
    expect(store.history.since(start)).toBe('gone');
    const recent = store.history.since(start + 2);
    expect(recent).not.toBe('gone');
    expect((recent as StoreEvent[]).map((e) => e.object.metadata.name)).toEqual(['c', 'd']);
  });
});

describe('namespaced lists and views', () => {
  it('return only that namespace, in name order, following creates and deletes', () => {
    const store = new MemoryStore();
    store.create('core/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    for (const name of ['c', 'a', 'b']) store.create(PODS, pod(name));
    store.create(PODS, { ...pod('a'), metadata: { name: 'a', namespace: 'other' } });
    const names = (ns: string): string[] => store.view(PODS, { namespace: ns }).map((p) => p.metadata.name!);
    expect(names('default')).toEqual(['a', 'b', 'c']);
    store.delete(PODS, 'default', 'b', { gracePeriodSeconds: 0 });
    store.create(PODS, pod('aa'));
    expect(names('default')).toEqual(['a', 'aa', 'c']);
    expect(names('other')).toEqual(['a']);
    expect(store.list(PODS).map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      'default/a',
      'default/aa',
      'default/c',
      'other/a',
    ]);
  });

  it('a view holds each object as it was: a later write replaces it in the store, not in the view', () => {
    const store = new MemoryStore();
    store.create(PODS, pod('a'));
    const [before] = store.view(PODS, { namespace: 'default' });
    store.mutate(PODS, 'default', 'a', (p) => void (p.metadata.labels = { app: 'db' }));
    expect(before!.metadata.labels).toEqual({ app: 'web' });
    expect(store.view(PODS, { labelSelector: 'app=db' }).map((p) => p.metadata.name)).toEqual(['a']);
  });
});
