// Leader election decisions (domain/leader-election.ts) over arbitrary clocks and interleavings:
// several candidates with clocks set apart (same rate, as client-go assumes) read and write one
// Lease with resourceVersion preconditions, crash, release and wait in any order. The model here
// is the API server (a 409 on a stale resourceVersion) and real time; the invariant is that at no
// moment do two live candidates both act as leader.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ELECTION_TIMINGS,
  decide,
  leadershipDeadline,
  nextAttemptDelay,
  observe,
  releaseRecord,
  timingsProblem,
  type Decision,
  type LeaseView,
  type Observed,
} from '../../domain/leader-election.js';

const T = DEFAULT_ELECTION_TIMINGS;

describe('decide', () => {
  it('creates an absent lease with our identity and the lease duration', () => {
    const d = decide({
      identity: 'a',
      lease: undefined,
      observed: observe(undefined, undefined, 0),
      nowMs: 0,
      timings: T,
    });
    expect(d).toMatchObject({
      kind: 'create',
      record: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 },
    });
  });

  it('waits for another holder exactly until leaseDuration after it first saw the record, on its own clock', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 1, max: 60 }),
        // The remote renewTime is irrelevant: any value, even far in the future or the past.
        fc.integer({ min: 0, max: 2 * 10 ** 12 }),
        (seenAt, later, duration, remote) => {
          const lease: LeaseView = {
            resourceVersion: '7',
            record: {
              holderIdentity: 'b',
              leaseDurationSeconds: duration,
              renewTime: new Date(remote).toISOString(),
              leaseTransitions: 3,
            },
          };
          const observed = observe(undefined, lease, seenAt);
          const d = decide({ identity: 'a', lease, observed, nowMs: seenAt + later, timings: T });
          if (later < duration * 1000)
            expect(d).toEqual({ kind: 'wait', holder: 'b', expiresInMs: duration * 1000 - later });
          else
            expect(d).toMatchObject({
              kind: 'update',
              resourceVersion: '7',
              acquiring: true,
              record: { holderIdentity: 'a', leaseTransitions: 4 },
            });
        },
      ),
    );
  });

  it('renews its own lease keeping acquireTime and transitions, and takes a released one at once', () => {
    const own: LeaseView = {
      resourceVersion: '9',
      record: {
        holderIdentity: 'a',
        leaseDurationSeconds: 15,
        acquireTime: '2026-01-01T00:00:00.000Z',
        leaseTransitions: 2,
      },
    };
    const renew = decide({
      identity: 'a',
      lease: own,
      observed: observe(undefined, own, 5),
      nowMs: 5,
      timings: T,
    });
    expect(renew).toMatchObject({
      kind: 'update',
      acquiring: false,
      record: { acquireTime: '2026-01-01T00:00:00.000Z', leaseTransitions: 2 },
    });
    const released: LeaseView = { resourceVersion: '10', record: releaseRecord(own.record, 6) };
    const take = decide({
      identity: 'b',
      lease: released,
      observed: observe(undefined, released, 6),
      nowMs: 6,
      timings: T,
    });
    expect(take).toMatchObject({
      kind: 'update',
      acquiring: true,
      record: { holderIdentity: 'b', leaseTransitions: 3 },
    });
  });

  it('restarts the expiry clock only when the record changes', () => {
    const lease: LeaseView = {
      resourceVersion: '1',
      record: { holderIdentity: 'b', leaseDurationSeconds: 15 },
    };
    const first = observe(undefined, lease, 100);
    expect(observe(first, { ...lease, resourceVersion: '1' }, 900).atMs).toBe(100);
    expect(
      observe(first, { resourceVersion: '2', record: { ...lease.record, renewTime: 'x' } }, 900).atMs,
    ).toBe(900);
  });

  it('refuses timings that cannot keep one leader, as client-go does', () => {
    expect(timingsProblem(T)).toBeUndefined();
    expect(timingsProblem({ ...T, renewDeadlineMs: 15_000 })).toMatch(/greater than the renew deadline/);
    expect(timingsProblem({ ...T, retryPeriodMs: 9_000 })).toMatch(/1.2 × the retry period/);
    expect(timingsProblem({ ...T, retryPeriodMs: 0 })).toMatch(/greater than zero/);
    expect(timingsProblem({ ...T, leaseDurationMs: 15_500 })).toMatch(/whole seconds/);
  });

  it('jitters a follower between 1 and 1.2 retry periods; a leader renews every period', () => {
    expect(nextAttemptDelay(true, T, 0.99)).toBe(2000);
    expect(nextAttemptDelay(false, T, 0)).toBe(2000);
    expect(nextAttemptDelay(false, T, 1)).toBeCloseTo(2400);
  });
});

