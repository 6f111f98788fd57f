// Kubernetes objects → the plain snapshot the domain decides on; label selectors → the list query.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { workflowUrl } from '../../activities/index.js';
import { labelSelectorString } from '../../activities/snapshot/collect.js';
import { eventSnapshot, podSnapshot } from '../../activities/snapshot/convert.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

function pod(
  over: {
    status?: V1Pod['status'];
    deleting?: boolean;
    resources?: Record<string, Record<string, string>>;
  } = {},
): V1Pod {
  return {
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u-1',
      labels: { app: 'web' },
      annotations: { a: 'b', 'kubeskippy.io/protected': 'true' },
      creationTimestamp: at(0),
      ...(over.deleting ? { deletionTimestamp: at(5) } : {}),
    },
    spec: {
      nodeName: 'node-1',
      containers: [
        {
          name: 'app',
          image: 'web:1',
          resources: over.resources ?? {
            limits: { memory: '512Mi', cpu: '500m' },
            requests: { memory: '256Mi', cpu: '0.1' },
          },
        },
        { name: 'sidecar', image: 'proxy:1' },
      ],
    },
    ...(over.status ? { status: over.status } : {}),
  };
}

describe('podSnapshot', () => {
  // Only what the domain reads: this shape crosses into workflow history on every tick.
  it('turns a running pod into numbers and flags, keeping only what the domain reads', () => {
    const snap = podSnapshot(
      pod({
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: at(2) },
            { type: 'PodScheduled', status: 'True' },
          ],
          containerStatuses: [
            {
              name: 'app',
              image: 'web:1',
              imageID: '',
              ready: true,
              restartCount: 3,
              state: { running: { startedAt: at(1) } },
              lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            },
          ],
        },
      }),
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'd-1' },
    );
    expect(snap).toEqual({
      ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u-1' },
      labels: { app: 'web' },
      // Only the operator's own annotations (the protection check reads kubeskippy.io/protected).
      annotations: { 'kubeskippy.io/protected': 'true' },
      phase: 'Running',
      ready: true,
      deleting: false,
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containers: [
        {
          name: 'app',
          ready: true,
          restartCount: 3,
          state: 'running',
          lastTerminationReason: 'OOMKilled',
          // Requests are read only as a fallback for a missing limit, so they are dropped here.
          memoryLimitBytes: 512 * 2 ** 20,
          cpuLimitMillicores: 500,
        },
        // No status yet for the sidecar: waiting, not ready, no limits.
        { name: 'sidecar', ready: false, restartCount: 0, state: 'waiting' },
      ],
      createdAtMs: T0,
      owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'd-1' },
    });
  });

  it.each<[string, V1Pod, Partial<ReturnType<typeof podSnapshot>>]>([
    [
      'a pod without status is Unknown and not ready',
      pod(),
      { phase: 'Unknown', ready: false, deleting: false },
    ],
    [
      'Ready=False is not ready',
      pod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }),
      { phase: 'Running', ready: false },
    ],
    ['a deletionTimestamp means deleting', pod({ deleting: true }), { deleting: true }],
  ])('%s', (_name, p, want) => {
    expect(podSnapshot(p, undefined)).toMatchObject(want);
    expect(podSnapshot(p, undefined)).not.toHaveProperty('owner');
  });

  it('reads crash-loop state reasons and leaves unparseable quantities out', () => {
    const snap = podSnapshot(
      pod({
        resources: { limits: { memory: 'lots', cpu: '2' } },
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'app',
              image: 'web:1',
              imageID: '',
              ready: false,
              restartCount: 7,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error' } },
            },
          ],
        },
      }),
      undefined,
    );
    const app = snap.containers[0]!;
    expect(app).toMatchObject({
      state: 'waiting',
      stateReason: 'CrashLoopBackOff',
      lastTerminationReason: 'Error',
      restartCount: 7,
      cpuLimitMillicores: 2000,
    });
    expect(app).not.toHaveProperty('memoryLimitBytes');
  });
});

