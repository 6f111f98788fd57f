// The cluster's ledger (domain/cluster-budget.ts) and what a policy does with its answer
// (domain/cluster-gate.ts): each bound refuses naming itself, admission is idempotent by workflow
// id, a refused action is withdrawn from the policy's state and starts at a later evaluation, and —
// the property — across random fires of several policies, config edits, outcomes and restarts
// (the ledger through JSON, as continue-as-new carries it), the budget is never exceeded and a
// suspended cluster starts no action. The model the property checks against is the test's own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admitActions,
  clusterView,
  emptyLedger,
  OPEN_CLUSTER,
  releaseAction,
  RUNNING_EXPIRY_MS,
  type AdmitVerdict,
  type ClusterLedger,
  type ClusterSettings,
} from '../../domain/cluster-budget.js';
import { withdrawRefused } from '../../domain/cluster-gate.js';
import { evaluatePolicy } from '../../domain/plan.js';
import { initialState, recordActionOutcome, type PolicyState } from '../../domain/state.js';
import { inNamespace, pod, policy, snapshot, withMemory } from '../fixtures/domain-builders.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const settings = (s: Partial<ClusterSettings> = {}): ClusterSettings => ({ ...OPEN_CLUSTER, ...s });
const req = (id: string, namespace = 'a') => ({ workflowId: id, namespace });

describe('admitActions', () => {
  const cases: {
    name: string;
    settings: ClusterSettings;
    before: string[];
    reason?: string;
    words?: string;
  }[] = [
    { name: 'open cluster', settings: settings(), before: ['x', 'y', 'z'] },
    {
      name: 'suspended, with the reason',
      settings: settings({ suspended: true, reason: 'upgrade' }),
      before: [],
      reason: 'Suspended',
      words: 'the cluster is suspended (KubeSkippyConfig cluster spec.suspended): upgrade',
    },
    {
      name: 'maxConcurrentActions',
      settings: settings({ budget: { maxConcurrentActions: 2 } }),
      before: ['x', 'y'],
      reason: 'ClusterBudget',
      words: '2 of 2 actions running (clusterBudget.maxConcurrentActions)',
    },
    {
      name: 'maxPerNamespace',
      settings: settings({ budget: { maxPerNamespace: 1 } }),
      before: ['x'],
      reason: 'ClusterBudget',
      words: '1 of 1 actions running in namespace a (clusterBudget.maxPerNamespace)',
    },
    {
      name: 'maxActionsPerHour',
      settings: settings({ budget: { maxActionsPerHour: 2 } }),
      before: ['x', 'y'],
      reason: 'ClusterBudget',
      words: '2 of 2 actions started in the last hour (clusterBudget.maxActionsPerHour)',
    },
  ];
  it.each(cases)('$name', (c) => {
    // The earlier actions ran and ended (released) for the hourly bound, and still run otherwise.
    let ledger = admitActions(
      emptyLedger(),
      OPEN_CLUSTER,
      c.before.map((id) => req(id)),
      T0,
    ).ledger;
    if (c.name === 'maxActionsPerHour') for (const id of c.before) ledger = releaseAction(ledger, id);
    const { verdicts } = admitActions(ledger, c.settings, [req('new')], T0 + 1000);
    const v = verdicts.new!;
    if (!c.reason) return void expect(v).toEqual({ ok: true });
    expect(v).toMatchObject({ ok: false, reason: c.reason });
    expect((v as { message: string }).message).toContain(c.words);
  });

  it('is idempotent by workflow id, and counts each request of one batch for the next', () => {
    const s = settings({ budget: { maxConcurrentActions: 2 } });
    const first = admitActions(emptyLedger(), s, [req('a1'), req('a2'), req('a3')], T0);
    expect(Object.values(first.verdicts).map((v) => v.ok)).toEqual([true, true, false]);
    const again = admitActions(first.ledger, s, [req('a1'), req('a2')], T0 + 1);
    expect(Object.values(again.verdicts).every((v) => v.ok)).toBe(true);
    expect(clusterView(again.ledger, s, T0 + 1)).toMatchObject({
      runningActions: 2,
      actionsInLastHour: 2,
      admitted: 2,
    });
  });

  it('frees a slot on release; the hour slides; a slot never released expires', () => {
    const s = settings({ budget: { maxConcurrentActions: 1, maxActionsPerHour: 2 } });
    let ledger: ClusterLedger = admitActions(emptyLedger(), s, [req('a')], T0).ledger;
    expect(admitActions(ledger, s, [req('b')], T0).verdicts.b!.ok).toBe(false);
    ledger = releaseAction(ledger, 'a');
    ledger = admitActions(ledger, s, [req('b')], T0 + 1).ledger;
    ledger = releaseAction(ledger, 'b');
    expect(admitActions(ledger, s, [req('c')], T0 + 2).verdicts.c).toMatchObject({ reason: 'ClusterBudget' });
    expect(admitActions(ledger, s, [req('c')], T0 + HOUR + 2).verdicts.c!.ok).toBe(true);
    const stuck = admitActions(emptyLedger(), s, [req('lost')], T0).ledger;
    expect(admitActions(stuck, s, [req('next')], T0 + RUNNING_EXPIRY_MS + 1).verdicts.next!.ok).toBe(true);
  });
});

