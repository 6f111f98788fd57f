// Maintenance and allowed windows at one instant (domain/windows.ts), from specs that went through
// the real schema and normalizePolicy; and the errors parseHealingPolicySpec gives for bad ones.
import { describe, expect, it } from 'vitest';
import { HealingPolicySpec, type TimeWindow } from '../../crds/healing-policy.js';
import { formatErrors, parseHealingPolicySpec } from '../../crds/validate.js';
import { normalizePolicy } from '../../domain/policy.js';
import { windowState } from '../../domain/windows.js';
import { policy } from '../fixtures/domain-builders.js';

type WindowInput = Partial<TimeWindow> & { schedule: string; duration: string };
const windows = (w: { maintenanceWindows?: WindowInput[]; allowedWindows?: WindowInput[] }) =>
  policy({ safetyRules: w }).safety;
const at = (iso: string): number => Date.parse(iso);

describe('a maintenance window', () => {
  const w = windows({
    maintenanceWindows: [{ schedule: '0 2 * * 6', duration: '2h', timeZone: 'Europe/Berlin' }],
  });

  it.each([
    ['2026-12-05T00:59:59Z', 'open'], // Saturday 01:59:59 in Berlin (CET, UTC+1)
    ['2026-12-05T01:00:00Z', 'maintenance'], // 02:00: it opens
    ['2026-12-05T02:59:59Z', 'maintenance'],
    ['2026-12-05T03:00:00Z', 'open'], // 04:00: it has closed
    ['2026-12-06T01:30:00Z', 'open'], // Sunday
  ])('at %s is %s', (now, state) => {
    expect(windowState(w, at(now))?.state).toBe(state);
  });

  it('says which window, until when, and when the next one opens', () => {
    expect(windowState(w, at('2026-12-05T01:30:00Z'))).toEqual({
      state: 'maintenance',
      untilMs: at('2026-12-05T03:00:00Z'),
      window: 'safetyRules.maintenanceWindows[0]',
      message:
        'in maintenance window safetyRules.maintenanceWindows[0] ("0 2 * * 6" Europe/Berlin, 2h) until 2026-12-05T03:00:00.000Z',
    });
    expect(windowState(w, at('2026-12-05T03:00:00Z'))).toMatchObject({
      state: 'open',
      untilMs: at('2026-12-12T01:00:00Z'),
      message: expect.stringContaining('when maintenance window safetyRules.maintenanceWindows[0]'),
    });
  });

  it('across midnight covers the small hours of the next day', () => {
    const night = windows({ maintenanceWindows: [{ schedule: '0 23 * * *', duration: '3h' }] });
    expect(windowState(night, at('2026-12-05T22:59:00Z'))?.state).toBe('open');
    expect(windowState(night, at('2026-12-06T01:00:00Z'))).toMatchObject({
      state: 'maintenance',
      untilMs: at('2026-12-06T02:00:00Z'),
    });
    expect(windowState(night, at('2026-12-06T02:00:00Z'))?.state).toBe('open');
  });

  it('reads the schedule in its time zone across the DST changes (Europe/Berlin)', () => {
    const daily = windows({
      maintenanceWindows: [{ schedule: '30 2 * * *', duration: '1h', timeZone: 'Europe/Berlin' }],
    });
    // Summer (CEST, UTC+2): 02:30 is 00:30Z.
    expect(windowState(daily, at('2026-07-01T00:45:00Z'))).toMatchObject({
      state: 'maintenance',
      untilMs: at('2026-07-01T01:30:00Z'),
    });
    // 29 March 2026: 02:00 → 03:00, so 02:30 never happens; the start comes at 03:00 CEST (01:00Z).
    expect(windowState(daily, at('2026-03-29T00:45:00Z'))?.state).toBe('open');
    expect(windowState(daily, at('2026-03-29T01:10:00Z'))).toMatchObject({
      state: 'maintenance',
      untilMs: at('2026-03-29T02:00:00Z'),
    });
    // 25 October 2026: 03:00 → 02:00, so 02:30 happens twice; the window opens at the first (00:30Z)
    // and lasts one real hour, not until the second 02:30.
    expect(windowState(daily, at('2026-10-25T00:30:00Z'))).toMatchObject({
      state: 'maintenance',
      untilMs: at('2026-10-25T01:30:00Z'),
    });
    expect(windowState(daily, at('2026-10-25T01:45:00Z'))?.state).toBe('open');
  });

  it('that runs into the next one lasts until neither covers', () => {
    const chained = windows({
      maintenanceWindows: [
        { schedule: '0 1 * * *', duration: '2h' },
        { schedule: '0 2 * * *', duration: '2h' },
      ],
    });
    expect(windowState(chained, at('2026-12-05T01:30:00Z'))).toMatchObject({
      state: 'maintenance',
      untilMs: at('2026-12-05T04:00:00Z'),
      window: 'safetyRules.maintenanceWindows[1]',
    });
  });
});

