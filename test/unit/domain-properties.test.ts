// Safety invariants of the planner over arbitrary histories: random pods, owners, usage, restarts,
// protections, times, outcomes and mode switches. Each property is checked against an independent
// model kept by the test (planned starts, reported outcomes), not against the planner's own state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActionPhase } from '../../crds/healing-action.js';
import type { PolicyMode } from '../../crds/healing-policy.js';
import { evaluatePolicy, type PlannedAction } from '../../domain/plan.js';
import type { NormalizedPolicy } from '../../domain/policy.js';
import { maxOpenAgeMs } from '../../domain/prune.js';
import type { PodSnapshot, WorkloadSnapshot } from '../../domain/snapshot.js';
import {
  initialState,
  pause,
  recordActionOutcome,
  resume,
  setModeOverride,
  type PolicyState,
} from '../../domain/state.js';
import {
  createdAt,
  inNamespace,
  labels,
  notReady,
  ownedBy,
  pod,
  policy,
  ref,
  snapshot,
  uid,
  waiting,
  withMemory,
  withRestarts,
  workload,
  workloadAnnotations,
  replicas,
  type PodMod,
} from '../fixtures/domain-builders.js';

const HOUR = 3_600_000;
const RUNS = 250;
const T0 = 1_000_000_000;
const OWNERS = ['d0', 'd1', 's0', 'none'] as const;

interface PoolPod {
  name: string;
  owner: (typeof OWNERS)[number];
  protectedLabel: boolean;
  critical: boolean;
  systemNamespace: boolean;
}

interface PodState {
  present: boolean;
  replaced: boolean;
  memory: 'none' | 'low' | 'high';
  newRestarts: number;
  crashLoop: boolean;
  ready: boolean;
  deleting: boolean;
}

interface Step {
  dtMs: number;
  pods: PodState[];
  outcomes: (ActionPhase | 'keep')[];
  modeOp:
    | { kind: 'none' }
    | { kind: 'override'; mode: PolicyMode | undefined }
    | { kind: 'pause' }
    | { kind: 'resume' };
}

const poolPod = (i: number) =>
  fc.record({
    name: fc.constant(`p${i}`),
    owner: fc.constantFrom(...OWNERS),
    protectedLabel: fc.boolean().map((b) => b && i % 3 === 0),
    critical: fc.boolean().map((b) => b && i % 2 === 1),
    systemNamespace: fc.boolean().map((b) => b && i === 4),
  });

const podState = fc.record<PodState>({
  present: fc.constantFrom(true, true, true, false),
  replaced: fc.constantFrom(false, false, false, false, true),
  memory: fc.constantFrom('none', 'low', 'high', 'high'),
  newRestarts: fc.constantFrom(0, 0, 1, 3),
  crashLoop: fc.constantFrom(false, false, true),
  ready: fc.constantFrom(true, true, false),
  deleting: fc.constantFrom(false, false, false, false, false, true),
});

const POOL = 6;
const step = fc.record<Step>({
  // Steps just short of the cooldowns (30s, 5m, 20m) and of the hour probe the boundaries.
  dtMs: fc.constantFrom(0, 1_000, 5_000, 29_000, 30_000, 120_000, 299_000, 600_000, 1_199_000, HOUR - 1_000),
  pods: fc.array(podState, { minLength: POOL, maxLength: POOL }),
  outcomes: fc.array(
    fc.constantFrom<ActionPhase | 'keep'>(
      'keep',
      'keep',
      'Succeeded',
      'Failed',
      'Failed',
      'Rejected',
      'Skipped',
      'DryRun',
      'Executing',
    ),
    {
      minLength: 4,
      maxLength: 4,
    },
  ),
  modeOp: fc.oneof(
    { weight: 14, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom<PolicyMode | undefined>('monitor', 'dryrun', 'automatic', 'manual', undefined)
        .map((mode) => ({ kind: 'override' as const, mode })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'resume' as const }) },
  ),
});