const event = (over: Partial<CoreV1Event>): CoreV1Event => ({
  metadata: { name: 'web-1.abc', namespace: 'shop' },
  involvedObject: { kind: 'Pod', name: 'web-1', uid: 'u-1' },
  reason: 'BackOff',
  type: 'Warning',
  message: 'Back-off restarting failed container',
  ...over,
});

describe('eventSnapshot', () => {
  it.each<[string, CoreV1Event, { when?: number; count?: number }]>([
    [
      'a classic event: lastTimestamp and count',
      event({ firstTimestamp: at(0), lastTimestamp: at(30), count: 4 }),
      { when: T0 + 30_000, count: 4 },
    ],
    [
      'an eventTime-only event (events.k8s.io style) counts once',
      event({ eventTime: at(12) }),
      { when: T0 + 12_000, count: 1 },
    ],
    [
      'a series: its last observation and its count',
      event({ eventTime: at(1), series: { count: 9, lastObservedTime: at(40) } }),
      { when: T0 + 40_000, count: 9 },
    ],
    ['only a firstTimestamp', event({ firstTimestamp: at(3) }), { when: T0 + 3000, count: 1 }],
    ['no time at all is dropped', event({}), {}],
  ])('%s', (_name, e, { when, count }) => {
    const snap = eventSnapshot(e);
    if (when === undefined) return expect(snap).toBeUndefined();
    expect(snap).toEqual({
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u-1' },
      reason: 'BackOff',
      type: 'Warning',
      message: 'Back-off restarting failed container',
      count,
      lastTimestampMs: when,
    });
  });

  it('takes the namespace from the involved object when it has one', () => {
    const e = event({ lastTimestamp: at(1), involvedObject: { kind: 'Pod', name: 'x', namespace: 'other' } });
    expect(eventSnapshot(e)?.involvedObject).toEqual({ kind: 'Pod', namespace: 'other', name: 'x' });
  });
});

describe('labelSelectorString', () => {
  it.each<[string, Parameters<typeof labelSelectorString>[0], string | undefined]>([
    ['none', undefined, undefined],
    ['empty selects everything', {}, undefined],
    ['matchLabels', { matchLabels: { app: 'web', tier: 'fe' } }, 'app=web,tier=fe'],
    [
      'every operator',
      {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['a', 'b'] },
          { key: 'zone', operator: 'NotIn', values: ['x'] },
          { key: 'critical', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      'env in (a,b),zone notin (x),critical,!legacy',
    ],
    [
      'labels and expressions together',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['p'] }] },
      'app=web,env in (p)',
    ],
  ])('%s', (_name, sel, want) => {
    expect(labelSelectorString(sel)).toBe(want);
  });
});

describe('workflowUrl', () => {
  it.each<[string, { temporalUiUrl: string; temporalNamespace: string }, string, string | undefined, string]>(
    [
      [
        'id and run',
        { temporalUiUrl: 'http://localhost:8233', temporalNamespace: 'default' },
        'wf-1',
        'run-1',
        'http://localhost:8233/namespaces/default/workflows/wf-1/run-1',
      ],
      [
        'no run id',
        { temporalUiUrl: 'http://localhost:8233/', temporalNamespace: 'default' },
        'wf-1',
        undefined,
        'http://localhost:8233/namespaces/default/workflows/wf-1',
      ],
      [
        'ids with slashes and spaces are escaped',
        { temporalUiUrl: 'https://temporal.example.com/ui', temporalNamespace: 'prod ns' },
        'action/shop/web 1',
        undefined,
        'https://temporal.example.com/ui/namespaces/prod%20ns/workflows/action%2Fshop%2Fweb%201',
      ],
    ],
  )('%s', (_name, deps, id, run, want) => {
    expect(workflowUrl(deps, id, run)).toBe(want);
  });
});
