// How the CLI reads object references and prints results: kubectl's `<namespace>/<name>`, its
// fixed-width tables and ages, and the -o table|json choice. No Temporal, no Kubernetes.
import { CliError } from './errors.js';

/** `<namespace>/<name>`, as kubectl prints it. */
export function parseRef(text: string, what: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text);
  if (!m)
    throw new CliError(
      `${what} must be <namespace>/<name> (e.g. demo-apps/memory-leak-healing), got "${text}"`,
    );
  return { namespace: m[1]!, name: m[3]! };
}

export function outputFormat(flags: { output?: string }): 'table' | 'json' {
  if (flags.output !== 'table' && flags.output !== 'json')
    throw new CliError(`--output must be table or json, got "${flags.output}"`);
  return flags.output;
}

/** A fixed-width table like kubectl's. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function age(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
