import { describe, expect, it } from 'vitest';
import type { HealingPolicyStatus } from '../../crds/healing-policy.js';
import {
  DEFAULT_MIRROR_TIMINGS,
  forEachLimited,
  nextInterval,
  StatusMirror,
  worthPatching,
  type MirrorPorts,
  type MirrorSubject,
  type QueryOutcome,
} from '../../operator/controller/status-mirror.js';
import type { PolicyStatusView } from '../../workflows/messages.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(ms).toISOString();
const status = (over: Partial<HealingPolicyStatus> = {}): HealingPolicyStatus => ({
  actionsTaken: 0,
  mode: 'automatic',
  ...over,
});

describe('worthPatching', () => {
  const res = 30_000;
  it.each([
    ['nothing changed', status({ lastEvaluated: at(T0) }), status({ lastEvaluated: at(T0) }), false],
    [
      'lastEvaluated moved 10 s',
      status({ lastEvaluated: at(T0) }),
      status({ lastEvaluated: at(T0 + 10_000) }),
      false,
    ],
    [
      'lastEvaluated moved 30 s',
      status({ lastEvaluated: at(T0) }),
      status({ lastEvaluated: at(T0 + 30_000) }),
      true,
    ],
    ['lastEvaluated appeared', status(), status({ lastEvaluated: at(T0) }), true],
    ['no status yet', undefined, status(), true],
    [
      'an action was taken (lastEvaluated 1 s later)',
      status({ lastEvaluated: at(T0) }),
      status({ actionsTaken: 1, lastEvaluated: at(T0 + 1000) }),
      true,
    ],
    ['the mode changed', status(), status({ mode: 'dryrun' }), true],
  ])('%s → %s', (_what, previous, next, expected) => {
    expect(worthPatching(previous, next, res)).toBe(expected);
  });
});

describe('nextInterval', () => {
  const t = { ...DEFAULT_MIRROR_TIMINGS, statusIntervalMs: 5000, maxIntervalMs: 20_000 };
  it.each([
    [undefined, false, 5000],
    [5000, false, 10_000],
    [10_000, false, 20_000],
    [20_000, false, 20_000],
    [20_000, true, 5000],
  ])('%s, changed %s → %s', (current, changed, expected) => {
    expect(nextInterval(current, changed, t)).toBe(expected);
  });
});

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([...Array(20).keys()], 3, async (i) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(i);
      inFlight--;
    });
    expect(most).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });
});

/** A fake cluster of policy workflows: each evaluates every `everyMs` and may take actions. */
class FakePolicies {
  now = T0;
  actions = new Map<string, number>();
  closed = new Set<string>();
  restarted: string[] = [];
  patches: { name: string; status: HealingPolicyStatus }[] = [];
  constructor(private readonly everyMs: number) {}

  view(name: string): PolicyStatusView {
    const lastEvaluatedMs = Math.floor((this.now - T0) / this.everyMs) * this.everyMs + T0;
    return {
      policy: { namespace: 'ns', name },
      mode: 'automatic',
      specMode: 'automatic',
      paused: false,
      activeTriggers: [],
      openActions: [],
      held: [],
      actionsInLastHour: 0,
      counters: {
        evaluations: 1,
        fires: 0,
        actionsStarted: this.actions.get(name) ?? 0,
        outcomes: {},
        refusals: {},
      },
      lastRefusals: [],
      snapshotErrors: [],
      lastEvaluatedMs,
    };
  }

  ports(): MirrorPorts<MirrorSubject> {
    return {
      now: () => this.now,
      query: async (s): Promise<QueryOutcome> =>
        this.closed.has(s.name)
          ? { kind: 'closed', status: 'TERMINATED' }
          : { kind: 'view', view: this.view(s.name) },
      restart: async (s) => {
        this.restarted.push(s.name);
        this.closed.delete(s.name);
      },
      statusFrom: (_s, o) =>
        o.kind === 'view'
          ? status({
              actionsTaken: o.view.counters.actionsStarted,
              lastEvaluated: at(o.view.lastEvaluatedMs!),
            })
          : status({ mode: 'not running' }),
      patch: async (s, st) => {
        this.patches.push({ name: s.name, status: st });
        s.status = st; // as the informer would deliver our own write back
      },
    };
  }
}