const policyParams = fc.record({
  mode: fc.constantFrom<PolicyMode>('automatic', 'automatic', 'dryrun', 'manual', 'monitor'),
  forWindow: fc.constantFrom('0s', '10s', '1m'),
  cooldown: fc.constantFrom('0s', '30s', '5m', '20m'),
  maxActionsPerHour: fc.constantFrom(0, 1, 2, 3, 5, 8),
  maxConcurrentActions: fc.integer({ min: 1, max: 3 }),
  minReadyReplicas: fc.constantFrom<number | string>(0, 1, 2, '50%'),
  maxConsecutiveFailures: fc.integer({ min: 1, max: 3 }),
  protectCritical: fc.boolean(),
  protectD1: fc.boolean(),
  actions: fc.subarray(['evict', 'scale', 'rollout', 'delete', 'patch'] as const, { minLength: 1 }),
});

type Params = typeof policyParams extends fc.Arbitrary<infer T> ? T : never;

function buildPolicy(p: Params): NormalizedPolicy {
  const ACTIONS = {
    evict: { name: 'evict', type: 'restart', priority: 100 },
    scale: {
      name: 'scale',
      type: 'scale',
      priority: 80,
      scaleAction: { direction: 'up', replicas: 1, maxReplicas: 8 },
    },
    rollout: { name: 'rollout', type: 'restart', priority: 60, restartAction: { strategy: 'rollout' } },
    delete: { name: 'delete', type: 'delete', priority: 40 },
    patch: {
      name: 'patch',
      type: 'patch',
      priority: 20,
      patchAction: { type: 'merge', patch: '{"spec":{}}' },
    },
  };
  return policy({
    mode: p.mode,
    selector: { namespaces: ['demo', 'kube-system'], labelSelector: { matchLabels: { app: 'web' } } },
    triggers: [
      {
        name: 'mem',
        type: 'metric',
        metricTrigger: { query: 'memory_usage_percent', threshold: 85, for: p.forWindow },
        cooldownPeriod: p.cooldown,
      },
      {
        name: 'restarts',
        type: 'metric',
        metricTrigger: { query: 'restart_count', threshold: 1, window: '5m' },
        cooldownPeriod: p.cooldown,
      },
      {
        name: 'crash',
        type: 'condition',
        conditionTrigger: { type: 'CrashLoopBackOff', for: p.forWindow },
        cooldownPeriod: p.cooldown,
      },
    ],
    actions: p.actions.map((a) => ACTIONS[a]),
    safetyRules: {
      maxActionsPerHour: p.maxActionsPerHour,
      maxConcurrentActions: p.maxConcurrentActions,
      minReadyReplicas: p.minReadyReplicas,
      maxConsecutiveFailures: p.maxConsecutiveFailures,
      holdDuration: '30m',
      protectedResources: p.protectCritical
        ? [{ kind: 'Pod', labelSelector: { matchLabels: { critical: 'true' } } }]
        : [],
    },
  });
}

/** The cluster the test generates; it knows by construction what is protected. */
class World {
  generation: number[] = Array(POOL).fill(0);
  restarts: number[] = Array(POOL).fill(0);
  constructor(
    readonly pool: PoolPod[],
    readonly params: Params,
  ) {}

  isProtected(podName: string): boolean {
    const p = this.pool.find((x) => x.name === podName);
    if (!p) return false;
    return (
      p.protectedLabel ||
      p.systemNamespace ||
      (p.critical && this.params.protectCritical) ||
      (p.owner === 'd1' && this.params.protectD1)
    );
  }

  /** Necessary conditions for each trigger to fire on a pod, from what the test generated. */
  breaches(podName: string, trigger: string, states: PodState[]): boolean {
    const i = this.pool.findIndex((x) => x.name === podName);
    const s = states[i];
    if (!s) return false;
    if (trigger === 'mem') return s.memory === 'high';
    if (trigger === 'crash') return s.crashLoop;
    return (this.restarts[i] ?? 0) >= 2; // more than 1 restart of this pod within the window
  }

