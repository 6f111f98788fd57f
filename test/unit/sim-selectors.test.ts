import { describe, expect, it } from 'vitest';
import { matchesFields, parseFieldSelector } from '../../sim/api/field-selectors.js';
import {
  matchesLabels,
  parseLabelSelector,
  selectorMatches,
  selectorToString,
} from '../../sim/api/selectors.js';

const labels = { app: 'web', tier: 'front', env: 'prod' };

describe('label selectors', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['env in (prod,staging)', true],
    ['env in (dev)', false],
    ['env notin (dev, qa)', true],
    ['env notin (prod)', false],
    ['missing notin (prod)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['app=web,env in (prod),!legacy', true],
    ['app=web,tier=back', false],
  ])('%s → %s', (sel, expected) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(expected);
  });

  it('rejects malformed selectors with 400', () => {
    expect(() => parseLabelSelector('app=web,=x')).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => parseLabelSelector('in (a)')).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('treats an empty structured selector as everything and a missing one as nothing', () => {
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches(undefined, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels),
    ).toBe(false);
    expect(
      selectorMatches(
        { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        labels,
      ),
    ).toBe(true);
  });

  it('prints structured selectors the way kubectl describe shows them', () => {
    expect(
      selectorToString({
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }],
      }),
    ).toBe('app=web,env in (a,b)');
  });
});

describe('field selectors', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'node-1' },
    status: { phase: 'Running' },
  };

  it.each([
    ['metadata.name=p', true],
    ['metadata.name!=p', false],
    ['spec.nodeName=node-1,status.phase!=Failed', true],
    ['spec.nodeName==node-2', false],
    ['status.phase=', false],
  ])('%s → %s', (sel, expected) => {
    expect(matchesFields(parseFieldSelector(sel, 'core/v1/pods'), pod)).toBe(expected);
  });

  it('answers 400 for a field the real server does not index', () => {
    expect(() => parseFieldSelector('spec.containers=x', 'core/v1/pods')).toThrow(
      expect.objectContaining({ code: 400, message: 'field label not supported: spec.containers' }),
    );
    expect(() => parseFieldSelector('spec.nodeName=x', 'apps/v1/deployments')).toThrow(
      expect.objectContaining({ code: 400 }),
    );
  });

  it('supports event fields', () => {
    const ev = {
      metadata: { name: 'e' },
      involvedObject: { kind: 'Pod', name: 'p', uid: 'u1' },
      reason: 'BackOff',
      type: 'Warning',
    };
    const sel =
      'involvedObject.kind=Pod,involvedObject.name=p,involvedObject.uid=u1,reason=BackOff,type=Warning';
    expect(matchesFields(parseFieldSelector(sel, 'core/v1/events'), ev)).toBe(true);
  });
});
