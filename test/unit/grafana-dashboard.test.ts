// The Grafana dashboard's shape (deploy/grafana/kubeskippy.json), the PromQL name extraction the
// drift test relies on (test/e2e/grafana-dashboard.test.ts compares the names with a real
// operator's /metrics), and the sidecar ConfigMap kustomize renders from the same file.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  dashboardQueries,
  loadDashboard,
  promqlMetricNames,
  servedNames,
  unservedNames,
} from '../support/metric-names.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('promqlMetricNames', () => {
  it.each([
    ['kubeskippy_process_resident_memory_bytes', ['kubeskippy_process_resident_memory_bytes']],
    [
      'sum by (phase) (rate(kubeskippy_healing_actions_total{namespace=~"$namespace",phase="Succeeded"}[$__rate_interval])) * 60',
      ['kubeskippy_healing_actions_total'],
    ],
    [
      'histogram_quantile(0.99, sum by (le, policy) (rate(kubeskippy_detection_to_action_seconds_bucket{policy=~"${policy}"}[5m])))',
      ['kubeskippy_detection_to_action_seconds_bucket'],
    ],
    [
      'sum(rate(a_sum[1m])) by (provider) / ignoring (x) group_left (y) sum without (le) (rate(a_count[1m]))',
      ['a_sum', 'a_count'],
    ],
    ['up == bool 1 and on (instance) b offset 5m or c unless d', ['up', 'b', 'c', 'd']],
    ['sort_desc(topk(5, sum by (reason) (increase(x{reason!~"a|b,c"}[$__range]))))', ['x']],
    // A label value or matcher that looks like a metric name is not one.
    ['count(x{job="not_a_metric", le="+Inf"}) > 1e3', ['x']],
    ['vector(1) + 0.5', []],
  ])('%s', (expr, names) => {
    expect(promqlMetricNames(expr)).toEqual(names);
  });
});

describe('servedNames', () => {
  const exposition = [
    '# HELP kubeskippy_safety_refusals_total Refusals',
    '# TYPE kubeskippy_safety_refusals_total counter',
    '# TYPE kubeskippy_ai_confidence histogram',
    '# TYPE temporal_request counter',
    'temporal_request{operation="PollWorkflowTaskQueue"} 3',
    'temporal_num_pollers{poller_type="workflow_task"} 2',
  ].join('\n');
  const served = servedNames(exposition);

  it('knows a family from its TYPE line alone, and a histogram by its three series', () => {
    for (const n of ['kubeskippy_safety_refusals_total', 'kubeskippy_ai_confidence_bucket'])
      expect(served.has(n), n).toBe(true);
    expect(served.has('kubeskippy_ai_confidence_count')).toBe(true);
    expect(served.has('temporal_num_pollers')).toBe(true);
  });

  it('does not invent a _total the exporter does not serve', () => {
    expect(served.has('temporal_request')).toBe(true);
    expect(served.has('temporal_request_total')).toBe(false);
  });

  it('reports each query naming something unserved, where it is', () => {
    const queries = [
      { where: 'ok', expr: 'sum(rate(temporal_request[1m]))' },
      { where: 'typo', expr: 'rate(kubeskippy_safety_refusal_total[1m]) + temporal_num_pollers' },
    ];
    expect(unservedNames(queries, served)).toEqual([
      { where: 'typo', name: 'kubeskippy_safety_refusal_total' },
    ]);
  });
});

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

describe('deploy/grafana/kubeskippy.json', async () => {
  const dashboard = (await loadDashboard()) as {
    schemaVersion: number;
    uid: string;
    panels: Panel[];
    templating: { list: { name: string; type: string; query: unknown }[] };
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');

  it('picks its Prometheus by a datasource variable, used by every panel and query', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${datasource}');
    }
  });

  it('gives every panel a description, a unit and at least one query', () => {
    for (const p of panels) {
      expect(p.description?.length ?? 0, `${p.title}: description`).toBeGreaterThan(20);
      expect(p.fieldConfig?.defaults?.unit, `${p.title}: unit`).toBeTruthy();
      expect(p.targets?.length ?? 0, `${p.title}: queries`).toBeGreaterThan(0);
    }
  });

  it('lays panels out without overlaps, inside 24 columns, with unique ids', () => {
    const all = dashboard.panels;
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    const cells = new Set<string>();
    for (const { title, gridPos: g } of all) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it('covers actions, latency, refusals, AI and worker health, filtered by namespace and policy', () => {
    const queries = dashboardQueries(dashboard);
    const names = new Set(queries.flatMap((q) => promqlMetricNames(q.expr)));
    for (const n of [
      'kubeskippy_healing_actions_total',
      'kubeskippy_detection_to_action_seconds_bucket',
      'kubeskippy_action_duration_seconds_bucket',
      'kubeskippy_safety_refusals_total',
      'kubeskippy_ai_analyses_total',
      'kubeskippy_ai_confidence_bucket',
      'temporal_worker_task_slots_available',
      'temporal_workflow_task_queue_poll_succeed',
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'temporal_sticky_cache_size',
      'kubeskippy_process_resident_memory_bytes',
    ])
      expect(names.has(n), n).toBe(true);
    expect(queries.map((q) => q.where)).toEqual(
      expect.arrayContaining(['variable namespace', 'variable policy', 'variable task_queue']),
    );
    const actions = queries.filter((q) => q.expr.includes('kubeskippy_healing_actions_total'));
    for (const q of actions) expect(q.expr, q.where).toContain('policy=~"$policy"');
  });

  it('filters every KubeSkippy series by the cluster variable (a fleet in one Prometheus)', () => {
    const queries = dashboardQueries(dashboard);
    expect(queries.map((q) => q.where)).toContain('variable cluster');
    for (const q of queries)
      for (const name of promqlMetricNames(q.expr).filter((n) => n.startsWith('kubeskippy_')))
        if (q.where !== 'variable cluster')
          expect(q.expr, `${q.where}: ${name}`).toMatch(new RegExp(`${name}\\{cluster=~"\\$cluster"`));
  });
});

describe('deploy/grafana (kustomize)', () => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('renders a sidecar ConfigMap holding the dashboard file as it is', () => {
    const out = spawnSync('kubectl', ['kustomize', 'deploy/grafana'], { cwd: root, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const cm = parseYaml(out.stdout) as {
      kind: string;
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata.labels['grafana_dashboard']).toBe('1');
    expect(cm.data['kubeskippy.json']).toBe(readFileSync(`${root}deploy/grafana/kubeskippy.json`, 'utf8'));
  });
});
