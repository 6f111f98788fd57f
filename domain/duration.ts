// Go-style durations ("30s", "5m", "1h30m", "250ms", "1.5h"), the syntax of every duration field
// in the CRDs. Parsed to integer milliseconds, the unit all domain code computes in.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

// One "<number><unit>" term; a duration is one or more terms. `ms` must come before `m` and the
// micro units before `s` so the alternation does not stop at the shorter unit.
const TERM = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/y;

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/**
 * Parses a Go duration into whole milliseconds (sub-millisecond parts are rounded).
 * Negative durations are rejected: every duration in a policy is a length of time.
 * Throws `DurationError` naming the input and what a valid value looks like.
 */
export function parseDuration(text: string): number {
  const bad = (why: string): DurationError =>
    new DurationError(`invalid duration "${text}": ${why} (expected e.g. "30s", "5m", "1h30m", "250ms")`);
  if (typeof text !== 'string' || text.length === 0) throw bad('empty');
  if (text === '0') return 0; // Go accepts a bare zero without a unit.
  if (text.startsWith('-')) throw bad('must not be negative');
  const input = text.startsWith('+') ? text.slice(1) : text;
  let total = 0;
  let pos = 0;
  while (pos < input.length) {
    TERM.lastIndex = pos;
    const match = TERM.exec(input);
    if (!match) throw bad(`unexpected "${input.slice(pos)}"`);
    const [whole, num = '', unit = ''] = match;
    total += Number(num) * (UNIT_MS[unit] ?? Number.NaN);
    pos += whole.length;
  }
  if (pos === 0) throw bad('empty');
  if (!Number.isFinite(total)) throw bad('out of range');
  return Math.round(total);
}

/** Like `parseDuration`, but returns `fallback` instead of throwing. */
export function parseDurationOr(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return parseDuration(text);
  } catch {
    return fallback;
  }
}

/**
 * Formats milliseconds as the shortest Go-style string: 5400000 → "1h30m", 90500 → "1m30.5s",
 * 250 → "250ms", 0 → "0s". `parseDuration(formatDuration(ms)) === ms` for every whole ms ≥ 0.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  if (rest < 1_000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1_000; // keeps milliseconds as a decimal fraction, like Go does
  let out = sign;
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (seconds) out += `${seconds}s`;
  return out;
}
