import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DurationError, formatDuration, parseDuration, parseDurationOr } from '../../domain/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['1m30.5s', 90_500],
    ['0', 0],
    ['0s', 0],
    ['+10s', 10_000],
    ['2h0m5s', 7_205_000],
    ['1500us', 2], // sub-millisecond parts are rounded
    ['.5s', 500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5x', 'm', '-5s', '1h 30m', '1d', 's5', '5s!', 'abc'])(
    'rejects %j with a clear error',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
      expect(() => parseDuration(text)).toThrow(
        new RegExp(`invalid duration "${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
      );
    },
  );

  it('parseDurationOr falls back on bad or missing input only', () => {
    expect(parseDurationOr(undefined, 7)).toBe(7);
    expect(parseDurationOr('bogus', 7)).toBe(7);
    expect(parseDurationOr('2s', 7)).toBe(2000);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [30_000, '30s'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [90_500, '1m30.5s'],
    [3_600_000, '1h'],
    [3_601_000, '1h1s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips every whole millisecond count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }),
        (ms) => parseDuration(formatDuration(ms)) === ms,
      ),
      { numRuns: 300 },
    );
  });
});