  snapshotAt(nowMs: number, states: PodState[]) {
    const pods: PodSnapshot[] = [];
    states.forEach((s, i) => {
      const p = this.pool[i] as PoolPod;
      if (s.replaced) {
        this.generation[i] = (this.generation[i] ?? 0) + 1;
        this.restarts[i] = 0;
      }
      this.restarts[i] = (this.restarts[i] ?? 0) + s.newRestarts;
      if (!s.present) return;
      const mods: PodMod[] = [
        uid(`uid-${p.name}-${this.generation[i]}`),
        createdAt(s.replaced ? nowMs : -HOUR),
        withRestarts(this.restarts[i] ?? 0),
      ];
      if (s.memory !== 'none') mods.push(withMemory(s.memory === 'high' ? 0.95 : 0.3));
      if (s.crashLoop) mods.push(waiting('CrashLoopBackOff'));
      if (!s.ready) mods.push(notReady);
      if (s.deleting) mods.push((x) => (x.deleting = true));
      if (p.protectedLabel) mods.push(labels({ 'kubeskippy.io/protected': 'true' }));
      if (p.critical) mods.push(labels({ critical: 'true' }));
      if (p.owner === 'none') mods.push((x) => delete x.owner);
      else mods.push(ownedBy(p.owner.startsWith('s') ? 'StatefulSet' : 'Deployment', p.owner));
      if (p.systemNamespace) mods.push(inNamespace('kube-system'));
      pods.push(pod(p.name, ...mods));
    });
    const workloads: WorkloadSnapshot[] = [];
    for (const owner of ['d0', 'd1', 's0']) {
      const mine = pods.filter((x) => x.owner?.name === owner);
      if (mine.length === 0) continue;
      const kind = owner.startsWith('s') ? 'StatefulSet' : 'Deployment';
      const w = workload(
        owner,
        replicas(mine.length, mine.filter((x) => x.ready).length),
        (x) => (x.ref = ref(kind, owner)),
      );
      if (owner === 'd1' && this.params.protectD1)
        workloadAnnotations({ 'kubeskippy.io/protected': 'true' })(w);
      workloads.push(w);
    }
    // Pods of a system-namespace owner keep their owner ref in kube-system: add those workloads too.
    for (const p of pods.filter((x) => x.ref.namespace === 'kube-system' && x.owner)) {
      workloads.push(
        workload(p.owner?.name ?? '', replicas(1, p.ready ? 1 : 0), (x) => (x.ref = p.owner as typeof x.ref)),
      );
    }
    return snapshot(nowMs, pods, { workloads });
  }
}

/** Only null, booleans, finite numbers, strings, arrays and plain objects without undefined values. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value as object).every((v) => v !== undefined && isPlainJson(v));
}

/** A plain assertion: vitest's expect is too slow to call thousands of times per property run. */
function check(ok: boolean, message: () => string): void {
  if (!ok) throw new Error(message());
}

interface ModelOpen {
  action: PlannedAction;
}

