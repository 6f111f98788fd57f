// The Grafana dashboard (deploy/grafana/kubeskippy.json) against a real `kubeskippy operator`:
// once it has healed something and refused something, every metric name any panel or variable
// queries must be on its /metrics, so a renamed series (or a dashboard typo) fails here instead
// of leaving an empty panel. With a real Prometheus scraping the same operator, every query must
// also parse and evaluate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../tools/dev-server.js';
import { spawnCliOperator, type CliOperator } from '../support/cli-operator.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, alwaysTrue, describeActions, healingPolicy } from '../support/engine-scenarios.js';
import {
  dashboardQueries,
  loadDashboard,
  servedNames,
  unservedNames,
  type DashboardQuery,
} from '../support/metric-names.js';
import { startPrometheus } from '../support/prometheus.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
let operator: CliOperator | undefined;
let metricsPort: number;
beforeAll(async () => {
  // The alert receiver on too: its counter (kubeskippy_alert_notifications_total) has a panel.
  engine = await startEngine({ operator: false, timeScale: 0.1, alertToken: 'dashboard-test' });
  metricsPort = await findFreePort();
  operator = spawnCliOperator(engine, 'operator', {
    metricsPort,
    env: {
      KUBESKIPPY_ALERT_PORT: '0',
      KUBESKIPPY_ALERT_TOKEN_FILE: engine.config.alertTokenFile!,
    },
  });
});
afterAll(async () => {
  await operator?.kill();
  await engine?.stop();
});

const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

/** The operator's /metrics once it has acted (Succeeded) and refused (BudgetExhausted). */
async function scrapeAfterWork(): Promise<string> {
  engine.apply([
    deployment('dash-app', { replicas: 1 }),
    healingPolicy(engine.namespace, 'dash', 'dash-app', {
      triggers: [alwaysTrue('busy', { cooldownPeriod: '30m' })],
      actions: [
        { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
      ],
      // One action an hour: the replacement pod fires too and is refused (BudgetExhausted).
      safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1 },
      verification: { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
    }),
  ]);
  await eventually(
    () => `a Succeeded action: ${describeActions(engine, 'dash')}\n${operator!.output()}`,
    () => actionsOf(engine, 'dash').find((a) => a.status?.phase === 'Succeeded'),
    90_000,
  );
  return eventually(
    'the action and the refusal counted, and the SDK worker series, on /metrics',
    async () => {
      const body = await scrape().catch(() => '');
      const done =
        /^kubeskippy_healing_actions_total\{[^}]*phase="Succeeded"[^}]*\} [1-9]/m.test(body) &&
        /^kubeskippy_safety_refusals_total\{[^}]*reason="BudgetExhausted"[^}]*\} [1-9]/m.test(body) &&
        /^temporal_workflow_task_schedule_to_start_latency/m.test(body);
      return done ? body : undefined;
    },
    60_000,
  );
}

/** Grafana's variables as it fills them in: every namespace, policy and task queue; 1m windows. */
const fillVariables = (expr: string): string =>
  expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?\w+\}?/g, '.*');

let text: string;
let queries: DashboardQuery[];

describe('the Grafana dashboard', () => {
  it('queries only series a working operator serves', { timeout: 240_000 }, async () => {
    queries = dashboardQueries(await loadDashboard());
    expect(queries.length).toBeGreaterThanOrEqual(20);
    text = await scrapeAfterWork();
    const served = servedNames(text);
    expect(unservedNames(queries, served), 'dashboard names absent from /metrics').toEqual([]);
    // The same checker, given a query naming a series nobody serves, reports it.
    const typo = { where: 'typo', expr: 'sum(rate(kubeskippy_healing_action_total[5m]))' };
    expect(unservedNames([...queries, typo], served)).toEqual([
      { where: 'typo', name: 'kubeskippy_healing_action_total' },
    ]);
  });

  it(
    'has queries that a real Prometheus scraping the operator parses and evaluates',
    { timeout: 90_000 },
    async () => {
      // Like every test with a real Prometheus: without the binary it fails and says how to install it.
      expect(text, 'the scrape of the first test').toBeTruthy();
      const prometheus = await startPrometheus({
        jobs: [
          {
            jobName: 'kubeskippy',
            scheme: 'http',
            metricsPath: '/metrics',
            target: `127.0.0.1:${metricsPort}`,
          },
        ],
      });
      try {
        const failures: string[] = [];
        for (const q of queries)
          await prometheus
            .instant(fillVariables(q.expr))
            .catch((err: Error) => failures.push(`${q.where}: ${err.message}`));
        expect(failures).toEqual([]);
        // The same loop would report a query Prometheus cannot parse.
        await expect(
          prometheus.instant(fillVariables('sum by (le (rate(x[$__rate_interval]))')),
        ).rejects.toThrow(/parse error/);
        // Each variable's label is on the series it reads them from, so its drop-down is not empty.
        for (const v of queries.filter((q) => q.where.startsWith('variable '))) {
          const label = v.where.slice('variable '.length);
          const found = await prometheus.instant(fillVariables(v.expr));
          expect(
            found.some((r) => r.metric[label]),
            `${v.where}: ${v.expr}`,
          ).toBe(true);
        }
      } finally {
        await prometheus.stop();
      }
    },
  );
});
