// Alertmanager silences, matched as Alertmanager matches them (pkg/labels Matcher): a silence
// matches a label set when every matcher does; a missing label is the empty string; = and != compare
// exactly; =~ and !~ are regular expressions anchored at both ends. Alertmanager's are Go RE2; the
// patterns silences use (alternations, classes, .*) mean the same in JavaScript. A pattern that
// JavaScript cannot compile is taken as matching: the gate does not rule out a silence it cannot read.
import type { SilenceMatcher, SilenceSnapshot } from './snapshot.js';

function matcherMatches(m: SilenceMatcher, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? '';
  let same: boolean;
  if (m.isRegex) {
    try {
      same = new RegExp(`^(?:${m.value})$`).test(value);
    } catch {
      return true;
    }
  } else same = value === m.value;
  return m.isEqual === false ? !same : same;
}

export function silenceMatches(s: SilenceSnapshot, labels: Record<string, string>): boolean {
  return s.matchers.every((m) => matcherMatches(m, labels));
}

/** The first silence matching any of the label sets, with the set it matched. */
export function matchingSilence(
  silences: SilenceSnapshot[],
  labelSets: Record<string, string>[],
): { silence: SilenceSnapshot; labels: Record<string, string> } | undefined {
  for (const silence of silences)
    for (const labels of labelSets) if (silenceMatches(silence, labels)) return { silence, labels };
  return undefined;
}

/** `namespace="shop", pod=~"web-.*"`: how amtool prints a silence's matchers. */
export function describeMatchers(matchers: SilenceMatcher[]): string {
  const op = (m: SilenceMatcher): string => (m.isEqual === false ? '!' : '=') + (m.isRegex ? '~' : '=');
  return matchers.map((m) => `${m.name}${op(m).replace('==', '=')}${JSON.stringify(m.value)}`).join(', ');
}
