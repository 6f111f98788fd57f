// safetyRules.maintenanceWindows and safetyRules.allowedWindows: recurring stretches of time, each
// a cron schedule (when it opens), a duration and a time zone. The schema bounds their shape; only
// code can parse a cron schedule or know a time zone, so crds/validate.ts checks those
// (domain/windows.ts windowProblem) and a bad one turns the policy Ready=False naming the field.
import { z } from 'zod';
import { WindowDuration } from './common.js';

/** Bound of each list: the evaluation checks every window at every evaluation. */
export const MAX_WINDOWS = 16;

export const TimeWindow = z.object({
  schedule: z
    .string()
    .max(128)
    // Explicit characters, not \s/\S: the API server's Go regexp and JavaScript's disagree on what
    // a space is (\v, Unicode spaces), and a policy must be judged the same by both.
    .regex(
      /^[^ \t\n\r\f\v]+([ \t]+[^ \t\n\r\f\v]+){4}$/,
      'must be a cron schedule of five fields, e.g. "0 2 * * 6"',
    )
    .describe(
      'When the window opens: a five-field cron schedule (minute hour day-of-month month day-of-week), ' +
        'e.g. "0 2 * * 6" for Saturdays at 02:00, read in timeZone.',
    ),
  duration: WindowDuration.describe(
    'How long the window stays open after each start; longer than 0s, at most 168h.',
  ),
  timeZone: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z][A-Za-z0-9_+\-/]*$/, 'must be an IANA time zone name such as "Europe/Berlin" or "UTC"')
    .default('UTC')
    .describe('IANA time zone the schedule is read in, e.g. "Europe/Berlin"; default UTC.'),
});
export type TimeWindow = z.infer<typeof TimeWindow>;

export const MaintenanceWindows = z
  .array(TimeWindow)
  .max(MAX_WINDOWS)
  .describe(
    'While one of these windows is open the policy only records what it would do (WouldHeal Events, ' +
      'refusal reason MaintenanceWindow); triggers keep being evaluated, and an action still due when ' +
      'the window closes starts then. Actions already running are not stopped.',
  );

export const AllowedWindows = z
  .array(TimeWindow)
  .max(MAX_WINDOWS)
  .describe(
    'If set, actions start only while one of these windows is open; outside them the policy only ' +
      'records (refusal reason OutsideAllowedWindow). A maintenance window wins over an allowed one.',
  );