function checkHistory(params: Params, pool: PoolPod[], steps: Step[]): void {
  const p = buildPolicy(params);
  const world = new World(pool, params);
  let state: PolicyState = initialState();
  let now = T0;
  const starts: number[] = [];
  const lastStart: Record<string, number> = {};
  let open: ModelOpen[] = [];
  const cooldownOf = (trigger: string) => p.triggers.find((t) => t.name === trigger)?.cooldownMs ?? 0;
  const maxAge = maxOpenAgeMs(p);
  for (const s of steps) {
    now += s.dtMs;
    if (s.modeOp.kind === 'override') state = setModeOverride(state, s.modeOp.mode);
    if (s.modeOp.kind === 'pause') state = pause(state);
    if (s.modeOp.kind === 'resume') state = resume(state);
    const before = JSON.stringify(state);
    const snap = world.snapshotAt(now, s.pods);
    const result = evaluatePolicy({ policy: p, snapshot: snap, state, nowMs: now });
    check(JSON.stringify(state) === before, () => 'evaluatePolicy mutated its input state');
    const mode = state.modeOverride ?? p.mode;
    check(result.mode === mode, () => `mode ${result.mode}, expected ${mode}`);
    open = open.filter((o) => now - o.action.startedMs <= maxAge); // the planner forgets lost actions too
    check(
      !(mode === 'monitor' || state.paused) || result.planned.length === 0,
      () => `planned while ${mode}/paused`,
    );
    for (const a of result.planned) {
      // (b) never a protected target, nor a target reached through a protected pod or owner
      check(
        !world.isProtected(a.firingPod.name),
        () => `planned on protected ${a.firingPod.name}: ${a.workflowId}`,
      );
      // per target: the pod the action answers is one that itself breaches (never a bystander)
      check(
        world.breaches(a.firingPod.name, a.trigger.name, s.pods),
        () => `${a.workflowId}: ${a.firingPod.name} is fine`,
      );
      // (c) one open action per resolved target
      check(
        !open.some((o) => o.action.targetKey === a.targetKey),
        () => `second open action on ${a.targetKey}`,
      );
      // (e) cooldown per (trigger, resolved target)
      const key = `${a.trigger.name}|${a.targetKey}`;
      const since = now - (lastStart[key] ?? -Infinity);
      check(since >= cooldownOf(a.trigger.name), () => `${key} started again after ${since} ms`);
      lastStart[key] = now;
      check(a.dryRun === (mode === 'dryrun'), () => `dryRun ${a.dryRun} in mode ${mode}`);
      check(mode !== 'manual' || a.requiresApproval, () => 'manual mode without approval');
      starts.push(now);
      open.push({ action: a });
    }
    // (a) budget: the hour ending at this evaluation (starts only happen at evaluations, so every
    // sliding hour that could hold the most starts ends at one of them)
    const inHour = starts.filter((u) => u > now - HOUR).length;
    check(inHour <= params.maxActionsPerHour, () => `${inHour} starts in the hour before ${now}`);
    // (d) concurrency
    check(open.length <= params.maxConcurrentActions, () => `${open.length} open actions`);
    // (f) plain JSON, bounded
    state = result.state;
    check(isPlainJson(state), () => `state is not plain JSON: ${JSON.stringify(state)}`);
    check(state.starts.length <= params.maxActionsPerHour, () => `${state.starts.length} starts kept`);
    check(Object.keys(state.windows).length <= p.triggers.length * POOL, () => 'too many windows');
    check(JSON.stringify(state).length < 20_000, () => `state grew to ${JSON.stringify(state).length} chars`);
    // report outcomes for some open actions (duplicates and non-terminal phases included)
    s.outcomes.forEach((outcome, i) => {
      const o = open[i % Math.max(open.length, 1)];
      if (!o || outcome === 'keep') return;
      state = recordActionOutcome(state, { workflowId: o.action.workflowId, outcome, nowMs: now, policy: p });
      if (outcome !== 'Executing') open = open.filter((x) => x !== o);
    });
    const stateOpen = Object.keys(state.open).sort().join();
    check(
      stateOpen ===
        open
          .map((o) => o.action.targetKey)
          .sort()
          .join(),
      () => `open: state ${stateOpen}`,
    );
  }
  // After a long quiet time with every action closed, the state shrinks back to almost nothing.
  for (const o of open)
    state = recordActionOutcome(state, {
      workflowId: o.action.workflowId,
      outcome: 'Succeeded',
      nowMs: now,
      policy: p,
    });
  const quiet = evaluatePolicy({
    policy: p,
    snapshot: snapshot(now + 2 * 24 * HOUR, []),
    state,
    nowMs: now + 2 * 24 * HOUR,
  }).state;
  expect({
    ...quiet,
    counters: undefined,
    // Success counts are kept on purpose (bounded by MAX_LEARNED_SUBJECTS), like the counters.
    learning: undefined,
    seq: 0,
    lastEvaluatedMs: 0,
    paused: false,
    modeOverride: undefined,
  }).toEqual({
    ...initialState(),
    counters: undefined,
    learning: undefined,
    seq: 0,
    lastEvaluatedMs: 0,
    modeOverride: undefined,
  });
}

describe('planner safety invariants over arbitrary histories', () => {
  it('budget, protection, one action per target, concurrency, cooldown, plain bounded state', () => {
    const pool = fc.tuple(...Array.from({ length: POOL }, (_, i) => poolPod(i)));
    fc.assert(
      fc.property(
        policyParams,
        pool,
        fc.array(step, { minLength: 5, maxLength: 16 }),
        (params, poolPods, steps) => {
          checkHistory(params, poolPods, steps);
        },
      ),
      { numRuns: RUNS },
    );
  }, 60_000);
});
