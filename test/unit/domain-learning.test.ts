// Learning from outcomes: counts per (trigger, action) and per subject, bounded, and only from
// outcomes that say whether a remediation works.
import { describe, expect, it } from 'vitest';
import type { ActionPhase } from '../../crds/healing-action.js';
import {
  MAX_LEARNED_SUBJECTS,
  RECENT_PER_SUBJECT,
  learnOutcome,
  successRatesLine,
  type Learning,
} from '../../domain/learning.js';

const learn = (outcomes: [string, string, string, ActionPhase][]): Learning | undefined =>
  outcomes.reduce<Learning | undefined>(
    (l, [trigger, action, subjectKey, outcome], i) =>
      learnOutcome(l, { trigger, action, subjectKey, outcome, nowMs: i }),
    undefined,
  );

describe('learnOutcome', () => {
  it.each([
    ['no outcomes', [], 'no outcomes yet'],
    [
      'only Skipped, Rejected and DryRun',
      [
        ['t', 'a', 's', 'Skipped'],
        ['t', 'a', 's', 'Rejected'],
        ['t', 'a', 's', 'DryRun'],
      ],
      'no outcomes yet',
    ],
    [
      'successes and failures',
      [
        ['mem', 'restart', 's', 'Succeeded'],
        ['mem', 'restart', 's', 'Failed'],
        ['mem', 'restart', 's2', 'Succeeded'],
        ['cpu', 'scale', 's', 'Succeeded'],
      ],
      'cpu/scale 1/1 (100%), mem/restart 2/3 (67%)',
    ],
  ] as [string, [string, string, string, ActionPhase][], string][])('%s → %s', (_name, outcomes, line) => {
    expect(successRatesLine(learn(outcomes))).toBe(line);
  });

  it('keeps the last few outcomes per subject and forgets the least recent subjects first', () => {
    const many = learn(
      Array.from(
        { length: RECENT_PER_SUBJECT + 3 },
        () => ['t', 'a', 's', 'Failed'] as [string, string, string, ActionPhase],
      ),
    );
    expect(many!.bySubject.s!.recent).toHaveLength(RECENT_PER_SUBJECT);
    expect(many!.bySubject.s!.failed).toBe(RECENT_PER_SUBJECT + 3);
    const subjects = learn(
      Array.from(
        { length: MAX_LEARNED_SUBJECTS + 2 },
        (_, i) => ['t', 'a', `s${i}`, 'Succeeded'] as [string, string, string, ActionPhase],
      ),
    );
    expect(Object.keys(subjects!.bySubject)).toHaveLength(MAX_LEARNED_SUBJECTS);
    expect(subjects!.bySubject.s0).toBeUndefined();
    expect(subjects!.bySubject[`s${MAX_LEARNED_SUBJECTS + 1}`]).toBeDefined();
    expect(subjects!.byTriggerAction['t#a']!.succeeded).toBe(MAX_LEARNED_SUBJECTS + 2);
  });
});
