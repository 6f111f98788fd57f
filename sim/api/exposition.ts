// The Prometheus text exposition format (version 0.0.4), which every Prometheus scrapes: a HELP
// and a TYPE line per family, then one `name{label="value",...} number` line per series. Small
// enough to write here; prom-client's registry is built for a process's own metrics, not for
// series computed per scrape from the store.
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Series {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  series: Series[];
}

// Label values escape backslash, double quote and newline; HELP text only backslash and newline.
const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Go's strconv.ParseFloat spellings of the special values, which Prometheus reads back. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function seriesLine(name: string, s: Series): string {
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
  return `${name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`;
}

/** The families as one exposition document (ends with a newline, as the format requires). */
export function writeExposition(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.series) lines.push(seriesLine(f.name, s));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
