import { describe, expect, it } from 'vitest';
import type { NormalizedPolicy } from '../../domain/policy.js';
import type { PodSnapshot } from '../../domain/snapshot.js';
import { initialState, type PolicyState } from '../../domain/state.js';
import { evaluateTriggers, type TriggerEvaluation } from '../../domain/triggers.js';
import {
  bare,
  createdAt,
  event,
  inNamespace,
  lastTerminated,
  labels,
  memoryTrigger,
  metric,
  noLimits,
  notReady,
  ownedBy,
  pod,
  policy,
  snapshot,
  terminating,
  uid,
  waiting,
  withContainers,
  withCpu,
  withMemory,
  withoutConditions,
  withRestarts,
  workload,
  workloadLabels,
  MI,
} from '../fixtures/domain-builders.js';

/** Runs snapshots through one state; returns the evaluations of each step. */
function run(
  p: NormalizedPolicy,
  steps: [number, PodSnapshot[], Parameters<typeof snapshot>[2]?][],
): TriggerEvaluation[][] {
  const state: PolicyState = initialState();
  return steps.map(([t, pods, extra]) =>
    evaluateTriggers({ policy: p, snapshot: snapshot(t, pods, extra), state, nowMs: t }),
  );
}
const once = (
  p: NormalizedPolicy,
  pods: PodSnapshot[],
  extra?: Parameters<typeof snapshot>[2],
): TriggerEvaluation[] => run(p, [[1_000_000, pods, extra]])[0] ?? [];
const metricPolicy = (
  query: string,
  operator: string,
  threshold: number,
  extra: Record<string, unknown> = {},
) =>
  policy({
    triggers: [{ name: 't', type: 'metric', metricTrigger: { query, operator, threshold, ...extra } }],
  });

describe('metric built-ins', () => {
  it.each<[string, string, PodSnapshot, string | undefined]>([
    ['memory % over the limit', 'memory_usage_percent', pod('a', withMemory(0.87)), '87'],
    [
      'memory % falls back to the request',
      'memory_usage_percent',
      pod('a', noLimits, withMemory(0.5), (p) => {
        (p.containers[0] as { memoryRequestBytes?: number }).memoryRequestBytes = 256 * MI;
      }),
      '100',
    ],
    [
      'memory % without limit or request: no sample',
      'memory_usage_percent',
      pod('a', noLimits, withMemory(0.5)),
      undefined,
    ],
    ['memory % without usage: no sample', 'memory_usage_percent', pod('a'), undefined],
    ['cpu % over the limit', 'cpu_usage_percent', pod('a', withCpu(0.92)), '92'],
    [
      'memory % is the max over containers',
      'memory_usage_percent',
      pod(
        'a',
        withContainers(
          { memoryLimitBytes: 100, usage: { memoryBytes: 90, cpuMillicores: 1 } },
          { memoryLimitBytes: 100, usage: { memoryBytes: 10, cpuMillicores: 1 } },
        ),
      ),
      '90',
    ],
    [
      'memory bytes is the pod sum',
      'memory_usage_bytes',
      pod(
        'a',
        withContainers(
          { usage: { memoryBytes: 300, cpuMillicores: 1 } },
          { usage: { memoryBytes: 200, cpuMillicores: 1 } },
        ),
      ),
      '500',
    ],
    [
      'cpu millicores is the pod sum',
      'cpu_usage_millicores',
      pod(
        'a',
        withContainers(
          { usage: { memoryBytes: 1, cpuMillicores: 250 } },
          { usage: { memoryBytes: 1, cpuMillicores: 100 } },
        ),
      ),
      '350',
    ],
    [
      'PromQL comes from customMetrics by query',
      'rate(http_errors[5m])',
      pod('a', metric('rate(http_errors[5m])', 4.5)),
      '4.5',
    ],
    ['PromQL without a value: no sample', 'rate(http_errors[5m])', pod('a', metric('other', 1)), undefined],
  ])('%s', (_name, query, p, observed) => {
    const [ev] = once(metricPolicy(query, '>', 0), [p]);
    expect(ev?.observedValue).toBe(observed);
    expect(ev?.sampled).toBe(observed !== undefined);
  });

  it.each<[string, number, number, boolean]>([
    ['>', 87, 85, true],
    ['>', 85, 85, false],
    ['>=', 85, 85, true],
    ['>=', 84, 85, false],
    ['<', 10, 20, true],
    ['<', 20, 20, false],
    ['<=', 20, 20, true],
    ['<=', 21, 20, false],
    ['==', 4, 4, true],
    ['==', 4.5, 4, false],
    ['!=', 4.5, 4, true],
    ['!=', 4, 4, false],
  ])('operator %s: %d vs %d → %s', (operator, value, threshold, holds) => {
    const [ev] = once(metricPolicy('q', operator, threshold), [pod('a', metric('q', value))]);
    expect(ev?.holds).toBe(holds);
    expect(ev?.fired).toBe(holds);
    expect(ev?.threshold).toBe(`${operator} ${threshold}`);
  });
});

