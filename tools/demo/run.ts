// `kubeskippy demo`: bring the environment up, watch the scenarios play out, judge them, print the
// summary, take everything down. Returns the exit code: 0 only when every scenario healed the way
// scenarios.ts expects (a scenario skipped for lack of a language model does not count against it).
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../operator/config.js';
import { Approver } from './approval.js';
import { startEnvironment, type Environment } from './environment.js';
import { skipWithoutModel } from './model.js';
import { observe, type DemoSnapshot } from './observe.js';
import { captureBaseline, judge, type Baseline, type ScenarioResult } from './outcome.js';
import { DEMO_NAMESPACE, type Scenario } from './scenarios.js';
import { lookAroundText, summaryTable } from './summary.js';
import { liveOutput } from './screen.js';

export interface DemoOptions {
  scenarios: readonly Scenario[];
  watch: boolean;
  interactive: boolean;
  temporalAddress?: string;
  kubeconfig?: string;
  /** The cluster to start when no kubeconfig is given. */
  cluster: 'sim' | 'real';
  uiPort: number;
  /** The dev server's gRPC port (0 = a free one). */
  temporalPort: number;
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
  /** Aborted on Ctrl-C: the loop stops at once, even in the middle of its pause. */
  stop: AbortSignal;
}

interface Watched {
  results: ScenarioResult[];
  /** The summary has been printed (--watch prints it once every scenario is decided). */
  summarized: boolean;
  /** The terminal's width for the summary, when the view was drawn on one. */
  columns: number | undefined;
}

/** Observes, judges, approves and draws once a second until every scenario is decided (or Ctrl-C). */
async function watchScenarios(w: Watch): Promise<Watched> {
  const { opts, env, scenarios, skipped, say } = w;
  const t0 = Date.now(); // the clock of the story starts when the apps are deployed
  const live = liveOutput(process.stdout, { narrateFromMs: t0 });
  // Human-scale pause before auto-approval; shorter when the whole demo runs faster.
  const pauseMs = Math.max(5000, Math.round(15_000 * Math.min(1, opts.timeScale)));
  const approver = new Approver({
    ...env,
    interactive: opts.interactive,
    pauseMs,
    say: (l) => void (live.mode === 'lines' && say(l)),
  });
  const deadlineMs = t0 + 90_000 + Math.round(300_000 * opts.timeScale);
  const baselines = new Map<string, Baseline>();
  const policies = scenarios.map((s) => s.policy);
  let snap: DemoSnapshot | undefined;
  let results: ScenarioResult[] = [];
  let summarized = false;
  try {
    while (!w.stop.aborted) {
      const next = await observe(
        { kube: env.kube, namespace: DEMO_NAMESPACE, client: env.client, cluster: env.clusterName, policies },
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
      const decided = results.every((r) => r.status !== 'pending');
      if (decided && opts.watch) notes.push(WATCHING);
      live.show(snap, next, { title: 'KubeSkippy demo', startedMs: w.startedMs, results, notes });
      snap = next;
      if (decided && !summarized && opts.watch) {
        // Printed once decided, as without a terminal: on the normal screen, behind the view.
        live.print(`${summaryTable(results, live.columns)}\n${WATCHING}`);
        summarized = true;
      }
      if (decided && !opts.watch) break;
      await sleep(TICK_MS, undefined, { signal: w.stop }).catch(() => undefined);
    }
  } finally {
    live.close();
  }
  return { results, summarized, columns: live.columns };
}

const WATCHING = 'Every scenario is decided; still watching. Ctrl-C stops everything.';

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

  const stop = new AbortController();
  let stopAskedMs: number | undefined;
  const onSignal = (): void => {
    // A second Ctrl-C while stopping: leave now (the dev server child is killed on exit; the
    // next run clears whatever workflows were left running).
    if (stop.signal.aborted) process.exit(130);
    stopAskedMs = Date.now();
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watched = await watchScenarios({ opts, env, scenarios, skipped, startedMs, say, stop: stop.signal });
  const { results } = watched;
  if (stop.signal.aborted) progress('stopping (Ctrl-C)');
  if (!watched.summarized) say(summaryTable(results, watched.columns));
  say(lookAroundText(env, scenarios, { finished: true, watched: opts.watch }));
  const stopping = stopAskedMs ?? Date.now();
  await env.stop();
  progress(
    `stopped everything in ${((Date.now() - stopping) / 1000).toFixed(1)}s${stopAskedMs ? ' after Ctrl-C' : ''}`,
  );
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  const failed = results.filter((r) => r.status !== 'passed' && r.status !== 'skipped');
  for (const r of failed)
    say(
      r.status === 'pending'
        ? `kubeskippy demo: ${r.scenario.name} was not decided when the demo stopped (${r.scenario.expected})`
        : `kubeskippy demo: ${r.scenario.name} did not heal as expected (${r.scenario.expected})`,
    );
  return failed.length > 0 ? 1 : 0;
}
