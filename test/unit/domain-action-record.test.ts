// The figures a HealingAction records before acting and after verification: usage and restarts
// as before, and now the PromQL values a PromQL trigger acted on, keyed by the query.
import { describe, expect, it } from 'vitest';
import { usageOf } from '../../domain/action-record.js';
import type { PodSnapshot } from '../../domain/snapshot.js';
import { metric, pod, withMemory, withRestarts } from '../fixtures/domain-builders.js';

const Q = 'container_memory_working_set_bytes{container="app"} / 1048576';

describe('usageOf', () => {
  it.each<[string, PodSnapshot[], Record<string, string>]>([
    ['a PromQL value, rounded as trigger texts are', [pod('a', metric(Q, 111.23456))], { [Q]: '111.23' }],
    ['no PromQL value, no key', [pod('a', withRestarts(2))], { restarts: '2' }],
    [
      'several pods: each value under its pod name',
      [pod('a', metric(Q, 40)), pod('b', metric(Q, 120.5))],
      { [`a ${Q}`]: '40', [`b ${Q}`]: '120.5' },
    ],
  ])('%s', (_, pods, expected) => {
    expect(usageOf(pods)).toMatchObject(expected);
    const keys = Object.keys(usageOf(pods)).filter((k) => k.includes('container_memory'));
    expect(keys).toEqual(Object.keys(expected).filter((k) => k.includes('container_memory')));
  });

  it('keeps the usage figures beside the PromQL value', () => {
    const out = usageOf([pod('a', withMemory(0.5), metric(Q, 256))]);
    expect(out).toMatchObject({ memory: expect.stringMatching(/Mi \(50%\)$/), restarts: '0', [Q]: '256' });
  });
});