describe('withdrawRefused (through the real planner)', () => {
  const p = policy({ safetyRules: { minReadyReplicas: 0 } });
  const snap = (now: number) => snapshot(now, [pod('web-1', withMemory(0.95)), pod('web-2')]);

  it('a refused action leaves no trace in the policy state but the refusal, and starts once admitted', () => {
    const before = initialState();
    const r = evaluatePolicy({ policy: p, snapshot: snap(T0), state: before, nowMs: T0 });
    expect(r.planned).toHaveLength(1);
    const planned = r.planned[0]!;
    const verdicts: Record<string, AdmitVerdict> = {
      [planned.workflowId]: { ok: false, reason: 'Suspended', message: 'the cluster is suspended' },
    };
    const w = withdrawRefused({ before, state: r.state, planned: r.planned, verdicts });
    expect(w.planned).toEqual([]);
    expect(w.refusals).toEqual([
      expect.objectContaining({
        reason: 'Suspended',
        action: planned.action.name,
        actionTargetKey: planned.targetKey,
      }),
    ]);
    expect(w.state.open).toEqual({});
    expect(w.state.starts).toEqual([]);
    expect(w.state.cooldowns).toEqual(before.cooldowns);
    expect(w.state.counters).toMatchObject({ actionsStarted: 0, refusals: { Suspended: 1 } });
    const next = evaluatePolicy({ policy: p, snapshot: snap(T0 + 1000), state: w.state, nowMs: T0 + 1000 });
    expect(next.planned).toHaveLength(1);
  });
});

// ── the property ───────────────────────────────────────────────────────────────────────────────

const NAMESPACES = ['a', 'b'];
const POLICIES = [0, 1, 2].map((i) => ({
  i,
  namespace: NAMESPACES[i % 2]!,
  policy: policy(
    { safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1000, maxConcurrentActions: 1000 } },
    { namespace: NAMESPACES[i % 2]!, name: `p${i}` },
  ),
}));

type Op =
  | { kind: 'fire'; policy: number; pods: number; dtMs: number }
  | { kind: 'edit'; settings: ClusterSettings }
  | { kind: 'finish'; pick: number; phase: 'Succeeded' | 'Failed' }
  | { kind: 'restart' };

