import { describe, expect, it } from 'vitest';
import {
  cpuMillicoresAt,
  memoryBytesAt,
  nextBackoffSeconds,
  parseBehaviour,
  readyAt,
  spikeMillicores,
  terminationOf,
} from '../../sim/controllers/behaviours.js';
import { servingReplicas, workloadKey, type PodLike } from '../../cluster/workload.js';
import { parseByteRate, parseDurationSeconds, parseQuantity } from '../../sim/controllers/quantity.js';

const Mi = 2 ** 20;
const P = 'sim.kubeskippy.io/';

/** A container with `limits` and the given behaviour annotations; jitter off unless asked for. */
function behaviour(
  annotations: Record<string, string>,
  limits: Record<string, string> = {},
  seed = 'pod-a/app',
) {
  const withPrefix = Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}${k}`, v]));
  return parseBehaviour({ [`${P}jitter`]: '0', ...withPrefix }, { name: 'app', resources: { limits } }, seed);
}

const percentOf512 = (bytes: number): number => Math.round((bytes / (512 * Mi)) * 100);

describe('memory leak (slide 6: 512Mi limit, ~23% at start, >85% later, replaced pod low again)', () => {
  // The demo app's figures: 120Mi at start, growing 2.5Mi/s.
  const leak = behaviour(
    { behavior: 'memory-leak', 'memory-start': '120Mi', 'memory-leak-rate': '2.5Mi/s' },
    { memory: '512Mi' },
  );

  it.each([
    { atSec: 0, percent: 23 },
    { atSec: 60, percent: 53 },
    { atSec: 112, percent: 78 },
    { atSec: 130, percent: 87 },
  ])('is $percent% of the limit after $atSec s', ({ atSec, percent }) => {
    expect(percentOf512(memoryBytesAt(leak, atSec))).toBe(percent);
  });

  it('is OOM-killed (exit 137) exactly when usage reaches the limit, never above it', () => {
    const end = terminationOf(leak);
    expect(end).toEqual({ afterSec: (512 - 120) / 2.5, reason: 'OOMKilled', exitCode: 137 });
    expect(memoryBytesAt(leak, end!.afterSec)).toBe(512 * Mi);
    expect(memoryBytesAt(leak, end!.afterSec + 100)).toBe(512 * Mi);
  });

  it('starts between 19% and 23% in every replica of the demo app (start 110Mi ± 8%)', () => {
    for (const pod of [
      'memory-leak-app-7c9f-abcde',
      'memory-leak-app-7c9f-x2k4z',
      'memory-leak-app-5d8f-qq9rt',
    ]) {
      const b = parseBehaviour(
        { [`${P}behavior`]: 'memory-leak', [`${P}memory-start`]: '110Mi' },
        { name: 'app', resources: { limits: { memory: '512Mi' } } },
        `${pod}/app`,
      );
      expect(percentOf512(memoryBytesAt(b, 0))).toBeGreaterThanOrEqual(19);
      expect(percentOf512(memoryBytesAt(b, 0))).toBeLessThanOrEqual(23);
    }
  });

  it('never terminates without a memory limit', () => {
    expect(terminationOf(behaviour({ behavior: 'memory-leak' }))).toBeUndefined();
  });

  it('accepts per-minute rates', () => {
    const perMinute = behaviour({
      behavior: 'memory-leak',
      'memory-start': '100Mi',
      'memory-leak-rate': '60Mi/min',
    });
    expect(memoryBytesAt(perMinute, 30)).toBe(130 * Mi);
  });
});

describe('crash loop', () => {
  it.each<{ annotations: Record<string, string>; afterSec: number; reason: string; exitCode: number }>([
    { annotations: { 'crash-after': '5s' }, afterSec: 5, reason: 'Error', exitCode: 1 },
    { annotations: { 'crash-after': '1m', 'exit-code': '2' }, afterSec: 60, reason: 'Error', exitCode: 2 },
    { annotations: { 'crash-after': '3s', 'exit-code': '0' }, afterSec: 3, reason: 'Completed', exitCode: 0 },
  ])('exits after $afterSec s with $reason/$exitCode', ({ annotations, afterSec, reason, exitCode }) => {
    expect(terminationOf(behaviour({ behavior: 'crashloop', ...annotations }))).toEqual({
      afterSec,
      reason,
      exitCode,
    });
  });

  it('backs off 10, 20, 40 … capped at 300 seconds', () => {
    const delays: number[] = [];
    let previous: number | undefined;
    for (let i = 0; i < 8; i++) delays.push((previous = nextBackoffSeconds(previous, 5)));
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('resets the back-off after a container ran cleanly for 10 minutes', () => {
    expect(nextBackoffSeconds(300, 600)).toBe(10);
    expect(nextBackoffSeconds(300, 599)).toBe(300);
  });

  it('lets a healthy container run forever', () => {
    expect(terminationOf(behaviour({ behavior: 'healthy' }))).toBeUndefined();
  });
});

describe('cpu spike', () => {
  it('idles at the base, then stays near the spike level (90% of a 500m limit by default)', () => {
    const spike = behaviour(
      { behavior: 'cpu-spike', 'cpu-base': '50m', 'cpu-pattern': 'spike-after=30s' },
      { cpu: '500m' },
    );
    for (const t of [0, 10, 29]) expect(cpuMillicoresAt(spike, t)).toBeLessThan(60);
    for (const t of [30, 100, 1000]) expect(cpuMillicoresAt(spike, t) / 500).toBeGreaterThan(0.85);
  });

  it('repeats with a period and duty cycle', () => {
    const periodic = behaviour({
      behavior: 'cpu-spike',
      'cpu-spike': '800m',
      'cpu-pattern': 'spike-after=10s,period=60s,duty=25%',
    });
    const high = (t: number): boolean => cpuMillicoresAt(periodic, t) > 500;
    expect([5, 10, 24, 26, 69, 70, 84, 86].map(high)).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('cpu load shared by the ready replicas (cpu-spike-app: cpu-load 900m, 500m limit)', () => {
  const load = behaviour(
    { behavior: 'cpu-spike', 'cpu-base': '50m', 'cpu-load': '900m', 'cpu-pattern': 'spike-after=30s' },
    { cpu: '500m' },
  );

  it.each([
    { replicas: 0, millicores: 500 },
    { replicas: 1, millicores: 500 },
    { replicas: 2, millicores: 450 },
    { replicas: 3, millicores: 300 },
    { replicas: 4, millicores: 225 },
    { replicas: 6, millicores: 150 },
  ])(
    'is $millicores m per pod at $replicas ready replicas (throttled at the limit)',
    ({ replicas, millicores }) => {
      expect(spikeMillicores(load, replicas)).toBe(millicores);
      // the ±3% wobble around it, and the base before the spike whatever the replica count
      expect(Math.abs(cpuMillicoresAt(load, 100, replicas) - millicores)).toBeLessThanOrEqual(
        millicores * 0.03 + 1,
      );
      expect(cpuMillicoresAt(load, 10, replicas)).toBeLessThan(60);
    },
  );

  it('scaling 2 → 4 takes a replica from 90% of its limit to 45%, below the policy threshold of 80%', () => {
    expect(spikeMillicores(load, 2) / 500).toBe(0.9);
    expect(spikeMillicores(load, 4) / 500).toBe(0.45);
  });

  it('without cpu-load, cpu-spike stays per pod whatever the replica count', () => {
    const fixed = behaviour({ behavior: 'cpu-spike', 'cpu-spike': '450m' }, { cpu: '500m' });
    expect([1, 2, 4].map((n) => spikeMillicores(fixed, n))).toEqual([450, 450, 450]);
  });

  it('without a CPU limit the share is not capped', () => {
    const unlimited = behaviour({ behavior: 'cpu-spike', 'cpu-load': '2' });
    expect([1, 4].map((n) => spikeMillicores(unlimited, n))).toEqual([2000, 500]);
  });
});

describe('workloads and their serving replicas', () => {
  const pod = (
    name: string,
    owner?: { kind: string; name: string },
    hash?: string,
    ready = true,
    deleting = false,
  ): PodLike => ({
    metadata: {
      name,
      namespace: 'demo-apps',
      labels: hash ? { 'pod-template-hash': hash } : ({} as Record<string, string>),
      ownerReferences: owner ? [{ ...owner, controller: true }] : [],
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

  it('groups both ReplicaSets of a rollout under their Deployment', () => {
    expect(workloadKey(pod('web-5d8f-a', { kind: 'ReplicaSet', name: 'web-5d8f' }, '5d8f'))).toBe(
      'demo-apps/Deployment/web',
    );
    expect(workloadKey(pod('web-7c9f-b', { kind: 'ReplicaSet', name: 'web-7c9f' }, '7c9f'))).toBe(
      'demo-apps/Deployment/web',
    );
    expect(workloadKey(pod('db-0', { kind: 'StatefulSet', name: 'db' }))).toBe('demo-apps/StatefulSet/db');
    expect(workloadKey(pod('lonely'))).toBe('demo-apps/Pod/lonely');
  });

  it('counts only Ready pods that are not terminating', () => {
    const rs = { kind: 'ReplicaSet', name: 'web-5d8f' };
    const counts = servingReplicas([
      pod('web-5d8f-a', rs, '5d8f'),
      pod('web-5d8f-b', rs, '5d8f'),
      pod('web-5d8f-c', rs, '5d8f', false),
      pod('web-5d8f-d', rs, '5d8f', true, true),
      pod('lonely'),
    ]);
    expect(Object.fromEntries(counts)).toEqual({ 'demo-apps/Deployment/web': 2, 'demo-apps/Pod/lonely': 1 });
  });
});

describe('healthy and flaky readiness', () => {
  it('keeps a healthy container low and steady, within 2% of its start value', () => {
    const healthy = behaviour({ 'memory-start': '100Mi', 'cpu-base': '20m' });
    for (const t of [0, 15, 45, 300, 3600]) {
      expect(Math.abs(memoryBytesAt(healthy, t) / (100 * Mi) - 1)).toBeLessThanOrEqual(0.02);
      expect(cpuMillicoresAt(healthy, t)).toBeGreaterThanOrEqual(18);
      expect(cpuMillicoresAt(healthy, t)).toBeLessThanOrEqual(22);
    }
  });

  it('flaky readiness fails in roughly the declared share of windows, deterministically', () => {
    const flaky = behaviour({
      behavior: 'flaky-readiness',
      'ready-failure-rate': '40%',
      'ready-period': '10s',
    });
    const windows = Array.from({ length: 500 }, (_, w) => readyAt(flaky, 1 + w * 10 + 5, 1));
    const failedShare = windows.filter((r) => !r).length / windows.length;
    expect(failedShare).toBeGreaterThan(0.3);
    expect(failedShare).toBeLessThan(0.5);
    expect(Array.from({ length: 500 }, (_, w) => readyAt(flaky, 1 + w * 10 + 5, 1))).toEqual(windows);
    expect(readyAt(flaky, 0.5, 1)).toBe(false); // not ready before the readiness delay
    expect(readyAt(flaky, 2, 1)).toBe(true); // the first window is always ready
  });

  it('a healthy container is ready after its readiness delay and stays ready', () => {
    const healthy = behaviour({});
    expect([0, 4.9, 5, 1000].map((t) => readyAt(healthy, t, 5))).toEqual([false, false, true, true]);
  });
});

describe('quantities', () => {
  it.each([
    ['512Mi', 512 * Mi],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['1G', 1e9],
    ['nonsense', undefined],
  ])('parses quantity %s', (text, value) => expect(parseQuantity(text)).toBe(value));

  it.each([
    ['30s', 30],
    ['2m', 120],
    ['1h30m', 5400],
    ['250ms', 0.25],
    ['10', 10],
    ['soon', undefined],
  ])('parses duration %s', (text, value) => expect(parseDurationSeconds(text)).toBe(value));

  it.each([
    ['8Mi/s', 8 * Mi],
    ['120Mi/min', 2 * Mi],
    ['60Mi/m', Mi],
    ['4Mi', 4 * Mi],
  ])('parses rate %s', (text, value) => expect(parseByteRate(text)).toBe(value));
});