describe('per-target evaluation', () => {
  it('fires only for the pod that breaches, never for its siblings', () => {
    const evs = once(policy(), [pod('a', withMemory(0.9)), pod('b', withMemory(0.3)), pod('c')]);
    expect(evs.map((e) => [e.targetKey, e.fired, e.sampled])).toEqual([
      ['demo/Pod/a', true, true],
      ['demo/Pod/b', false, true],
      ['demo/Pod/c', false, false],
    ]);
  });

  it('skips pods outside the selector, outside the namespaces, and terminating pods', () => {
    const evs = once(policy(), [
      pod('in', withMemory(0.9)),
      pod('other-app', withMemory(0.9), labels({ app: 'db' })),
      pod('other-ns', withMemory(0.9), inNamespace('prod')),
      pod('leaving', withMemory(0.9), terminating),
    ]);
    expect(evs.map((e) => e.targetKey)).toEqual(['demo/Pod/in']);
  });

  it('selects pods through their owner when the policy selects workload kinds', () => {
    const p = policy({
      selector: { labelSelector: { matchLabels: { tier: 'api' } }, resources: [{ kind: 'Deployment' }] },
    });
    const pods = [
      pod('a', withMemory(0.9)),
      pod('b', withMemory(0.9), ownedBy('Deployment', 'other')),
      pod('c', bare),
    ];
    const evs = once(p, pods, {
      workloads: [workload('web', workloadLabels({ tier: 'api' })), workload('other')],
    });
    expect(evs.map((e) => e.targetKey)).toEqual(['demo/Pod/a']);
  });
});

