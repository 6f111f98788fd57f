import { describe, expect, it } from 'vitest';
import type { KObject } from '../../sim/contract.js';
import { humanDuration } from '../../sim/api/duration.js';
import { pods } from '../../sim/api/pod-printer.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

const pod = (status: Record<string, unknown>, deleting = false): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', creationTimestamp: ago(3600), ...(deleting ? { deletionTimestamp: ago(0) } : {}) },
  spec: { containers: [{ name: 'a' }, { name: 'b' }] },
  status,
});

describe('kubectl get pods columns', () => {
  it.each([
    [
      'running and ready',
      pod({
        phase: 'Running',
        containerStatuses: [
          { ready: true, restartCount: 0 },
          { ready: true, restartCount: 0 },
        ],
      }),
      ['2/2', 'Running', '0'],
    ],
    [
      'crash-looping',
      pod({
        phase: 'Running',
        containerStatuses: [
          {
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } },
          },
          { ready: true, restartCount: 0 },
        ],
      }),
      ['1/2', 'CrashLoopBackOff', '5 (2m ago)'],
    ],
    [
      'OOM-killed',
      pod({
        phase: 'Running',
        containerStatuses: [{ restartCount: 1, state: { terminated: { reason: 'OOMKilled' } } }],
      }),
      ['0/2', 'OOMKilled', '1'],
    ],
    ['terminating', pod({ phase: 'Running' }, true), ['0/2', 'Terminating', '0']],
    ['pending', pod({ phase: 'Pending' }), ['0/2', 'Pending', '0']],
  ])('%s', (_name, p, [ready, status, restarts]) => {
    expect(pods.cells(p, NOW).slice(0, 5)).toEqual(['p', ready, status, restarts, '60m']);
  });
});

describe('humanDuration (k8s.io/apimachinery duration.HumanDuration)', () => {
  it.each([
    [59, '59s'],
    [119, '119s'],
    [150, '2m30s'],
    [600, '10m'],
    [3 * 3600 + 60, '3h1m'],
    [30 * 3600, '30h'],
    [3 * 86400 + 3600, '3d1h'],
    [400 * 86400, '400d'],
    [3 * 365 * 86400, '3y'],
  ])('%ss → %s', (s, out) => {
    expect(humanDuration(s * 1000)).toBe(out);
  });
});
