import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../sim/api/patch.js';
import { strategicMerge } from '../../sim/api/strategic-merge.js';

const podSpec = () => ({
  containers: [
    {
      name: 'app',
      image: 'app:1',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      ports: [{ containerPort: 80 }],
    },
    { name: 'sidecar', image: 'side:1' },
  ],
  volumes: [{ name: 'data', emptyDir: {} }],
});

describe('strategic merge patch', () => {
  it('merges containers and env by name instead of replacing the lists', () => {
    const out = strategicMerge(podSpec(), {
      containers: [
        {
          name: 'app',
          env: [
            { name: 'B', value: '20' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    }) as ReturnType<typeof podSpec>;
    expect(out.containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    expect(out.containers[0]!.image).toBe('app:1');
    expect(out.containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '20' },
      { name: 'C', value: '3' },
    ]);
  });

  it('deletes list items with $patch: delete and keys with null', () => {
    const out = strategicMerge(podSpec(), {
      containers: [
        { name: 'sidecar', $patch: 'delete' },
        { name: 'app', ports: null },
      ],
    }) as ReturnType<typeof podSpec>;
    expect(out.containers).toHaveLength(1);
    expect(out.containers[0]).not.toHaveProperty('ports');
  });

  it('replaces a whole list or map with $patch: replace', () => {
    const out = strategicMerge(podSpec(), {
      volumes: [{ name: 'cache', emptyDir: {} }, { $patch: 'replace' }],
    }) as ReturnType<typeof podSpec>;
    expect(out.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
    const map = strategicMerge({ labels: { a: '1', b: '2' } }, { labels: { $patch: 'replace', c: '3' } });
    expect(map).toEqual({ labels: { c: '3' } });
  });

  it('merges container ports by containerPort and conditions by type', () => {
    const out = strategicMerge(podSpec(), {
      containers: [{ name: 'app', ports: [{ containerPort: 443 }] }],
    }) as ReturnType<typeof podSpec>;
    expect(out.containers[0]!.ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }]);
    const status = strategicMerge(
      {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Scheduled', status: 'True' },
        ],
      },
      { conditions: [{ type: 'Ready', status: 'True' }] },
    );
    expect(status).toEqual({
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Scheduled', status: 'True' },
      ],
    });
  });

  it('honours $setElementOrder, $retainKeys and $deleteFromPrimitiveList as kubectl sends them', () => {
    const ordered = strategicMerge(podSpec(), {
      '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
      containers: [{ name: 'app', image: 'app:2' }],
    }) as ReturnType<typeof podSpec>;
    expect(ordered.containers.map((c) => `${c.name}:${c.image}`)).toEqual(['sidecar:side:1', 'app:app:2']);
    expect(
      strategicMerge(
        { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
        { strategy: { $retainKeys: ['type'], type: 'Recreate' } },
      ),
    ).toEqual({
      strategy: { type: 'Recreate' },
    });
    expect(
      strategicMerge({ finalizers: ['a', 'b'] }, { '$deleteFromPrimitiveList/finalizers': ['a'] }),
    ).toEqual({ finalizers: ['b'] });
  });

  it('unions finalizers (a merge-strategy primitive list) but replaces other primitive lists', () => {
    expect(strategicMerge({ finalizers: ['a'], args: ['x'] }, { finalizers: ['b'], args: ['y'] })).toEqual({
      finalizers: ['a', 'b'],
      args: ['y'],
    });
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });
});