async function runFor(
  mirror: StatusMirror<MirrorSubject>,
  fake: FakePolicies,
  subjects: MirrorSubject[],
  ms: number,
): Promise<void> {
  const end = fake.now + ms;
  while (fake.now < end) {
    await mirror.pass(subjects);
    fake.now += mirror.timings.statusIntervalMs;
  }
}

describe('StatusMirror', () => {
  const subjectsOf = (n: number): MirrorSubject[] =>
    Array.from({ length: n }, (_, i) => ({ namespace: 'ns', name: `p${i}` }));

  it('queries idle policies less and less often and patches them only when lastEvaluated moved enough', async () => {
    const fake = new FakePolicies(1000); // evaluates every second: lastEvaluated always moves
    const mirror = new StatusMirror(fake.ports());
    const subjects = subjectsOf(100);
    await runFor(mirror, fake, subjects, 60_000); // warm up: the intervals reach their cap
    const before = { ...mirror.stats };
    fake.patches = [];
    const minutes = 10;
    await runFor(mirror, fake, subjects, minutes * 60_000);
    const queriesPerPolicyMin = (mirror.stats.queries - before.queries) / 100 / minutes;
    const patchesPerPolicy = fake.patches.length / 100;
    // Every 20 s once idle (was every 5 s: 12 a minute), and lastEvaluated alone patched once per
    // 5-minute heartbeat (was on every evaluation): 1-2 patches in 10 minutes, not 600.
    expect(queriesPerPolicyMin).toBe(3);
    expect(patchesPerPolicy).toBeLessThanOrEqual(2);
    expect(patchesPerPolicy).toBeGreaterThanOrEqual(1);
    // What the CR shows is never further behind than the bound the docs give.
    for (const s of subjects) {
      const shown = Date.parse(s.status!.lastEvaluated!);
      expect(fake.now - shown).toBeLessThanOrEqual(
        DEFAULT_MIRROR_TIMINGS.lastEvaluatedResolutionMs + DEFAULT_MIRROR_TIMINGS.maxIntervalMs + 5000,
      );
    }
  });

  it('patches a change within the current interval and then queries that policy at the base rate again', async () => {
    const fake = new FakePolicies(60_000);
    const mirror = new StatusMirror(fake.ports());
    const [busy, idle] = subjectsOf(2) as [MirrorSubject, MirrorSubject];
    await runFor(mirror, fake, [busy, idle], 60_000);
    expect(busy.intervalMs).toBe(DEFAULT_MIRROR_TIMINGS.maxIntervalMs);
    fake.actions.set('p0', 1);
    fake.patches = [];
    await runFor(mirror, fake, [busy, idle], DEFAULT_MIRROR_TIMINGS.maxIntervalMs);
    expect(fake.patches.filter((p) => p.name === 'p0').map((p) => p.status.actionsTaken)).toEqual([1]);
    expect(busy.status!.actionsTaken).toBe(1);
    expect(busy.intervalMs).toBeLessThan(DEFAULT_MIRROR_TIMINGS.maxIntervalMs);
    expect(idle.intervalMs).toBe(DEFAULT_MIRROR_TIMINGS.maxIntervalMs);
  });

  it('starts a closed workflow again and mirrors the new run, in one pass', async () => {
    const fake = new FakePolicies(1000);
    const mirror = new StatusMirror(fake.ports());
    const [p] = subjectsOf(1) as [MirrorSubject];
    fake.closed.add('p0');
    await mirror.pass([p]);
    expect(fake.restarted).toEqual(['p0']);
    expect(p.status?.mode).toBe('automatic');
  });

  it('says not running when the workflow stays closed', async () => {
    const fake = new FakePolicies(1000);
    const ports = { ...fake.ports(), restart: async (): Promise<void> => Promise.reject(new Error('no')) };
    const mirror = new StatusMirror(ports);
    const [p] = subjectsOf(1) as [MirrorSubject];
    fake.closed.add('p0');
    await mirror.pass([p]);
    expect(p.status?.mode).toBe('not running');
  });

  it('has at most `concurrency` queries in flight', async () => {
    const fake = new FakePolicies(1000);
    let inFlight = 0;
    let most = 0;
    const base = fake.ports();
    const mirror = new StatusMirror(
      {
        ...base,
        query: async (s) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 1));
          inFlight--;
          return base.query(s);
        },
      },
      { ...DEFAULT_MIRROR_TIMINGS, concurrency: 4 },
    );
    await mirror.pass(subjectsOf(30));
    expect(most).toBe(4);
    expect(mirror.stats.queries).toBe(30);
  });
});
