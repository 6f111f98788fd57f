// The execute activity's timeouts: a worker killed during an attempt holds the action up for the
// attempt's start-to-close timeout, after which Temporal retries it. That is only possible while
// the schedule-to-close bound has time left; when both were 60 s, an action whose worker died
// mid-execute ended Failed (ScheduleToClose timeout) though its change had been made.
import { describe, expect, it } from 'vitest';
import { executeActivityOptions } from '../../workflows/proxies.js';

const ms = (v: unknown): number => {
  if (typeof v === 'number') return v;
  throw new Error(`expected milliseconds, got ${String(v)}`);
};

describe('executeActivityOptions', () => {
  it.each([4_000, 60_000, 600_000])(
    'leaves room to retry a killed attempt (verification %i ms)',
    (timeout) => {
      const o = executeActivityOptions(timeout);
      const attempt = ms(o.startToCloseTimeout);
      const patience = ms(o.scheduleToCloseTimeout);
      // A killed attempt, its retry back-off (2 s), and at least two more attempts.
      expect(3 * attempt + 2_000).toBeLessThanOrEqual(patience);
      expect(patience).toBeGreaterThanOrEqual(timeout);
    },
  );
});
