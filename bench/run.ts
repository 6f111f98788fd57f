// `npm run bench`: speed and size figures, printed, never asserted (machines here are shared and
// noisy). BENCH_QUICK=1 for a small run of a few minutes; BENCH_ONLY=p2,p3 for some sections;
// sizes in bench/options.ts. The last line is `BENCH {json}` with the figures by name, so runs can
// be compared (issue 12 names them). BENCH_CLUSTER=real runs P1 and P4 against the real local
// control plane instead of the sim (figures `p1_real_*`, `p4_real_*`), BENCH_CLUSTER=both runs
// them on both in one run (bench/real-cluster.ts).
import { benchDomainScaling, benchP2 } from './domain.js';
import { log } from './figures.js';
import { benchOptions, wanted } from './options.js';
import { benchP1 } from './p1-detect.js';
import { benchP3 } from './p3-history.js';
import { runP4InChild } from './p4-child.js';
import { benchP1Real } from './p1-real.js';
import { benchP5 } from './p5-burst.js';
import { benchP6 } from './p6-workers.js';
import { benchCluster, nodesFor, startRealCluster, type RealCluster } from './real-cluster.js';
import { benchCollect, benchSimPodsReady } from './sim-scale.js';

const opts = benchOptions();
const figures: Record<string, unknown> = {};
const on = benchCluster();
log(
  `bench ${opts.quick ? '(quick)' : '(full)'} on ${process.version}${on === 'sim' ? '' : `, P1/P4 on ${on}`}`,
);
let real: Promise<RealCluster> | undefined;
// Nodes for the largest P4 size (10 pods per policy) plus P1's pods (a reused cluster is as it is).
const realPods = Math.max(0, ...opts.p4Policies) * 10 + opts.p1Pods;
const realCluster = (): Promise<RealCluster> => (real ??= startRealCluster(nodesFor(realPods)));
// Ctrl-C stops the control plane we started (its processes are children of no one else).
process.once(
  'SIGINT',
  () => void (real ?? Promise.resolve(undefined)).then((c) => c?.stop()).finally(() => process.exit(130)),
);

async function section(name: string, fn: () => Promise<void> | void): Promise<void> {
  if (!wanted(opts, name.replace(/_real$/, ''))) return; // BENCH_ONLY=p1 runs p1_real too
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    // One section failing (a dev server that would not start, say) leaves the others' figures.
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    figures[`${name}_error`] = (err as Error).message;
  }
  log(`  (${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

await section('domain', () => benchDomainScaling());
await section('p2', () => {
  const r = benchP2(opts.p2Pods, opts.p2Triggers, opts.p2Ticks);
  figures['p2_evaluate_us_per_pod'] = r.usPerPod;
  figures['p2_ms_per_tick'] = r.msPerTick;
});
await section('sim', async () => {
  figures['sim_pods_ready_s'] = { [opts.simPods]: await benchSimPodsReady(opts.simPods) };
});
await section('collect', () => benchCollect());
await section('p3', async () => {
  const r = await benchP3(opts.p3Ticks);
  figures['p3_events_per_idle_tick'] = r.eventsPerTick;
  figures['p3_history_bytes_per_idle_tick'] = r.bytesPerTick;
  figures['p3_history_after_ticks'] = r.historyAfterTicks;
});
if (on !== 'real')
  await section('p1', async () => {
    const r = await benchP1(opts.p1Pods, opts.p1SpreadMs);
    figures['p1_detect_to_action_ms'] = { p50: r.p50, p95: r.p95, max: r.max, samples: r.samples };
  });
if (on !== 'sim')
  await section('p1_real', async () => {
    const r = await benchP1Real(await realCluster(), opts.p1Pods, opts.p1SpreadMs);
    figures['p1_real_detect_to_action_ms'] = { p50: r.p50, p95: r.p95, max: r.max, samples: r.samples };
  });
await section('p5', async () => {
  const r = await benchP5(opts.p5Targets);
  figures['p5_actions_per_s'] = r.actionsPerS;
  figures['p5_targets'] = r.succeeded;
});
/** Every P4 size in a child process of its own; figures under `p4_` or `p4_real_`. */
async function p4(where: 'sim' | 'real'): Promise<void> {
  const key = where === 'sim' ? 'p4' : 'p4_real';
  const req: Record<string, number> = {};
  const rss: Record<string, number> = {};
  const lag: Record<string, number | undefined> = {};
  if (where === 'real') await realCluster(); // started here, shared by the children
  for (const n of opts.p4Policies) {
    const r = await runP4InChild(n, opts.p4MeasureMs, where);
    req[n] = r.requestsPerMin;
    rss[n] = r.rssMb;
    lag[n] = r.lagP99Ms;
    figures[`${key}_api_requests_per_min`] = req;
    figures[`${key}_rss_mb`] = rss;
    figures[`${key}_lag_p99_ms`] = lag;
  }
}
if (on !== 'real') await section('p4', () => p4('sim'));
if (on !== 'sim') await section('p4_real', () => p4('real'));

await section('p6', async () => {
  const { p6Policies: policies, p6Workers: workerCounts, p6MeasureMs: measureMs, p6Targets: targets } = opts;
  const runs = await benchP6({ policies, workerCounts, measureMs, targets });
  const by = <K extends keyof (typeof runs)[number]>(k: K): Record<number, (typeof runs)[number][K]> =>
    Object.fromEntries(runs.map((r) => [r.workers, r[k]]));
  figures['p6_policies'] = policies;
  figures['p6_actions_per_s'] = by('actionsPerS');
  figures['p6_lag_p50_ms'] = by('lagP50Ms');
  figures['p6_lag_p99_ms'] = by('lagP99Ms');
  figures['p6_duplicates'] = by('duplicates');
  figures['p6_missing'] = by('missing');
  figures['p6_spread'] = by('spread');
  figures['p6_cpu_cores'] = by('cpu');
  figures['p6_worker_rss_mb'] = by('workerRssMb');
});

if (real) await (await real.catch(() => undefined))?.stop();
console.log(`BENCH ${JSON.stringify(figures)}`);
// The Temporal native runtime keeps the event loop alive after the last worker stops.
process.exit(0);