const bound = fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined });
const arbSettings: fc.Arbitrary<ClusterSettings> = fc.record({
  suspended: fc.boolean(),
  budget: fc.record({ maxActionsPerHour: bound, maxConcurrentActions: bound, maxPerNamespace: bound }),
});
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('fire' as const),
      policy: fc.nat(2),
      pods: fc.integer({ min: 1, max: 4 }),
      dtMs: fc.integer({ min: 0, max: 20 * 60_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('edit' as const), settings: arbSettings }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      pick: fc.nat(),
      phase: fc.constantFrom('Succeeded' as const, 'Failed' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

function check(ok: boolean, message: () => string): void {
  if (!ok) throw new Error(message());
}

describe('property: the cluster budget holds across all policies', () => {
  it('is never exceeded, and a suspended cluster starts nothing', () => {
    fc.assert(
      fc.property(arbSettings, fc.array(arbOp, { minLength: 1, maxLength: 60 }), (initial, ops) => {
        let s = initial;
        let ledger = emptyLedger();
        let now = T0;
        const states: PolicyState[] = POLICIES.map(() => initialState());
        // The model: what really runs (id → namespace, policy) and when each action started.
        const running = new Map<string, { namespace: string; policy: number; targetKey: string }>();
        const started: number[] = [];
        for (const op of ops) {
          if (op.kind === 'edit') s = op.settings;
          if (op.kind === 'restart') ledger = JSON.parse(JSON.stringify(ledger)) as ClusterLedger;
          if (op.kind === 'finish' && running.size) {
            const [id, r] = [...running][op.pick % running.size]!;
            running.delete(id);
            ledger = releaseAction(ledger, id);
            states[r.policy] = recordActionOutcome(states[r.policy]!, {
              workflowId: id,
              outcome: op.phase,
              nowMs: now,
              targetKey: r.targetKey,
              policy: POLICIES[r.policy]!.policy,
            });
          }
          if (op.kind !== 'fire') continue;
          now += op.dtMs;
          const { policy: p, namespace, i } = POLICIES[op.policy]!;
          const pods = Array.from({ length: op.pods }, (_, k) =>
            pod(`p${i}-${k}`, inNamespace(namespace), withMemory(0.95)),
          );
          const before = states[i]!;
          const r = evaluatePolicy({ policy: p, snapshot: snapshot(now, pods), state: before, nowMs: now });
          const judged = admitActions(
            ledger,
            s,
            r.planned.map((a) => ({ workflowId: a.workflowId, namespace: a.target.namespace })),
            now,
          );
          ledger = judged.ledger;
          const w = withdrawRefused({
            before,
            state: r.state,
            planned: r.planned,
            verdicts: judged.verdicts,
          });
          states[i] = w.state;
          check(!s.suspended || w.planned.length === 0, () => `started ${w.planned.length} while suspended`);
          for (const a of w.planned) {
            running.set(a.workflowId, { namespace: a.target.namespace, policy: i, targetKey: a.targetKey });
            started.push(now);
          }
          // Actions the ledger forgot (expired) are the only ones it may not count; none here run that long.
          const inHour = started.filter((t) => t > now - HOUR).length;
          const { maxActionsPerHour, maxConcurrentActions, maxPerNamespace } = s.budget;
          if (w.planned.length) {
            check(
              maxConcurrentActions === undefined || running.size <= maxConcurrentActions,
              () => `${running.size} running > ${maxConcurrentActions}`,
            );
            // Only where something just started: lowering maxPerNamespace stops no running action, so
            // another namespace may stay over it until its actions finish (found by seed -1739111154).
            for (const ns of new Set(w.planned.map((a) => a.target.namespace))) {
              const n = [...running.values()].filter((x) => x.namespace === ns).length;
              check(
                maxPerNamespace === undefined || n <= maxPerNamespace,
                () => `${n} running in ${ns} > ${maxPerNamespace}`,
              );
            }
            check(
              maxActionsPerHour === undefined || inHour <= maxActionsPerHour,
              () => `${inHour} this hour > ${maxActionsPerHour}`,
            );
          }
          // Every refused action left the policy's state: only admitted ones are open there.
          for (const o of Object.values(states[i]!.open))
            check(
              running.has(o.workflowId),
              () => `open in policy state but never admitted: ${o.workflowId}`,
            );
        }
      }),
      { numRuns: 300 },
    );
  });
});
