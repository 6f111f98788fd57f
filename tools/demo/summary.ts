// The end of the demo: one row per scenario, and where to look afterwards.
import { table } from '../cli/format.js';
import { seconds, type ScenarioResult } from './outcome.js';
import { DEMO_NAMESPACE, type Scenario } from './scenarios.js';

export function summaryTable(results: ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.scenario.name,
    r.status === 'passed' ? 'PASS' : r.status === 'skipped' ? 'SKIPPED' : 'FAIL',
    r.fired,
    r.done,
    seconds(r.toActionMs),
    seconds(r.toHealedMs),
    r.outcome,
  ]);
  return `\nSummary\n\n${table(
    ['SCENARIO', 'RESULT', 'FIRED', 'DONE', 'TRIGGER→ACTION', 'TRIGGER→HEALED', 'OUTCOME'],
    rows,
  )}`;
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
  opts: { finished?: boolean } = {},
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
  if (opts.finished)
    lines.push(
      '',
      'Everything stops with the demo. To keep it running and look around: npm run demo -- --watch',
      'The workflow histories persist in .kubeskippy/temporal.db: node bin/kubeskippy.js dev-server --db .kubeskippy/temporal.db',
    );
  return lines.join('\n') + '\n';
}
