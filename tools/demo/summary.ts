// The end of the demo: one row per scenario, and where to look afterwards.
import { table } from '../cli/format.js';
import { width, wrap } from './fit.js';
import { seconds, type ScenarioResult } from './outcome.js';
import { DEMO_NAMESPACE, type Scenario } from './scenarios.js';

// PENDING: not decided when the demo was stopped (Ctrl-C), which fails the run all the same.
const RESULT = { passed: 'PASS', skipped: 'SKIPPED', failed: 'FAIL', pending: 'PENDING' } as const;
const HEADERS = ['SCENARIO', 'RESULT', 'FIRED', 'DONE', 'TRIGGER→ACTION', 'TRIGGER→HEALED', 'OUTCOME'];

/**
 * The summary: a table, one row per scenario, when it fits `columns` (or when there is no
 * terminal to fit: a log keeps the table, which is easy to grep); else one block per scenario,
 * its values wrapped under their labels, so it reads at 80 columns.
 */
export function summaryTable(results: ScenarioResult[], columns?: number): string {
  const rows = results.map((r) => [
    r.scenario.name,
    RESULT[r.status],
    r.fired,
    r.done,
    seconds(r.toActionMs),
    seconds(r.toHealedMs),
    r.outcome,
  ]);
  const wide = table(HEADERS, rows);
  const fits = columns === undefined || wide.split('\n').every((l) => width(l) <= columns);
  return `\nSummary\n\n${fits ? wide : blocks(rows, columns)}`;
}

function blocks(rows: string[][], columns: number): string {
  const labels = HEADERS.slice(2).map((h) => h.toLowerCase());
  const labelWidth = Math.max(...labels.map((l) => l.length)) + 2;
  // Too narrow for labels beside values: each value under its label.
  const beside = columns - 2 - labelWidth >= 20;
  const out: string[] = [];
  for (const [name = '', result = '', ...values] of rows) {
    out.push(...wrap(`${name}  ${result}`, columns));
    values.forEach((v, i) => {
      const label = labels[i]!;
      if (beside) {
        const lines = wrap(v, columns - 2 - labelWidth);
        out.push(...lines.map((l, j) => `  ${(j === 0 ? label : '').padEnd(labelWidth)}${l}`.trimEnd()));
      } else out.push(...wrap(`  ${label}:`, columns), ...wrap(v, columns - 4).map((l) => `    ${l}`));
    });
    out.push('');
  }
  return out.join('\n');
}

export function lookAroundText(
  env: {
    kubeconfig: string;
    uiUrl?: string;
    temporalAddress: string;
    operatorLog: string;
    metricsUrl?: string;
  },
  scenarios: readonly Scenario[],
  opts: { finished?: boolean; watched?: boolean } = {},
): string {
  const first = scenarios[0]?.policy ?? 'memory-leak-healing';
  const lines = [
    '',
    `Temporal Web UI:  ${env.uiUrl ?? `(the server at ${env.temporalAddress} was reused: open its own Web UI)`}`,
    `  search:         KubeSkippyPolicy="${first}"   or   KubeSkippyNamespace="${DEMO_NAMESPACE}"`,
    `kubeconfig:       ${env.kubeconfig}`,
    `  look:           kubectl --kubeconfig ${env.kubeconfig} get healingpolicies,healingactions -A`,
    `                  kubectl --kubeconfig ${env.kubeconfig} -n ${DEMO_NAMESPACE} describe healingaction NAME`,
    `operator log:     ${env.operatorLog}`,
    ...(env.metricsUrl ? [`operator metrics: ${env.metricsUrl}`] : []),
  ];
  if (opts.finished) {
    lines.push(
      '',
      // Given --watch, the person chose when to stop: do not suggest the flag they used.
      opts.watched
        ? 'Stopping everything the demo started; its workflows are ended (terminated: "the demo stopped").'
        : 'Everything stops with the demo. To keep it running and look around: npm run demo -- --watch',
    );
    // Only the demo's own dev server writes there; a reused server keeps its histories itself.
    if (env.uiUrl)
      lines.push(
        'The workflow histories persist in .kubeskippy/temporal.db: node bin/kubeskippy.js dev-server --db .kubeskippy/temporal.db',
      );
  }
  return lines.join('\n') + '\n';
}
