// Metric names on both sides of a scrape: the series an operator's /metrics serves (its `# TYPE`
// families and their samples), the names the README promises, and the names the Grafana
// dashboard's PromQL selects. The tests compare them so the README and the dashboard cannot
// drift from what the operator really exposes.
import { readFile } from 'node:fs/promises';

/**
 * Every name a query may select from this exposition text: each sample's name, and each `# TYPE`
 * family with the names its type implies. prom-client writes HELP/TYPE even for a labelled
 * counter that has no sample yet, so a family is known before it has counted anything. No
 * `_total` is added to a counter that lacks it: the Temporal SDK's counters (temporal_request)
 * are served, and stored by Prometheus, without one.
 */
export function servedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(`${name}${s}`);
  }
  for (const [, name] of exposition.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)) names.add(name!);
  return names;
}

// Words of PromQL that are not metric names when they stand alone (functions and aggregations are
// recognised by the parenthesis that follows them).
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
// Label lists: `by (le, policy)`, `on (instance)`, `group_left (x)`.
const LABEL_LISTS = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;

/**
 * The metric names a PromQL expression selects. Grafana's variables ($policy, ${datasource},
 * $__rate_interval) are dropped first; then strings, label matchers, ranges and label lists;
 * what is left are numbers, keywords, function and aggregation names (followed by "("), and the
 * metric names.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(LABEL_LISTS, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/\d[\w.]*|([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, word, call] = m;
    if (!word || call || KEYWORDS.has(word.toLowerCase())) continue;
    names.push(word);
  }
  return [...new Set(names)];
}

export interface DashboardQuery {
  /** The panel title, or `variable <name>` for a template variable's query. */
  where: string;
  expr: string;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels?: Panel[];
  templating?: { list?: { name: string; type: string; query?: string | { query?: string } }[] };
}

/** Every PromQL query of a Grafana dashboard: its panels' targets (rows' too) and its variables'. */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
  const d = dashboard as Dashboard;
  const out: DashboardQuery[] = [];
  const walk = (panels: Panel[] = []): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: p.title ?? '?', expr: t.expr });
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    // label_values(metric{...}, label) and query_result(expr) hold PromQL; the rest is Grafana's.
    const inner = q?.match(/^(?:label_values|query_result)\((.*?)(?:,\s*\w+)?\)$/)?.[1];
    if (inner) out.push({ where: `variable ${v.name}`, expr: inner });
  }
  return out;
}

/** The queries' metric names the scrape does not serve; an empty list means no drift. */
export function unservedNames(
  queries: DashboardQuery[],
  served: Set<string>,
): { where: string; name: string }[] {
  return queries.flatMap((q) =>
    promqlMetricNames(q.expr)
      .filter((name) => !served.has(name))
      .map((name) => ({ where: q.where, name })),
  );
}

const root = new URL('../../', import.meta.url);

export async function loadDashboard(): Promise<unknown> {
  return JSON.parse(await readFile(new URL('deploy/grafana/kubeskippy.json', root), 'utf8'));
}

/** The series the README's "Operating it" section promises on /metrics, as written there. */
export async function readmeSeries(): Promise<string[]> {
  const readme = await readFile(new URL('README.md', root), 'utf8');
  const section = readme.slice(readme.indexOf('## Operating it'));
  const bullet = section.slice(0, section.indexOf('\n- ', section.indexOf('/metrics')));
  return [...bullet.matchAll(/`((?:kubeskippy|temporal)_[a-z_]*\*?)(?:\{[^}]*\})?`/g)].map((m) => m[1]!);
}

/** README names (a trailing * is a prefix) absent from the served names. */
export function missingSeries(promised: string[], served: Set<string>): string[] {
  return promised.filter((p) =>
    p.endsWith('*') ? ![...served].some((n) => n.startsWith(p.slice(0, -1))) : !served.has(p),
  );
}
