import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../crds/common.js';
import type { ProtectedResource } from '../../crds/healing-policy.js';
import {
  matchesLabelSelector,
  matchesResourceFilter,
  parseLabelSelector,
  protectionOf,
  SelectorSyntaxError,
  type ProtectableObject,
} from '../../domain/selector.js';

describe('matchesLabelSelector (Kubernetes semantics)', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each<[string, LabelSelector | undefined, Record<string, string> | undefined, boolean]>([
    ['absent selector matches everything', undefined, labels, true],
    ['empty selector matches everything', {}, labels, true],
    ['empty selector matches an unlabelled object', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, labels, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, labels, false],
    ['matchLabels key missing', { matchLabels: { env: 'prod' } }, labels, false],
    ['matchLabels against no labels', { matchLabels: { app: 'web' } }, undefined, false],
    ['matchLabels all must hold', { matchLabels: { app: 'web', tier: 'back' } }, labels, false],
    [
      'In with the value',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'x'] }] },
      labels,
      true,
    ],
    [
      'In without the value',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      labels,
      false,
    ],
    [
      'In with the key missing',
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
      labels,
      false,
    ],
    [
      'In with no values matches nothing',
      { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] },
      labels,
      false,
    ],
    [
      'NotIn with another value',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
      labels,
      true,
    ],
    [
      'NotIn with the value',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
      labels,
      false,
    ],
    [
      'NotIn with the key missing holds',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      labels,
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels, true],
    ['Exists missing', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels, false],
    [
      'Exists with empty value string',
      { matchExpressions: [{ key: 'e', operator: 'Exists' }] },
      { e: '' },
      true,
    ],
    [
      'labels and expressions are ANDed',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      labels,
      false,
    ],
    [
      'prototype keys are not labels',
      { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
      labels,
      false,
    ],
  ])('%s', (_name, selector, objLabels, want) => {
    expect(matchesLabelSelector(selector, objLabels)).toBe(want);
  });
});

describe('matchesResourceFilter', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', name: 'web-1' };
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
  it.each([
    ['no filters means Pods', undefined, pod, true],
    ['no filters excludes Deployments', [], deploy, false],
    ['kind matches', [{ kind: 'Deployment' }], deploy, true],
    ['apiVersion must match when set', [{ kind: 'Deployment', apiVersion: 'apps/v1beta1' }], deploy, false],
    ['apiVersion empty matches any', [{ kind: 'Pod', apiVersion: '' }], pod, true],
    ['excluded names', [{ kind: 'Pod', excludeNames: ['web-1'] }], pod, false],
    ['any filter may match', [{ kind: 'StatefulSet' }, { kind: 'Pod' }], pod, true],
  ])('%s', (_name, filters, obj, want) => {
    expect(matchesResourceFilter(filters, obj)).toBe(want);
  });
});

describe('protectionOf', () => {
  const obj = (extra: Partial<ProtectableObject> = {}): ProtectableObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: 'demo',
    name: 'web-1',
    labels: { app: 'web' },
    ...extra,
  });
  const rules = (protectedResources: ProtectedResource[] = []) => ({
    protectedNamespaces: ['kube-system'],
    protectedResources,
  });
  it.each<[string, ProtectableObject, ProtectedResource[], string | false]>([
    ['an ordinary pod', obj(), [], false],
    ['protected namespace', obj({ namespace: 'kube-system' }), [], 'protected namespace kube-system'],
    [
      'protected label',
      obj({ labels: { 'kubeskippy.io/protected': 'true' } }),
      [],
      'label kubeskippy.io/protected=true',
    ],
    ['label must be "true"', obj({ labels: { 'kubeskippy.io/protected': 'false' } }), [], false],
    ['protected annotation', obj({ annotations: { 'kubeskippy.io/protected': 'true' } }), [], 'annotation'],
    [
      'rule by kind and labels',
      obj({ labels: { critical: 'true' } }),
      [{ kind: 'Pod', labelSelector: { matchLabels: { critical: 'true' } } }],
      'protectedResources[0]',
    ],
    [
      'rule with other labels',
      obj(),
      [{ kind: 'Pod', labelSelector: { matchLabels: { critical: 'true' } } }],
      false,
    ],
    ['rule by name', obj(), [{ kind: 'Deployment' }, { names: ['web-1'] }], 'protectedResources[1]'],
    ['rule by namespace', obj(), [{ namespaces: ['other'] }], false],
    ['rule by apiVersion', obj(), [{ apiVersion: 'apps/v1' }], false],
    ['an empty rule protects everything', obj(), [{}], 'protectedResources[0]'],
  ])('%s', (_name, o, resources, want) => {
    const verdict = protectionOf(o, rules(resources));
    if (want === false) expect(verdict).toEqual({ protected: false });
    else expect(verdict.protected && verdict.why).toContain(want);
  });
});

describe('parseLabelSelector (kubectl syntax)', () => {
  it.each([
    ['', {}],
    ['app=web', { matchLabels: { app: 'web' } }],
    ['app==web,tier=front', { matchLabels: { app: 'web', tier: 'front' } }],
    ['app=', { matchLabels: { app: '' } }],
    ['tier!=db', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }],
    [
      'env in (prod, staging),app=web',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }],
      },
    ],
    ['env notin (dev)', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }],
    ['!legacy', { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }],
    [
      'app.kubernetes.io/name, !kubeskippy.io/protected',
      {
        matchExpressions: [
          { key: 'app.kubernetes.io/name', operator: 'Exists' },
          { key: 'kubeskippy.io/protected', operator: 'DoesNotExist' },
        ],
      },
    ],
  ])('%j', (text, selector) => {
    expect(parseLabelSelector(text)).toEqual(selector);
  });

  it('selects what kubectl would', () => {
    const s = parseLabelSelector('app=web,env in (prod,staging),!legacy');
    expect(matchesLabelSelector(s, { app: 'web', env: 'prod' })).toBe(true);
    expect(matchesLabelSelector(s, { app: 'web', env: 'dev' })).toBe(false);
    expect(matchesLabelSelector(s, { app: 'web', env: 'prod', legacy: 'yes' })).toBe(false);
    expect(matchesLabelSelector(parseLabelSelector('tier!=db'), {})).toBe(true);
  });

  it.each(['app=web=x', 'env in ()', 'env in (a', '=web', 'a b', 'app=we b'])(
    'refuses %j, saying why',
    (text) => {
      expect(() => parseLabelSelector(text)).toThrow(SelectorSyntaxError);
    },
  );
});
