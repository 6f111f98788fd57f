// The pure domain, no I/O: evaluatePolicy over synthetic snapshots. Per-pod cost should stay flat
// as pods grow, and the state carried through continue-as-new should stay bounded.
import { performance } from 'node:perf_hooks';
import { evaluatePolicy } from '../domain/plan.js';
import { initialState, type PolicyState } from '../domain/state.js';
import type { ClusterSnapshot } from '../domain/snapshot.js';
import type { NormalizedPolicy } from '../domain/policy.js';
import {
  policy,
  pod,
  snapshot,
  waiting,
  withMemory,
  withRestarts,
} from '../test/fixtures/domain-builders.js';
import { log, round } from './figures.js';

const TWO_TRIGGERS = [
  {
    name: 'high-memory',
    type: 'metric',
    metricTrigger: { query: 'memory_usage_percent', threshold: 85, for: '30s' },
  },
  { name: 'restarts', type: 'metric', metricTrigger: { query: 'restart_count', threshold: 3, window: '5m' } },
];

// Ten triggers of every kind the domain evaluates per pod: metrics (with for/window), pod
// conditions, container states and an event count.
const TEN_TRIGGERS = [
  ...TWO_TRIGGERS,
  { name: 'cpu', type: 'metric', metricTrigger: { query: 'cpu_usage_percent', threshold: 90, for: '1m' } },
  {
    name: 'mem-bytes',
    type: 'metric',
    metricTrigger: { query: 'memory_usage_bytes', operator: '>', threshold: 2e9 },
  },
  {
    name: 'cpu-m',
    type: 'metric',
    metricTrigger: { query: 'cpu_usage_millicores', operator: '>', threshold: 950 },
  },
  { name: 'crashloop', type: 'condition', conditionTrigger: { type: 'CrashLoopBackOff' } },
  { name: 'oom', type: 'condition', conditionTrigger: { type: 'OOMKilled' } },
  { name: 'not-ready', type: 'condition', conditionTrigger: { type: 'Ready', status: 'False', for: '2m' } },
  { name: 'pull', type: 'condition', conditionTrigger: { type: 'ImagePullBackOff' } },
  { name: 'backoff-events', type: 'event', eventTrigger: { reason: 'BackOff', count: 5, window: '5m' } },
];

function pods(n: number, t: number): ClusterSnapshot {
  // A tenth of the pods leak and crash, a hundredth sit in CrashLoopBackOff, the rest are healthy.
  return snapshot(
    t,
    Array.from({ length: n }, (_, i) =>
      pod(
        `web-${i}`,
        withMemory(i % 10 === 0 ? 0.9 : 0.2 + (t % 7) / 100),
        withRestarts(i % 10 === 0 ? Math.floor(t / 30_000) : 0),
        ...(i % 100 === 0 ? [waiting('CrashLoopBackOff')] : []),
      ),
    ),
  );
}

interface EvalFigures {
  perPodUs: number;
  perTickMs: number;
  stateBytes: number;
}

function benchEvaluate(p: NormalizedPolicy, n: number, ticks: number): EvalFigures {
  let state: PolicyState = initialState();
  const snaps = Array.from({ length: ticks }, (_, k) => pods(n, k * 30_000));
  const start = performance.now();
  for (let k = 0; k < ticks; k++)
    state = evaluatePolicy({ policy: p, snapshot: snaps[k]!, state, nowMs: k * 30_000 }).state;
  const ms = performance.now() - start;
  return {
    perPodUs: (ms * 1000) / (n * ticks),
    perTickMs: ms / ticks,
    stateBytes: JSON.stringify(state).length,
  };
}

export function benchDomainScaling(): void {
  log('evaluatePolicy (pure domain, 2 triggers): per-pod cost should stay flat as pods grow');
  const p = policy({ triggers: TWO_TRIGGERS, safetyRules: { maxActionsPerHour: 5 } });
  const base = benchEvaluate(p, 10, 200);
  for (const n of [10, 100, 1000]) {
    const r = n === 10 ? base : benchEvaluate(p, n, n >= 1000 ? 40 : 200);
    log(
      `  ${String(n).padStart(5)} pods: ${r.perTickMs.toFixed(3)} ms/evaluation, ${r.perPodUs.toFixed(2)} µs/pod ` +
        `(×${(r.perPodUs / base.perPodUs).toFixed(2)} of 10 pods), state ${r.stateBytes} bytes`,
    );
  }
}

/** P2: the real normalizePolicy + evaluatePolicy, `pods` pods × ten triggers. Goal: a tick ≤ 50 ms. */
export function benchP2(
  podCount: number,
  triggerCount: number,
  ticks: number,
): { usPerPod: number; msPerTick: number } {
  const triggers = TEN_TRIGGERS.slice(0, triggerCount);
  const p = policy({ triggers, safetyRules: { maxActionsPerHour: 5, maxConcurrentActions: 3 } });
  benchEvaluate(p, Math.min(podCount, 1000), 3); // warm-up (JIT)
  const r = benchEvaluate(p, podCount, ticks);
  log(
    `P2 evaluatePolicy, ${podCount} pods × ${triggers.length} triggers: ${r.perTickMs.toFixed(1)} ms/tick, ` +
      `${r.perPodUs.toFixed(2)} µs/pod, state ${r.stateBytes} bytes (goal: ≤ 50 ms/tick)`,
  );
  return { usPerPod: round(r.perPodUs, 2)!, msPerTick: round(r.perTickMs, 1)! };
}