describe('allowed windows', () => {
  const w = windows({
    allowedWindows: [{ schedule: '0 9 * * 1-5', duration: '8h', timeZone: 'Europe/Berlin' }],
  });

  it('let actions start inside, saying when the window closes', () => {
    // Friday 4 December 2026, 10:00 in Berlin.
    expect(windowState(w, at('2026-12-04T09:00:00Z'))).toEqual({
      state: 'open',
      untilMs: at('2026-12-04T16:00:00Z'),
      window: 'safetyRules.allowedWindows[0]',
      message:
        'actions may start: inside allowed window safetyRules.allowedWindows[0] ("0 9 * * 1-5" Europe/Berlin, 8h) until 2026-12-04T16:00:00.000Z',
    });
  });

  it('hold actions back outside, saying when the next opens (after the weekend)', () => {
    expect(windowState(w, at('2026-12-04T16:00:00Z'))).toEqual({
      state: 'outside-allowed',
      untilMs: at('2026-12-07T08:00:00Z'),
      window: 'safetyRules.allowedWindows[0]',
      message:
        'outside every allowed window; the next, safetyRules.allowedWindows[0] ("0 9 * * 1-5" Europe/Berlin, 8h), opens at 2026-12-07T08:00:00.000Z',
    });
  });

  it('lose to a maintenance window that covers the same time', () => {
    const both = windows({
      allowedWindows: [{ schedule: '0 0 * * *', duration: '24h' }],
      maintenanceWindows: [{ schedule: '0 12 * * *', duration: '1h' }],
    });
    expect(windowState(both, at('2026-12-04T12:30:00Z'))?.state).toBe('maintenance');
    expect(windowState(both, at('2026-12-04T11:00:00Z'))).toMatchObject({
      state: 'open',
      untilMs: at('2026-12-04T12:00:00Z'),
    });
  });
});

describe('no windows', () => {
  it('say nothing', () => {
    expect(windowState(policy().safety, at('2026-12-04T12:00:00Z'))).toBeUndefined();
  });
});

describe('a window that does not compile (a spec that skipped validation)', () => {
  it('holds every action back, naming the field', () => {
    const spec = HealingPolicySpec.parse({
      selector: {},
      triggers: [
        { name: 't', type: 'metric', metricTrigger: { query: 'memory_usage_percent', threshold: 1 } },
      ],
      actions: [{ name: 'r', type: 'restart' }],
      safetyRules: { allowedWindows: [{ schedule: '0 99 * * *', duration: '1h' }] },
    });
    const p = normalizePolicy(spec, { namespace: 'ns', name: 'p' });
    expect(windowState(p.safety, at('2026-12-04T12:00:00Z'))).toMatchObject({
      state: 'maintenance',
      message: expect.stringContaining('safetyRules.allowedWindows[0] cannot be evaluated'),
    });
  });
});

describe('bad windows are refused naming the field', () => {
  const spec = (w: Record<string, unknown>, list = 'maintenanceWindows') => ({
    selector: {},
    triggers: [{ name: 't', type: 'metric', metricTrigger: { query: 'memory_usage_percent', threshold: 1 } }],
    actions: [{ name: 'r', type: 'restart' }],
    safetyRules: { [list]: [{ schedule: '0 2 * * *', duration: '1h', ...w }] },
  });
  const errors = (s: unknown): string => {
    const r = parseHealingPolicySpec(s);
    return r.ok ? 'accepted' : formatErrors(r.errors);
  };

  it.each([
    [
      { schedule: '0 25 * * *' },
      'spec.safetyRules.maintenanceWindows[0].schedule: not a cron schedule: Invalid value for hour: 25',
    ],
    [
      { schedule: '0 0 30 2 *' },
      'spec.safetyRules.maintenanceWindows[0].schedule: "0 0 30 2 *" never starts',
    ],
    [
      { schedule: '0 2 * *' },
      'spec.safetyRules.maintenanceWindows[0].schedule: must be a cron schedule of five fields, e.g. "0 2 * * 6"',
    ],
    [
      { timeZone: 'Mars/Olympus' },
      'spec.safetyRules.maintenanceWindows[0].timeZone: unknown time zone "Mars/Olympus"',
    ],
    [{ duration: '0s' }, 'spec.safetyRules.maintenanceWindows[0].duration: must be longer than 0s'],
    [{ duration: '169h' }, 'spec.safetyRules.maintenanceWindows[0].duration: must be at most 168h (7 days)'],
  ])('%j', (w, message) => {
    expect(errors(spec(w))).toContain(message);
  });

  it('in allowedWindows too', () => {
    expect(errors(spec({ timeZone: 'Nowhere/City' }, 'allowedWindows'))).toContain(
      'spec.safetyRules.allowedWindows[0].timeZone: unknown time zone',
    );
  });

  it('accepts a good one, defaulting the time zone to UTC', () => {
    const r = parseHealingPolicySpec(spec({ duration: '168h' }));
    if (!r.ok) throw new Error(formatErrors(r.errors));
    expect(normalizePolicy(r.value, { namespace: 'ns', name: 'p' }).safety.maintenanceWindows).toEqual([
      {
        field: 'safetyRules.maintenanceWindows[0]',
        schedule: '0 2 * * *',
        duration: '168h',
        durationMs: 168 * 3_600_000,
        timeZone: 'UTC',
      },
    ]);
  });
});