// The model: an API server holding one Lease, candidates with their own clock offsets.
interface Candidate {
  id: string;
  offsetMs: number;
  alive: boolean;
  observed?: Observed;
  /** The read a write will be based on, and the local time it was made. */
  pending?: { lease: LeaseView | undefined; nowMs: number };
  /** Acting as leader until this local time (a renew that succeeds moves it). */
  deadline?: number;
}

type Step = { kind: 'advance'; ms: number } | { kind: 'read' | 'write' | 'crash' | 'release'; who: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 6000 }) }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constantFrom('read' as const, 'write' as const),
      who: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('crash' as const, 'release' as const),
      who: fc.integer({ min: 0, max: 2 }),
    }),
  },
);

function simulate(
  offsets: number[],
  steps: Step[],
  timings = T,
): { maxLeaders: number; acquisitions: number } {
  let now = 1_000_000; // real time
  let lease: LeaseView | undefined;
  let rv = 0;
  const cs: Candidate[] = offsets.map((offsetMs, i) => ({ id: `c${i}`, offsetMs, alive: true }));
  const local = (c: Candidate): number => now + c.offsetMs;
  const leading = (c: Candidate): boolean => c.alive && c.deadline !== undefined && local(c) < c.deadline;
  const put = (record: LeaseView['record'], expectedRv: string | undefined): boolean => {
    if (expectedRv !== undefined && lease?.resourceVersion !== expectedRv) return false; // 409
    if (expectedRv === undefined && lease) return false; // 409 AlreadyExists
    lease = { record, resourceVersion: String(++rv) };
    return true;
  };
  let maxLeaders = 0;
  let acquisitions = 0;
  for (const s of steps) {
    if (s.kind === 'advance') now += s.ms;
    else {
      const c = cs[s.who % cs.length]!;
      if (!c.alive) continue;
      if (s.kind === 'crash') c.alive = false;
      if (s.kind === 'read') {
        c.pending = { lease, nowMs: local(c) };
        c.observed = observe(c.observed, lease, local(c));
      }
      if (s.kind === 'write' && c.pending && c.observed) {
        const d: Decision = decide({
          identity: c.id,
          lease: c.pending.lease,
          observed: c.observed,
          nowMs: c.pending.nowMs,
          timings,
        });
        const ok =
          d.kind === 'create'
            ? put(d.record, undefined)
            : d.kind === 'update'
              ? put(d.record, d.resourceVersion)
              : false;
        if (ok) {
          if (d.kind !== 'update' || d.acquiring) acquisitions++;
          c.deadline = leadershipDeadline(c.pending.nowMs, timings);
        }
        delete c.pending;
      }
      if (s.kind === 'release' && leading(c) && lease?.record.holderIdentity === c.id) {
        delete c.deadline; // stop acting first, then hand the lease back
        put(releaseRecord(lease.record, local(c)), lease.resourceVersion);
      }
    }
    maxLeaders = Math.max(maxLeaders, cs.filter(leading).length);
  }
  return { maxLeaders, acquisitions };
}

describe('election safety over arbitrary interleavings and clock offsets', () => {
  it('never has two live leaders acting at the same moment', () => {
    let acquired = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 2, maxLength: 3 }),
        fc.array(step, { minLength: 1, maxLength: 300 }),
        (offsets, steps) => {
          const r = simulate(offsets, steps);
          acquired += r.acquisitions;
          expect(r.maxLeaders).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 2000 },
    );
    // The runs really exercised takeovers, not only waits.
    expect(acquired).toBeGreaterThan(500);
  });

  it('the model can fail: with a renew deadline past the lease duration there are two leaders', () => {
    const broken = { ...T, renewDeadlineMs: 20_000 };
    const steps: Step[] = [
      { kind: 'read', who: 0 },
      { kind: 'write', who: 0 },
      { kind: 'read', who: 1 },
      { kind: 'advance', ms: 16_000 },
      { kind: 'read', who: 1 },
      { kind: 'write', who: 1 },
    ];
    expect(simulate([0, 0], steps, broken).maxLeaders).toBe(2);
    expect(simulate([0, 0], steps).maxLeaders).toBe(1);
  });

  it('a crashed leader is replaced once leaseDuration passed since the follower saw its last renew', () => {
    // c0 leads; c1 keeps reading every retry period and writing; c0 crashes at once.
    const steps: Step[] = [
      { kind: 'read', who: 0 },
      { kind: 'write', who: 0 },
      { kind: 'crash', who: 0 },
    ];
    for (let i = 0; i < 10; i++)
      steps.push(
        { kind: 'read', who: 1 },
        { kind: 'write', who: 1 },
        { kind: 'advance', ms: T.retryPeriodMs },
      );
    expect(simulate([0, 12_345], steps).acquisitions).toBe(2);
    expect(simulate([0, 12_345], steps.slice(0, 3 + 3 * 7)).acquisitions).toBe(1); // 14 s: not yet
  });
});
