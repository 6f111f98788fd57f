import { describe, expect, it } from 'vitest';
import { resolveTarget, selectTargets, snapshotRequest, subjectKeyOf } from '../../domain/targets.js';
import {
  ownedBy,
  pod,
  policy,
  ref,
  snapshot,
  terminating,
  withMemory,
  workload,
} from '../fixtures/domain-builders.js';

describe('snapshotRequest', () => {
  it('asks for what the triggers need, and nothing more', () => {
    const p = policy({
      selector: {
        namespaces: ['a', 'b'],
        labelSelector: { matchLabels: { app: 'web' } },
        resources: [{ kind: 'Deployment' }, { kind: 'Pod' }],
      },
      triggers: [
        { name: 'm', type: 'metric', metricTrigger: { query: 'memory_usage_percent', threshold: 1 } },
        { name: 'r', type: 'metric', metricTrigger: { query: 'restart_count', threshold: 1 } },
        { name: 'q', type: 'metric', metricTrigger: { query: 'sum(rate(errors[1m]))', threshold: 1 } },
        { name: 'q2', type: 'metric', metricTrigger: { query: 'sum(rate(errors[1m]))', threshold: 2 } },
        { name: 'e', type: 'event', eventTrigger: { reason: 'BackOff', window: '10m' } },
        { name: 'e2', type: 'event', eventTrigger: { reason: 'Unhealthy', window: '2m' } },
      ],
    });
    expect(snapshotRequest(p)).toEqual({
      namespaces: ['a', 'b'],
      labelSelector: { matchLabels: { app: 'web' } },
      kinds: ['Deployment', 'Pod'],
      needUsage: true,
      promQueries: ['sum(rate(errors[1m]))'],
      eventLookbackMs: 600_000,
      conditionTypes: [],
      // A shared metrics answer at most half the 30 s interval old, and never over 5 s.
      usageMaxAgeMs: 5000,
      // Event triggers can wake the policy early; metric triggers keep the tick.
      wakeOn: {
        conditions: [],
        events: [{ reason: 'BackOff' }, { reason: 'Unhealthy' }],
        intervalMs: 30_000,
      },
    });
  });

  it('bounds the age of shared usage samples by half a short interval', () => {
    const usage = {
      name: 'm',
      type: 'metric',
      metricTrigger: { query: 'memory_usage_percent', threshold: 1 },
    };
    expect(snapshotRequest(policy({ evaluationInterval: '1s', triggers: [usage] })).usageMaxAgeMs).toBe(500);
    const restarts = { name: 'r', type: 'metric', metricTrigger: { query: 'restart_count', threshold: 1 } };
    expect(snapshotRequest(policy({ triggers: [restarts] }))).not.toHaveProperty('usageMaxAgeMs');
  });

  it('collects only the pod conditions condition triggers name, and wakes on them', () => {
    const p = policy({
      triggers: [
        { name: 'c', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } },
        { name: 'r', type: 'condition', conditionTrigger: { type: 'Ready', status: 'False' } },
      ],
    });
    expect(snapshotRequest(p)).toMatchObject({
      conditionTypes: ['Ready'], // CrashLoopBackOff is a container state, read from the containers
      wakeOn: {
        conditions: [
          { conditionType: 'CrashLoopBackOff', status: 'True' },
          { conditionType: 'Ready', status: 'False' },
        ],
      },
    });
  });

  it('needs no usage when only restarts are counted', () => {
    const p = policy({
      triggers: [{ name: 'r', type: 'metric', metricTrigger: { query: 'restart_count', threshold: 1 } }],
    });
    expect(snapshotRequest(p)).toMatchObject({ needUsage: false, promQueries: [], eventLookbackMs: 0 });
    expect(snapshotRequest(p)).not.toHaveProperty('wakeOn');
  });
});

describe('resolveTarget', () => {
  const snap = snapshot(0, [pod('a')], {
    workloads: [workload('web'), workload('ds', (w) => (w.ref = ref('DaemonSet', 'ds')))],
  });
  const p = policy({
    actions: [
      { name: 'evict', type: 'restart' },
      { name: 'rollout', type: 'restart', restartAction: { strategy: 'rolling' } },
      { name: 'scale', type: 'scale', scaleAction: { direction: 'up', replicas: 1 } },
      { name: 'patch-owner', type: 'patch', patchAction: { patch: '{}' } },
      { name: 'patch-self', type: 'patch', patchAction: { patch: '{}', target: 'self' } },
      { name: 'delete', type: 'delete' },
    ],
  });
  const action = (name: string) => p.actions.find((a) => a.name === name) ?? p.actions[0]!;

  it.each([
    ['evict', 'demo/Pod/a', false],
    ['rollout', 'demo/Deployment/web', true],
    ['scale', 'demo/Deployment/web', true],
    ['patch-owner', 'demo/Deployment/web', true],
    ['patch-self', 'demo/Pod/a', false],
    ['delete', 'demo/Pod/a', false],
  ])('%s acts on %s', (name, key, onOwner) => {
    const r = resolveTarget(action(name), pod('a'), snap);
    expect(r.ok && [`${r.ref.namespace}/${r.ref.kind}/${r.ref.name}`, r.onOwner]).toEqual([key, onOwner]);
  });

  it('a rollout restart of a DaemonSet is allowed, a scale is not', () => {
    const dsPod = pod('d', ownedBy('DaemonSet', 'ds'));
    expect(resolveTarget(action('rollout'), dsPod, snap)).toMatchObject({ ok: true, onOwner: true });
    expect(resolveTarget(action('scale'), dsPod, snap)).toMatchObject({
      ok: false,
      reason: 'UnsupportedTarget',
    });
  });

  it('an owner missing from the snapshot cannot be acted on', () => {
    expect(resolveTarget(action('scale'), pod('x', ownedBy('Deployment', 'gone')), snap)).toMatchObject({
      ok: false,
      reason: 'NoOwner',
      message: expect.stringMatching(/not in the snapshot/),
    });
  });

  it('the subject of a pod is its owner, or the pod itself', () => {
    expect(subjectKeyOf(pod('a'))).toBe('demo/Deployment/web');
    expect(subjectKeyOf(pod('a', (x) => delete x.owner))).toBe('demo/Pod/a');
  });
});

describe('selectTargets', () => {
  it('returns selected pods sorted by key, without terminating ones', () => {
    const p = policy();
    const pods = selectTargets(p, snapshot(0, [pod('c'), pod('a', withMemory(1)), pod('b', terminating)]));
    expect(pods.map((x) => x.ref.name)).toEqual(['a', 'c']);
  });
});
