// Which cluster changes wake which policies, and how wake-ups are coalesced (domain/wake.ts).
import { describe, expect, it } from 'vitest';
import type { EventSnapshot, PodSnapshot } from '../../domain/snapshot.js';
import type { SnapshotRequest } from '../../domain/targets.js';
import { eventWakes, maySelect, planWake, podChangeWakes, type WakeOn } from '../../domain/wake.js';
import { inNamespace, labels, notReady, pod, terminating, waiting } from '../fixtures/domain-builders.js';

const wakeOn = (over: Partial<WakeOn> = {}): WakeOn => ({
  conditions: [{ conditionType: 'CrashLoopBackOff', status: 'True' }],
  events: [],
  intervalMs: 30_000,
  ...over,
});
const request = (over: Partial<SnapshotRequest> = {}): SnapshotRequest => ({
  namespaces: ['demo'],
  labelSelector: { matchLabels: { app: 'web' } },
  kinds: ['Pod'],
  needUsage: false,
  promQueries: [],
  eventLookbackMs: 0,
  wakeOn: wakeOn(),
  ...over,
});

describe('maySelect', () => {
  it.each<[string, Partial<SnapshotRequest>, string, Record<string, string> | undefined, boolean]>([
    ['matching labels in a selected namespace', {}, 'demo', { app: 'web' }, true],
    ['other labels', {}, 'demo', { app: 'db' }, false],
    ['another namespace', {}, 'other', { app: 'web' }, false],
    ['an unknown pod (labels not known yet) in a selected namespace', {}, 'demo', undefined, true],
    // Workload kinds select through the owner's labels, which a pod change does not carry.
    [
      'any pod of the namespace when workload kinds are selected',
      { kinds: ['Deployment'] },
      'demo',
      { x: 'y' },
      true,
    ],
  ])('%s', (_name, over, ns, podLabels, want) => {
    expect(maySelect(request(over), ns, podLabels)).toBe(want);
  });
});

describe('podChangeWakes', () => {
  const healthy = pod('web-1');
  const crashing = pod('web-1', waiting('CrashLoopBackOff'));
  it.each<[string, Partial<SnapshotRequest>, PodSnapshot | undefined, PodSnapshot | undefined, boolean]>([
    ['a container entering CrashLoopBackOff', {}, healthy, crashing, true],
    ['a new pod already in CrashLoopBackOff', {}, undefined, crashing, true],
    ['staying in CrashLoopBackOff (restart count, usage...)', {}, crashing, crashing, false],
    ['leaving it', {}, crashing, healthy, false],
    [
      'a pod the selector does not match',
      {},
      healthy,
      pod('db-1', labels({ app: 'db' }), waiting('CrashLoopBackOff')),
      false,
    ],
    [
      'a pod in another namespace',
      {},
      healthy,
      pod('web-1', inNamespace('x'), waiting('CrashLoopBackOff')),
      false,
    ],
    ['a terminating pod', {}, healthy, pod('web-1', waiting('CrashLoopBackOff'), terminating), false],
    ['a deleted pod', {}, crashing, undefined, false],
    ['a policy with only metric triggers (no wakeOn)', { wakeOn: undefined }, healthy, crashing, false],
    [
      'an OOMKilled trigger on a restart after an OOM kill',
      { wakeOn: wakeOn({ conditions: [{ conditionType: 'OOMKilled', status: 'True' }] }) },
      healthy,
      pod('web-1', (p) => (p.containers[0]!.lastTerminationReason = 'OOMKilled')),
      true,
    ],
    [
      'Ready flipping to False for a Ready=False trigger',
      { wakeOn: wakeOn({ conditions: [{ conditionType: 'Ready', status: 'False' }] }) },
      healthy,
      pod('web-1', notReady),
      true,
    ],
    [
      'Ready flipping to True for a Ready=False trigger',
      { wakeOn: wakeOn({ conditions: [{ conditionType: 'Ready', status: 'False' }] }) },
      pod('web-1', notReady),
      healthy,
      false,
    ],
  ])('%s', (_name, over, before, after, want) => {
    expect(podChangeWakes(request(over), before, after)).toBe(want);
  });
});

describe('eventWakes', () => {
  const ev = (over: Partial<EventSnapshot> = {}): EventSnapshot => ({
    involvedObject: { kind: 'Pod', namespace: 'demo', name: 'web-1' },
    reason: 'BackOff',
    type: 'Warning',
    message: 'Back-off restarting failed container',
    count: 1,
    lastTimestampMs: 1000,
    ...over,
  });
  const watching = (events: WakeOn['events']): SnapshotRequest =>
    request({ wakeOn: wakeOn({ conditions: [], events }) });
  it.each<
    [
      string,
      SnapshotRequest,
      EventSnapshot | undefined,
      EventSnapshot | undefined,
      Record<string, string> | undefined,
      boolean,
    ]
  >([
    [
      'a new Warning event with the watched reason',
      watching([{ reason: 'BackOff' }]),
      undefined,
      ev(),
      { app: 'web' },
      true,
    ],
    [
      'its count climbing',
      watching([{ reason: 'BackOff' }]),
      ev(),
      ev({ count: 2, lastTimestampMs: 2000 }),
      { app: 'web' },
      true,
    ],
    [
      'the same event again (a re-list)',
      watching([{ reason: 'BackOff' }]),
      ev(),
      ev(),
      { app: 'web' },
      false,
    ],
    ['another reason', watching([{ reason: 'Unhealthy' }]), undefined, ev(), { app: 'web' }, false],
    ['a reason pattern', watching([{ reasonPattern: 'Back.*' }]), undefined, ev(), { app: 'web' }, true],
    [
      'the wrong type',
      watching([{ reason: 'BackOff', eventType: 'Normal' }]),
      undefined,
      ev(),
      { app: 'web' },
      false,
    ],
    [
      'a pod the selector does not match',
      watching([{ reason: 'BackOff' }]),
      undefined,
      ev(),
      { app: 'db' },
      false,
    ],
    ['a pod not in the cache yet', watching([{ reason: 'BackOff' }]), undefined, ev(), undefined, true],
    ['a deleted event', watching([{ reason: 'BackOff' }]), ev(), undefined, { app: 'web' }, false],
  ])('%s', (_name, req, before, after, podLabels, want) => {
    expect(eventWakes(req, before, after, podLabels)).toBe(want);
  });
});

describe('planWake', () => {
  it.each<[string, Parameters<typeof planWake>[0], number, ReturnType<typeof planWake>]>([
    ['the first wake goes now', undefined, 5000, { kind: 'now' }],
    ['a wake a second after the last goes now', { lastMs: 4000 }, 5000, { kind: 'now' }],
    [
      'a wake inside the gap waits for its end (trailing, not dropped)',
      { lastMs: 4600 },
      5000,
      { kind: 'later', atMs: 5600 },
    ],
    [
      'a third inside the gap joins the trailing one',
      { lastMs: 4600, pendingAtMs: 5600 },
      5100,
      { kind: 'already' },
    ],
  ])('%s', (_name, schedule, nowMs, want) => {
    expect(planWake(schedule, nowMs, 1000)).toEqual(want);
  });
});
