// `kubeskippy demo`: bring the environment up, watch the scenarios play out, judge them, print the
// summary, take everything down. Returns the exit code: 0 only when every scenario healed the way
// scenarios.ts expects (a scenario skipped for lack of a language model does not count against it).
import { loadConfig } from '../../operator/config.js';
import { Approver } from './approval.js';
import { startEnvironment, type Environment } from './environment.js';
import { skipWithoutModel } from './model.js';
import { observe, type DemoSnapshot } from './observe.js';
import { captureBaseline, judge, type Baseline, type ScenarioResult } from './outcome.js';
import { DEMO_NAMESPACE, type Scenario } from './scenarios.js';
import { lookAroundText, summaryTable } from './summary.js';
import { drawFrame, narrate, renderFrame } from './view.js';

export interface DemoOptions {
  scenarios: readonly Scenario[];
  watch: boolean;
  interactive: boolean;
  temporalAddress?: string;
  kubeconfig?: string;
  /** The cluster to start when no kubeconfig is given. */
  cluster: 'sim' | 'real';
  uiPort: number;
  timeScale: number;
  stateDir: string;
}

const TICK_MS = 1000;

/** What the watch loop needs from the run that started it. */
interface Watch {
  opts: DemoOptions;
  env: Environment;
  /** The scenarios deployed (those without a model are left out). */
  scenarios: readonly Scenario[];
  skipped: Map<string, ScenarioResult>;
  startedMs: number;
  say: (line: string) => void;
  stopRequested: () => boolean;
}

/** Observes, judges, approves and draws once a second until every scenario is decided (or Ctrl-C). */
async function watchScenarios(w: Watch): Promise<ScenarioResult[]> {
  const { opts, env, scenarios, skipped, say } = w;
  const out = process.stdout;
  const tty = out.isTTY === true;
  const t0 = Date.now(); // the clock of the story starts when the apps are deployed
  // Human-scale pause before auto-approval; shorter when the whole demo runs faster.
  const pauseMs = Math.max(5000, Math.round(15_000 * Math.min(1, opts.timeScale)));
  const approver = new Approver({
    ...env,
    interactive: opts.interactive,
    pauseMs,
    say: (l) => void (tty || say(l)),
  });
  const deadlineMs = t0 + 90_000 + Math.round(300_000 * opts.timeScale);
  const baselines = new Map<string, Baseline>();
  const policies = scenarios.map((s) => s.policy);
  let snap: DemoSnapshot | undefined;
  let results: ScenarioResult[] = [];
  let summarized = false;
  if (tty) out.write('\x1b[?25l\x1b[2J'); // hide the cursor, clear once; frames redraw in place
  try {
    while (!w.stopRequested()) {
      const next = await observe(
        { kube: env.kube, namespace: DEMO_NAMESPACE, client: env.client, policies },
        snap,
      );
      for (const s of scenarios) {
        const b = baselines.get(s.app) ?? captureBaseline(next.apps.find((a) => a.name === s.app));
        if (b) baselines.set(s.app, b);
      }
      const timedOut = Date.now() > deadlineMs;
      results = opts.scenarios.map(
        (s) => skipped.get(s.name) ?? judge(s, next, baselines.get(s.app), timedOut),
      );
      const waiting = next.actions.filter(
        (a) =>
          a.status?.phase === 'AwaitingApproval' && scenarios.some((s) => s.policy === a.spec.policyRef.name),
      );
      const notes = await approver.tick(waiting, Date.now());
      if (tty) {
        const frame = {
          title: 'KubeSkippy demo',
          startedMs: w.startedMs,
          results,
          notes,
          width: out.columns || 160,
        };
        drawFrame(out, renderFrame(next, frame));
      } else {
        for (const line of narrate(snap, next, t0)) say(line);
      }
      snap = next;
      const decided = results.every((r) => r.status !== 'pending');
      if (decided && !summarized && opts.watch && !tty) {
        say(summaryTable(results));
        summarized = true;
      }
      if (decided && !opts.watch) break;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  } finally {
    if (tty) out.write('\x1b[?25h\n');
  }
  return results;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const progress = (msg: string): void => say(`kubeskippy demo: ${msg}`);
  const startedMs = Date.now();
  // Scenarios that need a language model are checked first: without one they are not deployed,
  // and the summary says so (SKIPPED, which does not fail the demo).
  let skipped: Map<string, ScenarioResult>;
  let env: Environment;
  const scenarios: Scenario[] = [];
  try {
    skipped = await skipWithoutModel(opts.scenarios, loadConfig(), progress);
    scenarios.push(...opts.scenarios.filter((s) => !skipped.has(s.name)));
    if (scenarios.length === 0) {
      say(summaryTable([...skipped.values()]));
      return 0;
    }
    env = await startEnvironment({ ...opts, scenarios, progress });
  } catch (err) {
    say(`kubeskippy demo: could not start: ${(err as Error).message}`);
    return 1;
  }
  progress(`ready in ${((Date.now() - startedMs) / 1000).toFixed(1)}s: ${env.applied.join(', ')}`);
  if (opts.timeScale !== 1)
    progress(
      `time scale ${opts.timeScale}: the apps and the policies' windows run ${1 / opts.timeScale}× faster`,
    );
  say(lookAroundText(env, scenarios));

  let stopRequested = false;
  const onSignal = (): void => {
    // A second Ctrl-C while stopping: leave now (the dev server child is killed on exit).
    if (stopRequested) process.exit(130);
    stopRequested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results = await watchScenarios({
    opts,
    env,
    scenarios,
    skipped,
    startedMs,
    say,
    stopRequested: () => stopRequested,
  });
  if (stopRequested) progress('stopping (Ctrl-C)');
  if (!stopRequested || !opts.watch) say(summaryTable(results));
  say(lookAroundText(env, scenarios, { finished: true }));
  const stopping = Date.now();
  await env.stop();
  progress(`stopped everything in ${((Date.now() - stopping) / 1000).toFixed(1)}s`);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  const failed = results.filter((r) => r.status !== 'passed' && r.status !== 'skipped');
  for (const r of failed)
    say(`kubeskippy demo: ${r.scenario.name} did not heal as expected (${r.scenario.expected})`);
  return failed.length > 0 ? 1 : 0;
}
