// P5: a burst. N targets of one policy go bad at once; from the first HealingAction's creation to
// the last one Succeeded. Goal: ≥ 20 actions/s through the dev server.
import { log, round, sleep, waitUntil } from './figures.js';
import {
  crashLoopTrigger,
  deletePod,
  fastVerification,
  healingPolicy,
  makeCrashLoop,
  startBenchEngine,
  watchTimes,
} from './engine.js';
import { createNamespace, deployment, readyPods, waitReady } from './sim-pods.js';

const NS = 'p5';

export interface P5Figures {
  actionsPerS: number | undefined;
  succeeded: number;
  firstActionToAllSucceededS: number | undefined;
}

export async function benchP5(targets: number): Promise<P5Figures> {
  const engine = await startBenchEngine();
  try {
    createNamespace(engine.sim.store, NS);
    engine.apply([deployment(NS, 'burst', targets)]);
    await waitReady(engine.sim.store, NS, targets, 120_000);
    engine.apply([
      healingPolicy(NS, 'burst', 'burst', {
        evaluationInterval: '5s',
        triggers: [crashLoopTrigger],
        actions: [deletePod],
        verification: fastVerification,
        safetyRules: { maxActionsPerHour: 1000, maxConcurrentActions: targets, minReadyReplicas: 0 },
      }),
    ]);
    await sleep(2_000);
    const times = watchTimes(engine.sim, NS);
    const victims = readyPods(engine.sim.store, NS).map((p) => p.metadata.name!);
    for (const v of victims) makeCrashLoop(engine.sim, NS, v);
    await waitUntil(() => times.succeeded.size >= victims.length, 300_000, 250);
    times.stop();
    const first = Math.min(...times.created.values());
    const last = Math.max(...times.succeeded.values());
    const spanS = times.succeeded.size > 0 ? (last - first) / 1000 : undefined;
    const r = {
      actionsPerS: spanS ? round(times.succeeded.size / spanS, 2) : undefined,
      succeeded: times.succeeded.size,
      firstActionToAllSucceededS: round(spanS, 1),
    };
    log(
      `P5 burst of ${victims.length} targets (one policy): ${r.succeeded} Succeeded ${r.firstActionToAllSucceededS} s ` +
        `after the first HealingAction → ${r.actionsPerS} actions/s (goal ≥ 20)`,
    );
    return r;
  } finally {
    await engine.stop();
  }
}
