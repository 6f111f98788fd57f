// evaluatePolicy inside and outside maintenance / allowed windows: a closed window refuses every
// fire with its reason and words (what it would have done included), plans nothing, spends nothing,
// and keeps the trigger's `for` window, so the action starts as soon as the window closes.
import { describe, expect, it } from 'vitest';
import { wouldHealEvents } from '../../domain/events.js';
import { policyStatusView } from '../../domain/policy-view.js';
import { Driver, plannedOn, reasons } from '../fixtures/domain-run.js';
import { memoryTrigger, pod, policy, snapshot, withMemory } from '../fixtures/domain-builders.js';

const MIN = 60_000;
/** Saturday 5 December 2026, 02:00 in Berlin (CET): the maintenance window below opens. */
const OPENS = Date.parse('2026-12-05T01:00:00Z');
const pods = () => [pod('a', withMemory(0.9)), pod('b')];
const maintenance = {
  maintenanceWindows: [{ schedule: '0 2 * * 6', duration: '30m', timeZone: 'Europe/Berlin' }],
};

describe('inside a maintenance window', () => {
  it('refuses every fire with MaintenanceWindow, naming the window, its end and what would run', () => {
    const d = new Driver(policy({ safetyRules: maintenance }));
    const r = d.tick(snapshot(OPENS + MIN, pods()));
    expect(r.fires).toHaveLength(1);
    expect(r.planned).toEqual([]);
    expect(reasons(r)).toEqual(['MaintenanceWindow']);
    expect(r.refusals[0]).toMatchObject({ action: 'restart', actionTargetKey: 'demo/Pod/a' });
    expect(r.refusals[0]?.message).toBe(
      'in maintenance window safetyRules.maintenanceWindows[0] ("0 2 * * 6" Europe/Berlin, 30m) until ' +
        '2026-12-05T01:30:00.000Z; memory_usage_percent is 90 (> 85); would run restart on demo/Pod/a',
    );
    // Nothing was spent: no open action, budget entry or cooldown.
    expect([d.state.open, d.state.starts, d.state.cooldowns]).toEqual([{}, [], {}]);
    expect(d.state.counters.refusals.MaintenanceWindow).toBe(1);
  });

  it('keeps the `for` window, and the action starts at the first evaluation after the window', () => {
    const d = new Driver(policy({ triggers: [memoryTrigger(85, { for: '20m' })], safetyRules: maintenance }));
    // The condition holds from the window's start, evaluated every minute.
    const seen = [];
    for (let m = 0; m < 30; m++) seen.push(reasons(d.tick(snapshot(OPENS + m * MIN, pods()))).join());
    expect(seen.slice(0, 20)).toEqual(Array(20).fill('')); // the `for` window has not passed
    expect(seen.slice(20)).toEqual(Array(10).fill('MaintenanceWindow'));
    const after = d.tick(snapshot(OPENS + 30 * MIN, pods()));
    expect(plannedOn(after)).toEqual(['restart@demo/Pod/a']);
    expect(after.planned[0]?.trigger.firstTrueMs).toBe(OPENS);
  });

  it('writes the WouldHeal Events that monitor mode writes', () => {
    const r = new Driver(policy({ safetyRules: maintenance })).tick(snapshot(OPENS + MIN, pods()));
    const events = wouldHealEvents({
      policy: { namespace: 'demo', name: 'heal' },
      refusals: r.refusals,
      fires: r.fires,
      nowMs: OPENS + MIN,
    });
    expect(events.map((e) => [e.involvedObject.kind, e.reason])).toEqual([
      ['Pod', 'WouldHeal'],
      ['HealingPolicy', 'WouldHeal'],
    ]);
    expect(events[0]?.message).toContain('restart would run (high-memory); in maintenance window');
  });

  it('in monitor mode is said inside the MonitorMode refusal', () => {
    const r = new Driver(policy({ mode: 'monitor', safetyRules: maintenance })).tick(
      snapshot(OPENS + MIN, pods()),
    );
    expect(reasons(r)).toEqual(['MonitorMode']);
    expect(r.refusals[0]?.message).toContain('would be refused (MaintenanceWindow: in maintenance window');
  });

  it('is in the status view', () => {
    const p = policy({ safetyRules: maintenance });
    const d = new Driver(p);
    d.tick(snapshot(OPENS + MIN, pods()));
    const view = policyStatusView({
      policy: p,
      state: d.state,
      last: { activeTriggers: [], refusals: [], errors: [] },
      nowMs: OPENS + MIN,
    });
    expect(view.window).toMatchObject({ state: 'maintenance', untilMs: OPENS + 30 * MIN });
  });
});

describe('outside a maintenance window', () => {
  it('plans as usual', () => {
    const r = new Driver(policy({ safetyRules: maintenance })).tick(snapshot(OPENS - MIN, pods()));
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
  });
});

describe('allowed windows', () => {
  const allowed = {
    allowedWindows: [{ schedule: '0 9 * * 1-5', duration: '8h', timeZone: 'Europe/Berlin' }],
  };
  it('outside all of them, refuses with OutsideAllowedWindow and when the next opens', () => {
    // Saturday: the next opens on Monday 7 December, 09:00 in Berlin.
    const r = new Driver(policy({ safetyRules: allowed })).tick(snapshot(OPENS, pods()));
    expect([r.planned, reasons(r)]).toEqual([[], ['OutsideAllowedWindow']]);
    expect(r.refusals[0]?.message).toMatch(
      /^outside every allowed window; the next, safetyRules\.allowedWindows\[0\] .*opens at 2026-12-07T08:00:00\.000Z; .*would run restart on demo\/Pod\/a$/,
    );
  });

  it('inside one, plans as usual', () => {
    const friday = Date.parse('2026-12-04T10:00:00Z');
    expect(plannedOn(new Driver(policy({ safetyRules: allowed })).tick(snapshot(friday, pods())))).toEqual([
      'restart@demo/Pod/a',
    ]);
  });
});
