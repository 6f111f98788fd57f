// P1: detection to action. A CrashLoopBackOff condition trigger with no window at the default
// 30 s interval; pods go bad at random moments; from the pod's first CrashLoopBackOff status (the
// store commit) to the HealingAction's creation. Goal: p50 ≤ 1 s, p95 ≤ 2 s.
import { log, percentile, round, sleep, waitUntil } from './figures.js';
import { detectPolicy, makeCrashLoop, startBenchEngine, watchTimes } from './engine.js';
import { createNamespace, deployment, readyPods, waitReady } from './sim-pods.js';

const NS = 'p1';

export interface P1Figures {
  p50: number | undefined;
  p95: number | undefined;
  max: number | undefined;
  samples: number;
  missed: number;
}

export async function benchP1(podCount: number, spreadMs: number): Promise<P1Figures> {
  const engine = await startBenchEngine();
  try {
    createNamespace(engine.sim.store, NS);
    engine.apply([deployment(NS, 'web', podCount)]);
    await waitReady(engine.sim.store, NS, podCount, 120_000);
    engine.apply([detectPolicy(NS, podCount)]);
    await sleep(2_000); // the controller starts the policy workflow
    const times = watchTimes(engine.sim, NS);
    const victims = readyPods(engine.sim.store, NS).map((p) => p.metadata.name!);
    const timers = victims.map((name) =>
      setTimeout(() => makeCrashLoop(engine.sim, NS, name), Math.random() * spreadMs),
    );
    await sleep(spreadMs);
    // Every pod that reached CrashLoopBackOff gets its action within two intervals, or it is missed.
    await waitUntil(() => victims.every((v) => times.created.has(v)), 75_000, 500);
    timers.forEach(clearTimeout);
    times.stop();
    const delays = victims
      .filter((v) => times.backOff.has(v) && times.created.has(v))
      .map((v) => times.created.get(v)! - times.backOff.get(v)!);
    const r = {
      p50: round(percentile(delays, 50), 0),
      p95: round(percentile(delays, 95), 0),
      max: round(percentile(delays, 100), 0),
      samples: delays.length,
      missed: victims.length - delays.length,
    };
    log(
      `P1 detect → action (CrashLoopBackOff, 30 s interval, ${victims.length} pods bad at random over ` +
        `${spreadMs / 1000} s): p50 ${r.p50} ms, p95 ${r.p95} ms, max ${r.max} ms (${r.samples} samples, ${r.missed} missed)`,
    );
    return r;
  } finally {
    await engine.stop();
  }
}
