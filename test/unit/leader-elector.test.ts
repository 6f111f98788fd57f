// The election loop (operator/leader/elector.ts) over a small in-memory Lease store that answers
// like the API server (409 on a stale resourceVersion) and can be made to fail: a leader whose
// renews fail stops at its renew deadline — not before, not after it — and leads again once the
// store answers; a graceful stop stops the controller before it releases the Lease.
import { afterEach, describe, expect, it } from 'vitest';
import type { ElectionTimings, LeaseRecord, LeaseView } from '../../domain/leader-election.js';
import { LeaderElector } from '../../operator/leader/elector.js';
import type { LeaseStore } from '../../operator/leader/lease.js';
import { createLogger } from '../../operator/logger.js';

const TIMINGS: ElectionTimings = { leaseDurationMs: 2000, renewDeadlineMs: 1000, retryPeriodMs: 200 };

function memoryStore(): LeaseStore & { failing: boolean; lease?: LeaseView; log: string[] } {
  let rv = 0;
  const s = {
    failing: false,
    lease: undefined as LeaseView | undefined,
    log: [] as string[],
    describe: 'test/lease',
    get: async () => {
      if (s.failing) throw new Error('connection refused');
      return s.lease;
    },
    create: async (record: LeaseRecord) => {
      if (s.failing) throw new Error('connection refused');
      if (s.lease) return false;
      s.lease = { record, resourceVersion: String(++rv) };
      return true;
    },
    update: async (record: LeaseRecord, resourceVersion: string) => {
      if (s.failing) throw new Error('connection refused');
      if (s.lease?.resourceVersion !== resourceVersion) return false;
      s.log.push(`update holder=${record.holderIdentity}`);
      s.lease = { record, resourceVersion: String(++rv) };
      return true;
    },
  };
  return s;
}

const until = async (cond: () => boolean, ms = 5000): Promise<number> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now();
};

const electors: LeaderElector[] = [];
afterEach(async () => {
  for (const e of electors.splice(0)) await e.stop();
});

function elector(store: LeaseStore, events: string[], id = 'a'): LeaderElector {
  const e = new LeaderElector({
    store,
    identity: id,
    timings: TIMINGS,
    logger: createLogger('silent'),
    onStartedLeading: async () => void events.push('started'),
    onStoppedLeading: async () => void events.push('stopped'),
  });
  electors.push(e);
  return e;
}

describe('LeaderElector', () => {
  it('stops leading at the renew deadline when renews fail, and leads again when they work', async () => {
    const store = memoryStore();
    const events: string[] = [];
    const e = elector(store, events);
    e.start();
    await until(() => e.leading);
    // The last renew that succeeded: its attempt started at most one retry period ago.
    const renews = store.log.length;
    await until(() => store.log.length > renews);
    const lastRenew = Date.now();
    store.failing = true;
    const stoppedAt = await until(() => !e.leading);
    const after = stoppedAt - lastRenew;
    expect(after).toBeGreaterThan(TIMINGS.renewDeadlineMs - TIMINGS.retryPeriodMs - 50);
    expect(after).toBeLessThan(TIMINGS.renewDeadlineMs + 300);
    expect(events).toEqual(['started', 'stopped']);
    store.failing = false;
    await until(() => e.leading);
    expect(events).toEqual(['started', 'stopped', 'started']);
  });

  it(
    'a second candidate follows while the first renews, and a graceful stop hands over at once',
    { timeout: 15_000 },
    async () => {
      const store = memoryStore();
      const ea: string[] = [];
      const eb: string[] = [];
      const a = elector(store, ea, 'a');
      const b = elector(store, eb, 'b');
      a.start();
      await until(() => a.leading);
      b.start();
      await new Promise((r) => setTimeout(r, 2 * TIMINGS.leaseDurationMs)); // past a lease duration
      expect(b.leading).toBe(false);
      expect(b.holder).toBe('a');
      const stopped = Date.now();
      await a.stop();
      expect(ea).toEqual(['started', 'stopped']); // stopped before the release below
      expect(store.log.at(-1)).toBe('update holder=');
      await until(() => b.leading);
      expect(Date.now() - stopped).toBeLessThan(TIMINGS.leaseDurationMs);
    },
  );
});
