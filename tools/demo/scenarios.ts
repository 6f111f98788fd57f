// The demo's scenarios: which app and policy each one deploys, and what "healed as expected" means
// for it. The judging itself is in outcome.ts; this file is the table a reader checks first.
export const SCENARIO_NAMES = [
  'memory-leak',
  'crashloop',
  'cpu-spike',
  'protected',
  'dryrun',
  'approval',
  'ai',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** What a scenario must end with for the demo to exit 0. */
export type Expectation =
  | 'succeeded' // an automatic action ran and verification proved the target healed
  | 'never-touched' // the planner refused (Protected); the app's pods and Deployment are unchanged
  | 'dry-run-unchanged' // a DryRun action recorded the change it would make; nothing changed
  | 'approved-succeeded' // the action waited in AwaitingApproval, was approved, then Succeeded
  // A model answered (confidence and root cause recorded on the HealingAction), and the action
  // ended the way the safety rules allow for whatever it chose: Succeeded (its choice, or the
  // rule's when it was unsure), or Skipped (AiRecommendedNone) when it chose to do nothing.
  | 'ai-analysed';

export interface Scenario {
  name: ScenarioName;
  title: string;
  /** The Deployment (in DEMO_NAMESPACE) the scenario's policy watches. */
  app: string;
  appFile: string;
  policyFile: string;
  policy: string;
  expect: Expectation;
  /** The expectation in words, for the summary and the README. */
  expected: string;
  /** Needs a language model (Ollama at OLLAMA_HOST): skipped, not failed, when none is reachable. */
  needsModel?: boolean;
}

export const DEMO_NAMESPACE = 'demo-apps';

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'memory-leak',
    title: 'Memory leak (slide 6)',
    app: 'memory-leak-app',
    appFile: 'demo/apps/memory-leak-app.yaml',
    policyFile: 'demo/policies/memory-leak-healing.yaml',
    policy: 'memory-leak-healing',
    expect: 'succeeded',
    expected: 'pod > 85% is evicted; its replacement starts low',
  },
  {
    name: 'crashloop',
    title: 'Crash loop (slide 5)',
    app: 'crashloop-app',
    appFile: 'demo/apps/crashloop-app.yaml',
    policyFile: 'demo/policies/crashloop-healing.yaml',
    policy: 'crashloop-healing',
    expect: 'succeeded',
    expected: 'debug patch rolls the Deployment; pods stop restarting',
  },
  {
    name: 'cpu-spike',
    title: 'CPU spike (slide 3)',
    app: 'cpu-spike-app',
    appFile: 'demo/apps/cpu-spike-app.yaml',
    policyFile: 'demo/policies/cpu-spike-healing.yaml',
    policy: 'cpu-spike-healing',
    expect: 'succeeded',
    expected: 'Deployment scaled out, within maxReplicas',
  },
  {
    name: 'protected',
    title: 'Protected resource (slide 7)',
    app: 'critical-app',
    appFile: 'demo/apps/critical-app.yaml',
    policyFile: 'demo/policies/protected-critical.yaml',
    policy: 'protected-critical',
    expect: 'never-touched',
    expected: 'refused as Protected; never touched',
  },
  {
    name: 'dryrun',
    title: 'Dry run (slide 7)',
    app: 'flaky-web-app',
    appFile: 'demo/apps/flaky-web-app.yaml',
    policyFile: 'demo/policies/dryrun-flaky.yaml',
    policy: 'dryrun-flaky',
    expect: 'dry-run-unchanged',
    expected: 'DryRun with the change it would make; nothing changes',
  },
  {
    name: 'approval',
    title: 'Manual approval',
    app: 'approval-app',
    appFile: 'demo/apps/approval-app.yaml',
    policyFile: 'demo/policies/manual-approval.yaml',
    policy: 'manual-approval',
    expect: 'approved-succeeded',
    expected: 'waits in AwaitingApproval; approved; Succeeded',
  },
  {
    name: 'ai',
    title: 'AI analysis (decide mode)',
    app: 'ai-app',
    appFile: 'demo/apps/ai-app.yaml',
    policyFile: 'demo/policies/ai-analysis.yaml',
    policy: 'ai-analysis',
    expect: 'ai-analysed',
    expected: 'a model analyses the leak; its choice (or none) runs within the safety rules',
    needsModel: true,
  },
];

/** Parses `--scenario`: `all` or a comma-separated list of names. Undefined means "invalid". */
export function selectScenarios(value: string): Scenario[] | undefined {
  if (value === 'all') return [...SCENARIOS];
  const names = value.split(',').map((s) => s.trim());
  const picked = SCENARIOS.filter((s) => names.includes(s.name));
  return picked.length === names.length && picked.length > 0 ? picked : undefined;
}
