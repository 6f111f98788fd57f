// The pure parts of the executors: which changes a patch is charged with (the allow-list is checked
// on the effect, not the document) and where a scale lands within [min, max].
import { describe, expect, it } from 'vitest';
import { disallowedPaths, effectiveChanges } from '../../activities/executors/patch.js';
import { desiredReplicas } from '../../activities/executors/scale.js';
import { LAST_ACTION_ANNOTATION } from '../../activities/executors/types.js';

const deploymentWith = (extra: {
  annotations?: Record<string, string>;
  env?: { name: string; value: string }[];
}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    resourceVersion: '10',
    generation: 1,
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'app', image: 'web:1', env: extra.env ?? [] }] } },
  },
  status: { replicas: 2, readyReplicas: 2 },
});

describe('effectiveChanges', () => {
  it('ignores what the server manages and our own idempotency mark', () => {
    const before = deploymentWith({ annotations: { team: 'a' } });
    const after = deploymentWith({ annotations: { team: 'a', [LAST_ACTION_ANNOTATION]: 'act-1' } });
    after.metadata.resourceVersion = '11';
    after.metadata.generation = 2;
    (after.metadata as Record<string, unknown>).managedFields = [{ manager: 'kubeskippy' }];
    after.status.readyReplicas = 1;
    expect(effectiveChanges(before, after)).toEqual([]);
  });

  it('ignores the mark when it creates the annotations map on an object that had none', () => {
    const before = deploymentWith({});
    const after = deploymentWith({ annotations: { [LAST_ACTION_ANNOTATION]: 'act-1' } });
    expect(effectiveChanges(before, after)).toEqual([]);
  });

  it('keeps the other annotations the patch adds alongside a new mark', () => {
    const before = deploymentWith({});
    const after = deploymentWith({ annotations: { [LAST_ACTION_ANNOTATION]: 'act-1', owner: 'sre' } });
    expect(effectiveChanges(before, after).map((op) => op.path)).toEqual(['/metadata/annotations']);
    expect(effectiveChanges(before, after)[0]).toMatchObject({ value: { owner: 'sre' } });
  });

  it('reports a changed container env by its JSON pointer', () => {
    const before = deploymentWith({ env: [{ name: 'A', value: '1' }] });
    const after = deploymentWith({ env: [{ name: 'A', value: '2' }] });
    expect(effectiveChanges(before, after)).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '2' },
    ]);
  });
});

describe('disallowedPaths', () => {
  const ops = (...paths: string[]) => paths.map((path) => ({ op: 'replace' as const, path, value: 1 }));
  it.each<[string, string[], string[], string[]]>([
    ['a prefix allows what is under it', ['/spec/template/spec/containers/0/image'], ['/spec/template'], []],
    ['a prefix allows itself', ['/spec/template'], ['/spec/template'], []],
    ['a trailing slash on the prefix changes nothing', ['/spec/template/x'], ['/spec/template/'], []],
    [
      'a sibling that merely shares the prefix string is refused',
      ['/spec/templateX'],
      ['/spec/template'],
      ['/spec/templateX'],
    ],
    ['a parent of the prefix is refused', ['/spec'], ['/spec/template'], ['/spec']],
    [
      'a path outside every prefix is refused',
      ['/spec/replicas'],
      ['/spec/template', '/metadata/labels'],
      ['/spec/replicas'],
    ],
    [
      'each path is checked on its own',
      ['/metadata/labels/a', '/spec/replicas'],
      ['/metadata/labels'],
      ['/spec/replicas'],
    ],
    ['the root allows everything', ['/spec/replicas', '/metadata/labels/a'], ['/'], []],
    ['no prefixes allow nothing', ['/spec/template/x'], [], ['/spec/template/x']],
  ])('%s', (_name, paths, allowed, refused) => {
    expect(disallowedPaths(ops(...paths), allowed)).toEqual(refused);
  });
});

describe('desiredReplicas', () => {
  const spec = (direction: 'up' | 'down' | 'absolute', replicas: number) => ({
    type: 'scale' as const,
    direction,
    replicas,
    minReplicas: 2,
    maxReplicas: 6,
  });
  it.each<[string, ReturnType<typeof spec>, number, number]>([
    ['up adds', spec('up', 2), 3, 5],
    ['up stops at max', spec('up', 5), 4, 6],
    ['up at max stays', spec('up', 1), 6, 6],
    ['up never lowers a count someone set above max', spec('up', 1), 9, 9],
    ['down removes', spec('down', 1), 4, 3],
    ['down stops at min', spec('down', 5), 4, 2],
    ['down never raises a count someone set below min', spec('down', 1), 1, 1],
    ['absolute sets', spec('absolute', 4), 2, 4],
    ['absolute clamps to max', spec('absolute', 10), 2, 6],
    ['absolute clamps to min', spec('absolute', 0), 4, 2],
  ])('%s', (_name, s, current, want) => {
    expect(desiredReplicas(s, current)).toBe(want);
  });
});
