// Maintenance and allowed windows (safetyRules.maintenanceWindows / allowedWindows), judged at one
// instant. Pure and deterministic: croner only ever computes from the instant it is given (never its
// own clock, never a timer), so the policy workflow passes workflow time and replays agree.
//
// A window is [start, start + duration) for every start of its cron schedule, read in its time
// zone; the duration is real elapsed time, so a 2h window across a DST change lasts 2 hours. A
// start the clocks skip (02:30 on the spring-forward night in Europe/Berlin) happens when the clocks
// resume (03:00), once; a start that happens twice (autumn) counts once, at the first. Schedules
// with steps or ranges in the hour (`*/30 2 * * *`) skip that night instead, as croner does.
//
//   inside a maintenance window            → maintenance     (until it, and any it runs into, ends)
//   allowed windows set, inside none        → outside-allowed (until the next one opens)
//   otherwise                               → open            (until the next of those changes)
import { Cron } from 'croner';
import type { NormalizedWindow } from './policy-types.js';

export type WindowStateName = 'open' | 'maintenance' | 'outside-allowed';

/** What the windows say at one instant (PolicyStatusView.window; the Window condition). */
export interface WindowState {
  state: WindowStateName;
  /** When the state next changes, as far as the windows say (absent: it does not). */
  untilMs?: number;
  /** The window that decides, e.g. "safetyRules.maintenanceWindows[0]". */
  window?: string;
  message: string;
}

export interface PolicyWindows {
  maintenanceWindows: NormalizedWindow[];
  allowedWindows: NormalizedWindow[];
}

/** Windows that run into each other are followed this far; past it the state is re-judged next time. */
const MAX_CHAINED = 32;

/** A fixed instant for checking that a schedule ever starts (it has no year field, so any will do). */
const PROBE = new Date(Date.UTC(2000, 0, 1));

function compile(schedule: string, timeZone: string): Cron {
  // mode 5-part: exactly five fields (no seconds, no years); a string with a colon would otherwise
  // be read as a one-off date. No function: the Cron never schedules anything.
  if (schedule.trim().split(/\s+/).length !== 5) throw new Error('expected exactly five fields');
  return new Cron(schedule, { timezone: timeZone, mode: '5-part' });
}

const cleaned = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).replace(/^Cron\w*: /, '');

/** Why a window cannot be used, naming its field (schedule or timeZone); undefined when it can. */
export function windowProblem(w: {
  schedule: string;
  timeZone: string;
}): { field: 'schedule' | 'timeZone'; message: string } | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: w.timeZone });
  } catch {
    return {
      field: 'timeZone',
      message: `unknown time zone "${w.timeZone}" (an IANA name such as "Europe/Berlin")`,
    };
  }
  let next: Date | null;
  try {
    next = compile(w.schedule, w.timeZone).nextRun(PROBE);
  } catch (err) {
    return {
      field: 'schedule',
      message: `not a cron schedule: ${cleaned(err)} (five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * 6")`,
    };
  }
  return next ? undefined : { field: 'schedule', message: `"${w.schedule}" never starts` };
}

interface Judged {
  window: NormalizedWindow;
  /** Undefined when the window could not be compiled (the spec bypassed validation). */
  cron?: Cron;
}

function judge(windows: NormalizedWindow[]): Judged[] {
  return windows.map((window) => {
    try {
      return { window, cron: compile(window.schedule, window.timeZone) };
    } catch {
      return { window };
    }
  });
}

/** The end of the latest start of `w` that covers `t`, or undefined when none does. */
function coveredUntil(j: Judged, t: number): number | undefined {
  const { cron, window } = j;
  if (!cron) return undefined;
  // Covered iff some start lies in (t - duration, t]: the first start after t - duration is ≤ t.
  const first = cron.nextRun(new Date(t - window.durationMs));
  if (!first || first.getTime() > t) return undefined;
  // The latest start ≤ t ends last (starts are on whole minutes; previousRuns excludes its second).
  const latest = cron.previousRuns(1, new Date(Math.floor(t / 1000) * 1000 + 1000))[0];
  return Math.max(first.getTime(), latest?.getTime() ?? 0) + window.durationMs;
}