describe('`for` windows', () => {
  const p = policy({ triggers: [memoryTrigger(85, { for: '20s' })] });
  const high = () => pod('a', withMemory(0.9));
  const low = () => pod('a', withMemory(0.5));
  const none = () => pod('a');
  const fired = (steps: [number, PodSnapshot[]][]) => run(p, steps).map((evs) => evs[0]?.fired);
  const since = (steps: [number, PodSnapshot[]][]) => run(p, steps).map((evs) => evs[0]?.firstTrueMs);

  it('fires once the comparison has held for the whole window', () => {
    expect(
      fired([
        [0, [high()]],
        [10_000, [high()]],
        [19_999, [high()]],
        [20_000, [high()]],
      ]),
    ).toEqual([false, false, false, true]);
    expect(
      since([
        [0, [high()]],
        [10_000, [high()]],
        [20_000, [high()]],
      ]),
    ).toEqual([0, 0, 0]);
  });

  it('resets on the first snapshot where it does not hold', () => {
    const steps: [number, PodSnapshot[]][] = [
      [0, [high()]],
      [10_000, [low()]],
      [20_000, [high()]],
      [30_000, [high()]],
      [40_000, [high()]],
    ];
    expect(fired(steps)).toEqual([false, false, false, false, true]);
    expect(since(steps)).toEqual([0, undefined, 20_000, 20_000, 20_000]);
  });

  it('a missing sample neither resets a window nor fires', () => {
    const steps: [number, PodSnapshot[]][] = [
      [0, [high()]],
      [10_000, [none()]],
      [20_000, [none()]],
      [25_000, [high()]],
    ];
    expect(fired(steps)).toEqual([false, false, false, true]);
    expect(since(steps)).toEqual([0, 0, 0, 0]);
  });

  it('a missing sample does not start a window', () => {
    expect(
      since([
        [0, [none()]],
        [10_000, [high()]],
      ]),
    ).toEqual([undefined, 10_000]);
  });

  it('a pod missing from a snapshot keeps its window', () => {
    expect(
      fired([
        [0, [high()]],
        [10_000, []],
        [20_000, [high()]],
      ]),
    ).toEqual([false, undefined, true]);
  });

  it('a replacement pod with the same name (new uid) starts a new window', () => {
    const steps: [number, PodSnapshot[]][] = [
      [0, [high()]],
      [10_000, [high()]],
      [20_000, [pod('a', withMemory(0.9), uid('new'))]],
    ];
    expect(fired(steps)).toEqual([false, false, false]);
    expect(since(steps)).toEqual([0, 0, 20_000]);
  });

  it('windows are per target', () => {
    const res = run(p, [
      [0, [pod('a', withMemory(0.9))]],
      [10_000, [pod('a', withMemory(0.9)), pod('b', withMemory(0.9))]],
      [20_000, [pod('a', withMemory(0.9)), pod('b', withMemory(0.9))]],
    ]);
    expect(res[2]?.map((e) => [e.target.name, e.fired])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});

describe('restart_count is restarts within the window', () => {
  const p = metricPolicy('restart_count', '>', 3, { window: '5m' });
  const MIN = 60_000;
  const restarts = (steps: [number, PodSnapshot[]][]) => run(p, steps).map((evs) => evs[0]?.observedValue);

  it('never counts the lifetime total of a pod it has just met', () => {
    expect(restarts([[60 * MIN, [pod('a', withRestarts(50))]]])).toEqual(['0']);
  });

  it('counts increases between snapshots, and forgets them once they leave the window', () => {
    const at = (t: number, n: number): [number, PodSnapshot[]] => [t, [pod('a', withRestarts(n))]];
    expect(
      restarts([
        at(0, 10),
        at(1 * MIN, 12),
        at(2 * MIN, 14),
        at(6 * MIN, 14),
        at(7 * MIN, 14),
        at(8 * MIN, 15),
      ]),
    ).toEqual(['0', '2', '4', '2', '0', '1']);
  });

  it('fires on more than 3 restarts within the window', () => {
    const evs = run(p, [
      [0, [pod('a', withRestarts(1))]],
      [MIN, [pod('a', withRestarts(5))]],
    ]);
    expect(evs.map((e) => e[0]?.fired)).toEqual([false, true]);
  });

  it('a replaced pod (new uid) starts from zero', () => {
    const old = pod('web-0', withRestarts(40), ownedBy('StatefulSet', 'db'));
    const replacement = pod(
      'web-0',
      withRestarts(2),
      ownedBy('StatefulSet', 'db'),
      uid('new'),
      createdAt(9 * MIN),
    );
    expect(
      restarts([
        [0, [old]],
        [5 * MIN, [old]],
        [10 * MIN, [replacement]],
      ]),
    ).toEqual(['0', '0', '2']);
  });

  it('a pod created inside the window counts all of its restarts', () => {
    expect(restarts([[10 * MIN, [pod('a', withRestarts(5), createdAt(8 * MIN))]]])).toEqual(['5']);
    expect(restarts([[10 * MIN, [pod('a', withRestarts(5), createdAt(4 * MIN))]]])).toEqual(['0']);
  });

  it('sums restarts over containers and never goes negative', () => {
    const two = (a: number, b: number) => pod('a', withContainers({ restartCount: a }, { restartCount: b }));
    expect(
      restarts([
        [0, [two(1, 1)]],
        [MIN, [two(3, 2)]],
        [2 * MIN, [two(0, 0)]],
        [3 * MIN, [two(1, 0)]],
      ]),
    ).toEqual(['0', '3', '3', '4']);
  });
});

describe('event triggers', () => {
  const now = 1_000_000;
  const ev = (extra: Record<string, unknown>) =>
    policy({ triggers: [{ name: 'e', type: 'event', eventTrigger: { window: '2m', ...extra } }] });
  const count = (p: NormalizedPolicy, events: ReturnType<typeof event>[], pods = [pod('a')]) =>
    once(p, pods, { events }).map((e) => [e.observedValue, e.fired]);

  it.each<[string, Record<string, unknown>, ReturnType<typeof event>[], [string, boolean]]>([
    [
      'sums event counts within the window',
      { reason: 'BackOff', count: 5 },
      [
        event('a', 'BackOff', { count: 3, atMs: now - 1000 }),
        event('a', 'BackOff', { count: 2, atMs: now - 60_000 }),
      ],
      ['5', true],
    ],
    [
      'ignores events older than the window',
      { reason: 'BackOff', count: 2 },
      [event('a', 'BackOff', { count: 3, atMs: now - 121_000 }), event('a', 'BackOff', { atMs: now })],
      ['1', false],
    ],
    [
      'reason is exact',
      { reason: 'BackOff' },
      [event('a', 'Back'), event('a', 'BackOffX')].map((e) => ({ ...e, lastTimestampMs: now })),
      ['0', false],
    ],
    [
      'reasonPattern matches the whole reason',
      { reasonPattern: 'Unhealthy|BackOff', count: 2 },
      [
        event('a', 'BackOff', { atMs: now }),
        event('a', 'Unhealthy', { atMs: now }),
        event('a', 'BackOffLimitExceeded', { atMs: now }),
      ],
      ['2', true],
    ],
    [
      'type filters',
      { reason: 'BackOff', type: 'Warning' },
      [event('a', 'BackOff', { type: 'Normal', atMs: now })],
      ['0', false],
    ],
    [
      'no reason matches any reason',
      { count: 2 },
      [event('a', 'X', { atMs: now }), event('a', 'Y', { atMs: now })],
      ['2', true],
    ],
    [
      'events on another pod do not count',
      { reason: 'BackOff' },
      [event('b', 'BackOff', { atMs: now })],
      ['0', false],
    ],
    [
      'events on the owner do not count',
      { reason: 'BackOff' },
      [event('web', 'BackOff', { atMs: now, kind: 'Deployment' })],
      ['0', false],
    ],
    [
      'events in another namespace do not count',
      { reason: 'BackOff' },
      [event('a', 'BackOff', { atMs: now, namespace: 'x' })],
      ['0', false],
    ],
    [
      'events of a predecessor with the same name (other uid) do not count',
      { reason: 'BackOff' },
      [event('a', 'BackOff', { atMs: now, uid: 'old' })],
      ['0', false],
    ],
    [
      'events with this uid count',
      { reason: 'BackOff' },
      [event('a', 'BackOff', { atMs: now, uid: 'uid-pod-demo-a' })],
      ['1', true],
    ],
  ])('%s', (_name, spec, events, want) => {
    expect(count(ev(spec), events)).toEqual([want]);
  });
});

describe('condition triggers', () => {
  const cond = (type: string, status?: string, extra: Record<string, unknown> = {}) =>
    policy({
      triggers: [
        { name: 'c', type: 'condition', conditionTrigger: { type, ...(status ? { status } : {}), ...extra } },
      ],
    });
  it.each<[string, string, string | undefined, PodSnapshot, boolean | 'no sample']>([
    ['Ready=False holds for a pod that is not ready', 'Ready', 'False', pod('a', notReady), true],
    ['Ready=False does not hold for a ready pod', 'Ready', 'False', pod('a'), false],
    ['Ready=True holds for a ready pod', 'Ready', 'True', pod('a'), true],
    [
      'a condition the pod does not report is no sample',
      'Ready',
      'False',
      pod('a', withoutConditions),
      'no sample',
    ],
    [
      'CrashLoopBackOff from the waiting reason',
      'CrashLoopBackOff',
      undefined,
      pod('a', waiting('CrashLoopBackOff')),
      true,
    ],
    ['CrashLoopBackOff not present', 'CrashLoopBackOff', undefined, pod('a'), false],
    ['CrashLoopBackOff status False = no container in it', 'CrashLoopBackOff', 'False', pod('a'), true],
    [
      'CrashLoopBackOff status False, container in it',
      'CrashLoopBackOff',
      'False',
      pod('a', waiting('CrashLoopBackOff')),
      false,
    ],
    [
      'container states never hold with status Unknown',
      'CrashLoopBackOff',
      'Unknown',
      pod('a', waiting('CrashLoopBackOff')),
      false,
    ],
    ['ImagePullBackOff', 'ImagePullBackOff', undefined, pod('a', waiting('ImagePullBackOff')), true],
    ['ErrImagePull', 'ErrImagePull', undefined, pod('a', waiting('ErrImagePull')), true],
    [
      'OOMKilled from the last termination',
      'OOMKilled',
      undefined,
      pod('a', lastTerminated('OOMKilled')),
      true,
    ],
    [
      'OOMKilled from the current termination',
      'OOMKilled',
      undefined,
      pod('a', (p) =>
        Object.assign(p.containers[0] ?? {}, { state: 'terminated', stateReason: 'OOMKilled' }),
      ),
      true,
    ],
    [
      'a running container whose reason field is stale is not in the state',
      'CrashLoopBackOff',
      undefined,
      pod('a', (p) =>
        Object.assign(p.containers[0] ?? {}, { state: 'running', stateReason: 'CrashLoopBackOff' }),
      ),
      false,
    ],
    ['Error from the last termination', 'Error', undefined, pod('a', lastTerminated('Error')), true],
    ['OOMKilled is not Error', 'Error', undefined, pod('a', lastTerminated('OOMKilled')), false],
  ])('%s', (_name, type, status, p, want) => {
    const [ev] = once(cond(type, status), [p]);
    if (want === 'no sample') expect(ev?.sampled).toBe(false);
    else expect([ev?.sampled, ev?.holds]).toEqual([true, want]);
  });

  it('honours `for`', () => {
    const p = cond('CrashLoopBackOff', 'True', { for: '15s' });
    const crash = () => [pod('a', waiting('CrashLoopBackOff'))];
    expect(
      run(p, [
        [0, crash()],
        [10_000, crash()],
        [15_000, crash()],
      ]).map((e) => e[0]?.fired),
    ).toEqual([false, false, true]);
    expect(
      run(p, [
        [0, crash()],
        [10_000, [pod('a')]],
        [15_000, crash()],
      ]).map((e) => e[0]?.fired),
    ).toEqual([false, false, false]);
  });
});
