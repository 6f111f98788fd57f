// `npm run bench`: speed and size figures, printed, never asserted (machines here are shared and
// noisy). BENCH_QUICK=1 for a small run of a few minutes; BENCH_ONLY=p2,p3 for some sections;
// sizes in bench/options.ts. The last line is `BENCH {json}` with the figures by name, so runs can
// be compared (issue 12 names them).
import { benchDomainScaling, benchP2 } from './domain.js';
import { log } from './figures.js';
import { benchOptions, wanted } from './options.js';
import { benchP1 } from './p1-detect.js';
import { benchP3 } from './p3-history.js';
import { runP4InChild } from './p4-child.js';
import { benchP5 } from './p5-burst.js';
import { benchCollect, benchSimPodsReady } from './sim-scale.js';

const opts = benchOptions();
const figures: Record<string, unknown> = {};
log(`bench ${opts.quick ? '(quick)' : '(full)'} on ${process.version}`);

async function section(name: string, fn: () => Promise<void> | void): Promise<void> {
  if (!wanted(opts, name)) return;
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
await section('p1', async () => {
  const r = await benchP1(opts.p1Pods, opts.p1SpreadMs);
  figures['p1_detect_to_action_ms'] = { p50: r.p50, p95: r.p95, max: r.max, samples: r.samples };
});
await section('p5', async () => {
  const r = await benchP5(opts.p5Targets);
  figures['p5_actions_per_s'] = r.actionsPerS;
  figures['p5_targets'] = r.succeeded;
});
await section('p4', async () => {
  const req: Record<string, number> = {};
  const rss: Record<string, number> = {};
  const lag: Record<string, number | undefined> = {};
  for (const n of opts.p4Policies) {
    const r = await runP4InChild(n, opts.p4MeasureMs);
    req[n] = r.requestsPerMin;
    rss[n] = r.rssMb;
    lag[n] = r.lagP99Ms;
    figures['p4_api_requests_per_min'] = req;
    figures['p4_rss_mb'] = rss;
    figures['p4_lag_p99_ms'] = lag;
  }
});

console.log(`BENCH ${JSON.stringify(figures)}`);
// The Temporal native runtime keeps the event loop alive after the last worker stops.
process.exit(0);