/** Covered at `t` by any of `list`: until when none covers any more (following chained windows). */
function coverage(list: Judged[], t: number): { untilMs: number; window: NormalizedWindow } | undefined {
  let found: { untilMs: number; window: NormalizedWindow } | undefined;
  let at = t;
  for (let i = 0; i < MAX_CHAINED; i++) {
    let next: typeof found;
    for (const j of list) {
      const until = coveredUntil(j, at);
      if (until !== undefined && until > (next?.untilMs ?? -Infinity))
        next = { untilMs: until, window: j.window };
    }
    if (!next) break;
    found = next;
    at = next.untilMs;
  }
  return found;
}

/** The earliest start strictly after `t` among `list`. */
function nextStart(list: Judged[], t: number): { atMs: number; window: NormalizedWindow } | undefined {
  let best: { atMs: number; window: NormalizedWindow } | undefined;
  for (const j of list) {
    const at = j.cron?.nextRun(new Date(t))?.getTime();
    if (at !== undefined && at < (best?.atMs ?? Infinity)) best = { atMs: at, window: j.window };
  }
  return best;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const describe = (w: NormalizedWindow): string => `${w.field} ("${w.schedule}" ${w.timeZone}, ${w.duration})`;

/** What the policy's windows say at `nowMs`; undefined when it has none. */
export function windowState(windows: PolicyWindows, nowMs: number): WindowState | undefined {
  const maintenance = judge(windows.maintenanceWindows);
  const allowed = judge(windows.allowedWindows);
  if (!maintenance.length && !allowed.length) return undefined;
  // A window that does not compile passed no validation; holding every action back is the safe reading.
  const broken = [...maintenance, ...allowed].find((j) => !j.cron);
  if (broken)
    return {
      state: 'maintenance',
      window: broken.window.field,
      message: `${broken.window.field} cannot be evaluated; nothing starts until the policy is fixed`,
    };
  const inMaintenance = coverage(maintenance, nowMs);
  if (inMaintenance)
    return {
      state: 'maintenance',
      untilMs: inMaintenance.untilMs,
      window: inMaintenance.window.field,
      message: `in maintenance window ${describe(inMaintenance.window)} until ${iso(inMaintenance.untilMs)}`,
    };
  const inAllowed = allowed.length ? coverage(allowed, nowMs) : undefined;
  if (allowed.length && !inAllowed) {
    const opens = nextStart(allowed, nowMs);
    return {
      state: 'outside-allowed',
      ...(opens ? { untilMs: opens.atMs, window: opens.window.field } : {}),
      message: opens
        ? `outside every allowed window; the next, ${describe(opens.window)}, opens at ${iso(opens.atMs)}`
        : 'outside every allowed window, and none opens again',
    };
  }
  return openState(nextStart(maintenance, nowMs), inAllowed);
}

function openState(
  maintenance: { atMs: number; window: NormalizedWindow } | undefined,
  allowed: { untilMs: number; window: NormalizedWindow } | undefined,
): WindowState {
  if (allowed && (!maintenance || allowed.untilMs <= maintenance.atMs))
    return {
      state: 'open',
      untilMs: allowed.untilMs,
      window: allowed.window.field,
      message: `actions may start: inside allowed window ${describe(allowed.window)} until ${iso(allowed.untilMs)}`,
    };
  if (maintenance)
    return {
      state: 'open',
      untilMs: maintenance.atMs,
      window: maintenance.window.field,
      message: `actions may start until ${iso(maintenance.atMs)}, when maintenance window ${describe(maintenance.window)} opens`,
    };
  return { state: 'open', message: 'actions may start' };
}

/** The refusal a closed window gives every fire, or undefined when actions may start. */
export function windowRefusal(
  state: WindowState | undefined,
): { reason: 'MaintenanceWindow' | 'OutsideAllowedWindow'; message: string } | undefined {
  if (!state || state.state === 'open') return undefined;
  return {
    reason: state.state === 'maintenance' ? 'MaintenanceWindow' : 'OutsideAllowedWindow',
    message: state.message,
  };
}
