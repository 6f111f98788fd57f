// P3: what an idle tick costs in Temporal history. One policy with nothing to do (a CrashLoopBackOff
// trigger over 10 healthy pods) at a short interval, through the real operator and dev server;
// history fetched with the client. Goal: ≤ 1 activity + 1 timer per idle tick, and a history
// bounded by continue-as-new however many ticks have run.
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { policyWorkflowId } from '../domain/ids.js';
import { log, round, sleep, waitUntil } from './figures.js';
import { crashLoopTrigger, deletePod, healingPolicy, startBenchEngine } from './engine.js';
import { createNamespace, deployment, waitReady } from './sim-pods.js';

const NS = 'p3';
// The shortest interval a policy may have; the dev server fires timers about once a second anyway.
const INTERVAL = '1s';

interface RunHistory {
  runId: string;
  events: number;
  bytes: number;
  ticks: number;
}

async function history(client: Client, workflowId: string, runId?: string): Promise<RunHistory> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const desc = await handle.describe();
  const h = await client.workflow.getHandle(workflowId, desc.runId).fetchHistory();
  const ticks = (h.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'collectSnapshot',
  ).length;
  const bytes = proto.temporal.api.history.v1.History.encode(h).finish().length;
  return { runId: desc.runId, events: h.events?.length ?? 0, bytes, ticks };
}

export interface P3Figures {
  eventsPerTick: number | undefined;
  bytesPerTick: number | undefined;
  historyAfterTicks: { ticks: number; events: number; bytes: number; runs: number; maxEvents: number };
}

export async function benchP3(totalTicks: number): Promise<P3Figures> {
  const engine = await startBenchEngine();
  try {
    createNamespace(engine.sim.store, NS);
    engine.apply([deployment(NS, 'idle', 10)]);
    await waitReady(engine.sim.store, NS, 10, 60_000);
    engine.apply([
      healingPolicy(NS, 'idle', 'idle', {
        evaluationInterval: INTERVAL,
        triggers: [crashLoopTrigger],
        actions: [deletePod],
      }),
    ]);
    const id = policyWorkflowId(engine.config.clusterName, NS, 'idle');
    const first = await waitUntil(
      () =>
        history(engine.client, id).then(
          (h) => (h.ticks >= 20 ? h : undefined),
          () => undefined,
        ),
      120_000,
      500,
    );
    if (!first) throw new Error('the idle policy never ticked 20 times');
    // Twenty more ticks of the same run (the dev server fires timers about once a second).
    const second =
      (await waitUntil(
        () => history(engine.client, id).then((h) => (h.ticks >= first.ticks + 20 ? h : undefined)),
        120_000,
        1_000,
      )) ?? (await history(engine.client, id));
    const sameRun = second.runId === first.runId && second.ticks > first.ticks;
    const dTicks = second.ticks - first.ticks;
    const eventsPerTick = sameRun ? (second.events - first.events) / dTicks : undefined;
    const bytesPerTick = sameRun ? (second.bytes - first.bytes) / dTicks : undefined;
    log(
      `P3 idle tick (interval ${INTERVAL}, 10 pods): ${eventsPerTick?.toFixed(1)} history events and ` +
        `${bytesPerTick?.toFixed(0)} bytes per tick (over ${dTicks} ticks of one run)`,
    );
    const after = await runTicks(engine.client, id, totalTicks);
    log(
      `P3 after ${after.ticks} ticks: ${after.runs} run(s) (continue-as-new), current history ` +
        `${after.events} events / ${after.bytes} bytes, largest run ${after.maxEvents} events`,
    );
    return {
      eventsPerTick: round(eventsPerTick, 2),
      bytesPerTick: round(bytesPerTick, 0),
      historyAfterTicks: after,
    };
  } finally {
    await engine.stop();
  }
}

/** Polls until `total` ticks have run across runs; counts runs and the largest history seen. */
async function runTicks(client: Client, id: string, total: number): Promise<P3Figures['historyAfterTicks']> {
  const done = new Map<string, number>(); // runId → ticks, for runs that continued as new
  let current = await history(client, id);
  let maxEvents = current.events;
  const deadline = Date.now() + Math.max(300_000, total * 1_000);
  while ([...done.values()].reduce((a, b) => a + b, 0) + current.ticks < total && Date.now() < deadline) {
    await sleep(3_000);
    const next = await history(client, id);
    if (next.runId !== current.runId) {
      // The previous run's final tick count (its history is complete now).
      const ended = await history(client, id, current.runId);
      done.set(current.runId, ended.ticks);
      maxEvents = Math.max(maxEvents, ended.events);
    }
    current = next;
    maxEvents = Math.max(maxEvents, current.events);
  }
  const ticks = [...done.values()].reduce((a, b) => a + b, 0) + current.ticks;
  return { ticks, events: current.events, bytes: current.bytes, runs: done.size + 1, maxEvents };
}
