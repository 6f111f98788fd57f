import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  actionWorkflowId,
  fnv1a32,
  healingActionName,
  parseActionWorkflowId,
  parsePolicyWorkflowId,
  parseTargetKey,
  parseTriggerTargetKey,
  policyWorkflowId,
  RESERVED_CLUSTER_NAMES,
  shortHash,
  targetKey,
  triggerTargetKey,
} from '../../domain/ids.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const k8sName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);

// Cluster names as config accepts them (operator/cluster-name.ts): DNS labels, none reserved.
const clusterName = k8sName.filter((c) => !RESERVED_CLUSTER_NAMES.includes(c) && !c.includes('.'));

describe('workflow ids', () => {
  it('policy ids are kubeskippy/<cluster>/policy/<namespace>/<name> and parse back', () => {
    const id = policyWorkflowId('prod-eu', 'demo-apps', 'memory-leak-healing');
    expect(id).toBe('kubeskippy/prod-eu/policy/demo-apps/memory-leak-healing');
    expect(parsePolicyWorkflowId(id)).toEqual({
      cluster: 'prod-eu',
      namespace: 'demo-apps',
      name: 'memory-leak-healing',
    });
  });

  it('the same namespace and name in two clusters are two ids', () => {
    expect(policyWorkflowId('a', 'shop', 'web')).not.toBe(policyWorkflowId('b', 'shop', 'web'));
    const action = {
      namespace: 'shop',
      policy: 'web',
      trigger: 't',
      targetKind: 'Pod',
      targetName: 'w',
      seq: 1,
    };
    const [a, b] = [
      actionWorkflowId({ ...action, cluster: 'a' }),
      actionWorkflowId({ ...action, cluster: 'b' }),
    ];
    expect(a).not.toBe(b);
    expect(healingActionName(a, 'restart')).not.toBe(healingActionName(b, 'restart'));
  });

  it('ids of the format before clusters (recorded histories) are built without a cluster and still parse', () => {
    const id = policyWorkflowId(undefined, 'demo-apps', 'memory-leak-healing');
    expect(id).toBe('kubeskippy/policy/demo-apps/memory-leak-healing');
    const parsed = parsePolicyWorkflowId(id);
    expect(parsed).toEqual({ namespace: 'demo-apps', name: 'memory-leak-healing' });
    expect(parsed).not.toHaveProperty('cluster');
    const action = parseActionWorkflowId('kubeskippy/action/demo/p/odd/trigger/Pod/web-1/17');
    expect(action).toMatchObject({ namespace: 'demo', policy: 'p', trigger: 'odd/trigger', seq: 17 });
    expect(action?.cluster).toBeUndefined();
  });

  it.each([
    'kubeskippy/policy/demo',
    'kubeskippy/policy/a/b/c',
    'other/policy/a/b',
    'kubeskippy/policy//b',
    'kubeskippy/a/policy/demo',
    'kubeskippy/a/policy/x/y/z',
    'kubeskippy//policy/a/b',
    'kubeskippy/a/action/ns/p/t/Pod/web/1',
    // A reserved kind in the cluster's place is never a cluster: this is an old id with 3 parts.
    'kubeskippy/action/policy/a/b',
  ])('rejects the policy id %j', (id) => expect(parsePolicyWorkflowId(id)).toBeUndefined());

  it('action ids follow the documented layout and parse back, even with "/" in the trigger name', () => {
    const parts = {
      cluster: 'kind-a',
      namespace: 'demo',
      policy: 'p',
      trigger: 'odd/trigger',
      targetKind: 'Pod',
      targetName: 'web-1',
      seq: 17,
    };
    const id = actionWorkflowId(parts);
    expect(id).toBe('kubeskippy/kind-a/action/demo/p/odd/trigger/Pod/web-1/17');
    expect(parseActionWorkflowId(id)).toEqual(parts);
  });

  it.each([
    'kubeskippy/a/action/demo/p/t/Pod/web',
    'kubeskippy/a/action/demo/p/t/Pod/web/x',
    'kubeskippy/a/policy/a/b',
    'kubeskippy/action/demo/p/t/Pod/web',
    'kubeskippy/policy/a/b',
    'kubeskippy/cluster/action/demo/p/t/Pod/web/1',
  ])('rejects the action id %j', (id) => expect(parseActionWorkflowId(id)).toBeUndefined());

  it('round-trips any action id, with or without a cluster', () => {
    fc.assert(
      fc.property(
        fc.option(clusterName, { nil: undefined }),
        k8sName,
        k8sName,
        fc.string({ minLength: 1 }),
        k8sName,
        fc.nat(),
        (cluster, ns, policy, trigger, name, seq) => {
          const parts = {
            cluster,
            namespace: ns,
            policy,
            trigger,
            targetKind: 'Deployment',
            targetName: name,
            seq,
          };
          expect(parseActionWorkflowId(actionWorkflowId(parts))).toEqual(parts);
          // Never mistaken for the other kind.
          expect(parsePolicyWorkflowId(actionWorkflowId(parts))).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips any policy id, with or without a cluster', () => {
    fc.assert(
      fc.property(fc.option(clusterName, { nil: undefined }), k8sName, k8sName, (cluster, ns, name) => {
        const id = policyWorkflowId(cluster, ns, name);
        expect(parsePolicyWorkflowId(id)).toEqual({
          ...(cluster !== undefined ? { cluster } : {}),
          namespace: ns,
          name,
        });
        expect(parseActionWorkflowId(id)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('HealingAction names', () => {
  const id = actionWorkflowId({
    cluster: 'prod-eu',
    namespace: 'demo-apps',
    policy: 'memory-leak-healing',
    trigger: 'high-memory',
    targetKind: 'Pod',
    targetName: 'memory-leak-app-7d9f8-x2x1q',
    seq: 3,
  });

  it('is readable (policy-action-target) plus a 7-char hash, and deterministic', () => {
    const name = healingActionName(id, 'restart-leaking-pod');
    // The prefix is cut to 55 characters (and its trailing dash dropped) to leave room for "-<hash>".
    expect(name).toBe(`memory-leak-healing-restart-leaking-pod-memory-leak-app-${shortHash(id)}`);
    expect(name).toBe(healingActionName(id, 'restart-leaking-pod'));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(DNS1123_LABEL);
    expect(name.startsWith('memory-leak-healing-restart-leaking-pod-')).toBe(true);
  });

  it('differs between sequence numbers of the same target', () => {
    const other = id.replace(/\/3$/, '/4');
    expect(healingActionName(other, 'restart-leaking-pod')).not.toBe(
      healingActionName(id, 'restart-leaking-pod'),
    );
  });

  it('is a DNS-1123 label of at most 63 characters for any input', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.string(),
        (policy, action, trigger, target) => {
          const wid = actionWorkflowId({
            cluster: 'c',
            namespace: 'ns',
            policy: policy || 'p',
            trigger,
            targetKind: 'Pod',
            targetName: target || 't',
            seq: 1,
          });
          const name = healingActionName(wid, action);
          expect(name.length).toBeLessThanOrEqual(63);
          expect(name).toMatch(DNS1123_LABEL);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('falls back to "action-<hash>" when nothing readable is left', () => {
    expect(healingActionName('???', '!!!')).toBe(`action-${shortHash('???')}`);
  });
});

describe('hash', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('fnv1a32(%j) matches the reference vector', (text, want) => expect(fnv1a32(text)).toBe(want));

  it('shortHash is always 7 base-36 characters', () => {
    fc.assert(
      fc.property(fc.string(), (s) => /^[0-9a-z]{7}$/.test(shortHash(s))),
      { numRuns: 200 },
    );
  });
});

describe('keys', () => {
  it('target keys are <ns>/<kind>/<name> and parse back', () => {
    const key = targetKey({ namespace: 'demo', kind: 'Deployment', name: 'web' });
    expect(key).toBe('demo/Deployment/web');
    expect(parseTargetKey(key)).toEqual({ namespace: 'demo', kind: 'Deployment', name: 'web' });
    expect(parseTargetKey('demo/web')).toBeUndefined();
  });

  it('trigger-target keys split at the first "#", so trigger names may contain one', () => {
    const key = triggerTargetKey('a#b', 'demo/Pod/web-1');
    expect(parseTriggerTargetKey(key)).toEqual({ trigger: 'a#b', targetKey: 'demo/Pod/web-1' });
    expect(parseTriggerTargetKey('no-separator')).toBeUndefined();
  });
});
