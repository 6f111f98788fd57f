// Event names: whatever the workflow derives them from, the API server must accept them, and the
// same input must give the same name (so a retried activity finds the Event it wrote).
import { describe, expect, it } from 'vitest';
import { eventName } from '../../activities/records.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('eventName', () => {
  it.each<[string, string]>([
    ['memory-leak-web-1-abc.healingstarted', 'memory-leak-web-1-abc.healingstarted'],
    ['ha-1.HealingStarted', 'ha-1.healingstarted'],
    ['ha-1.Would Heal/now', 'ha-1.would-heal-now'],
    ['ha-1..policy', 'ha-1.policy'],
    ['-ha-1.-x-.policy-', 'ha-1.x.policy'],
    ['ha_1.policy', 'ha-1.policy'],
    ['...', 'kubeskippy'],
  ])('%j → %j', (name, want) => {
    expect(eventName(name)).toBe(want);
    expect(eventName(name)).toMatch(DNS_SUBDOMAIN);
  });

  it('cuts long names to 253 characters and still ends on an alphanumeric', () => {
    const name = eventName(`${'a'.repeat(251)}.-b`);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(DNS_SUBDOMAIN);
    expect(eventName(`${'a'.repeat(300)}.x`)).toBe('a'.repeat(253));
  });
});
