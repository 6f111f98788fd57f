// Backtest and the live workflow must agree. The memory-leak scenario runs live (sim + Temporal +
// operator) while `recordTimeline` — the code behind `kubeskippy record` — collects the same
// SnapshotRequest at the same interval; then the pure backtest runs the same policy file over the
// recording.
//
// What "same" can mean: the two loops sample the same cluster at different instants; the live one
// every interval plus its collection time, the recorder four times as often. p = the live interval
// plus the largest gap the recorder measured bounds how far apart the two see one change. We require
// (1) the same (trigger, target) pairs get an action; (2) each pair's `for` window starts within
// one period on both sides (each sees the 85% crossing within one sample); (3) the first action
// agrees within one period. Later actions can differ by more: when one waits for another to close
// (MinReadyReplicas, ActionInProgress), its time depends on how long the real action stayed open,
// which the backtest can only assume (README, "Replaying incidents").
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { policyWorkflowId } from '../../domain/ids.js';
import type { KObject } from '../../sim/contract.js';
import { assumption, backtest } from '../../tools/backtest/engine.js';
import { formatReport } from '../../tools/backtest/report.js';
import { readPolicyFile } from '../../tools/backtest/policy-file.js';
import { recordTimeline } from '../../tools/backtest/recorder.js';
import { readTimeline } from '../../tools/backtest/timeline.js';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { isTerminal, policyStatus, sleep } from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';

let engine: Engine;
let dir: string;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.4 });
  dir = await mkdtemp(join(tmpdir(), 'kubeskippy-backtest-'));
});
afterAll(async () => {
  await engine?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const INTERVAL_MS = 1000;
const RECORD_INTERVAL_MS = 250;
const FOR_MS = 4000;

function memoryLeakPolicy(namespace: string): KObject {
  return {
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingPolicy',
    metadata: { name: 'memory-leak', namespace },
    spec: {
      mode: 'automatic',
      evaluationInterval: `${INTERVAL_MS / 1000}s`,
      selector: { namespaces: [namespace], labelSelector: { matchLabels: { issue: 'memory-leak' } } },
      triggers: [
        {
          name: 'high-memory',
          type: 'metric',
          metricTrigger: { query: 'memory_usage_percent', threshold: 85, for: `${FOR_MS / 1000}s` },
          cooldownPeriod: '1m',
        },
      ],
      actions: [
        { name: 'restart', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 1 } },
      ],
      verification: { delay: '1s', timeout: '60s', interval: '1s' },
      safetyRules: { maxActionsPerHour: 10, maxConcurrentActions: 2 },
    },
  };
}

describe('backtest agrees with the live policy workflow', () => {
  it('fires the same (trigger, target) pairs, each first within one evaluation period', async () => {
    const policyObject = memoryLeakPolicy(engine.namespace);
    const policyPath = join(dir, 'policy.yaml');
    await writeFile(policyPath, stringify(policyObject));
    const policy = await readPolicyFile(policyPath);
    const timelinePath = join(dir, 'timeline.jsonl');
    const stop = new AbortController();
    const recording = recordTimeline({
      kube: engine.kube,
      policy,
      out: timelinePath,
      // Four samples per live evaluation. At the same rate the two race at the moment the window has
      // held: when the live workflow's eviction lands before the recorder's sample at that moment,
      // the recording never sees the window held (the pod is gone) and the backtest fires nothing.
      intervalMs: RECORD_INTERVAL_MS,
      durationMs: 150_000,
      signal: stop.signal,
    });

    engine.apply([...(await engine.manifests('demo/apps/memory-leak-app.yaml')), policyObject]);
    // What the live workflow refused (its trigger fired, but it waited: MinReadyReplicas,
    // ActionInProgress), sampled faster than it evaluates so no evaluation's refusals are missed.
    const liveRefused = new Set<string>();
    const watching = (async (): Promise<void> => {
      while (!stop.signal.aborted) {
        const view = await policyStatus(engine, 'memory-leak').catch(() => undefined);
        for (const r of view?.lastRefusals ?? [])
          liveRefused.add(`${r.trigger}|${r.targetKey.split('/').slice(1).join('/')}`);
        await sleep(RECORD_INTERVAL_MS);
      }
    })();
    const live = (): HealingAction[] =>
      engine.actions().filter((a) => a.spec.policyRef.name === 'memory-leak');
    await eventually(
      'a Succeeded HealingAction',
      () => live().find((a) => a.status?.phase === 'Succeeded'),
      120_000,
    );
    // Stop once the live side is quiet: every action closed and none new for a few intervals, so
    // the recording covers everything the live workflow acted on.
    let seen = -1;
    await eventually(
      'the live policy to go quiet',
      async () => {
        const quiet = live().every(isTerminal) && live().length === seen;
        seen = live().length;
        if (!quiet) await sleep(3 * INTERVAL_MS);
        return quiet;
      },
      90_000,
    );
    stop.abort();
    const recorded = await recording;
    await watching;
    const timeline = await readTimeline(timelinePath);
    // Each side sees a change within its own period: the live one its interval plus a collection,
    // the recorder its largest gap. They agree within the longer of the two.
    const period = Math.max(recorded.maxGapMs, INTERVAL_MS + recorded.maxGapMs);
    const report = backtest(policy, timeline, assumption(policy));

    type Seen = { windowMs: number; actionMs: number };
    const firsts = (items: [string, Seen][]): Map<string, Seen> => {
      const m = new Map<string, Seen>();
      for (const [k, v] of items) if ((m.get(k)?.actionMs ?? Infinity) > v.actionMs) m.set(k, v);
      return m;
    };
    const liveFirst = firsts(
      live().map((a) => [
        `${a.spec.trigger!.name}|${a.spec.targetResource.kind}/${a.spec.targetResource.name}`,
        {
          windowMs: Date.parse(a.spec.trigger!.firstTrueTime!),
          actionMs: Date.parse(a.spec.trigger!.firedAt!),
        },
      ]),
    );
    const backtestFirst = firsts(
      report.rows
        .filter((r) => r.kind === 'action')
        .map((r) => [
          `${r.trigger}|${r.actionTargetKey!.split('/').slice(1).join('/')}`,
          { windowMs: r.firstTrueMs!, actionMs: r.atMs },
        ]),
    );
    const deltas = [...liveFirst].map(([pair, l]) => ({
      pair,
      windowStartDeltaMs: (backtestFirst.get(pair)?.windowMs ?? NaN) - l.windowMs,
      actionDeltaMs: (backtestFirst.get(pair)?.actionMs ?? NaN) - l.actionMs,
    }));
    process.stderr.write(
      `[backtest-agreement] ${recorded.snapshots} snapshots, period ≤ ${period} ms; backtest − live: ` +
        `${JSON.stringify(deltas)}\n${formatReport(report, timeline.header.startedAtMs)}\n`,
    );

    // 1. The same (trigger, target) pairs get actions. One exception, because both watch the same
    //    cluster: a pod the live workflow evicted first is gone from the recording, so a later pair
    //    (one that waited on MinReadyReplicas) may lack the backtest's action. The backtest must then
    //    have seen the trigger hold on it (a pending or refused row): on its way, not disagreeing.
    expect(liveFirst.size).toBeGreaterThan(0);
    expect(backtestFirst.size).toBeGreaterThan(0);
    const seenHolding = new Set(
      report.rows
        .filter((r) => (r.kind === 'pending' || r.kind === 'refused') && r.targetKey)
        .map((r) => `${r.trigger}|${r.targetKey!.split('/').slice(1).join('/')}`),
    );
    // The same exception the other way: the backtest assumes an action stays open for its
    //    verification delay; a real one that stayed open longer kept the next pod waiting, and that
    //    pod may have been OOMKilled (and so cleared) before the live workflow's turn came. The live
    //    workflow must then have refused it while it waited.
    //    Or the trigger held on that pod past its `for` for less than one period (the pod was
    //    OOMKilled right after, and its memory fell): the live workflow, evaluating once a period,
    //    may have had no evaluation in that stretch at all, so it neither acted nor refused.
    const rowPair = (r: (typeof report.rows)[number]): string =>
      `${r.trigger}|${(r.targetKey ?? r.actionTargetKey ?? '').split('/').slice(1).join('/')}`;
    const heldPastForMs = (pair: string): number => {
      const rows = report.rows.filter((r) => r.trigger && rowPair(r) === pair);
      const lastHeldMs = Math.max(...rows.map((r) => r.untilMs ?? r.atMs));
      return lastHeldMs - (backtestFirst.get(pair)!.windowMs + FOR_MS);
    };
    const backtestOnly = [...backtestFirst.keys()].filter((pair) => !liveFirst.has(pair));
    for (const pair of backtestOnly)
      if (!liveRefused.has(pair))
        expect(heldPastForMs(pair), `backtest-only action ${pair}, never refused live`).toBeLessThanOrEqual(
          period,
        );
    const raced = [...liveFirst.keys()].filter((pair) => !backtestFirst.has(pair));
    for (const pair of raced) expect([...seenHolding], `live-only action ${pair}`).toContain(pair);
    process.stderr.write(
      `[backtest-agreement] live acted first on ${raced.length} pair(s): ${raced.join(', ')}; ` +
        `the backtest on ${backtestOnly.length} the live workflow held back: ${backtestOnly.join(', ')}\n`,
    );
    // 2. Each pair's window starts within one period: both saw the 85% crossing within one sample.
    for (const d of deltas.filter((x) => backtestFirst.has(x.pair)))
      expect(Math.abs(d.windowStartDeltaMs), d.pair).toBeLessThanOrEqual(period);
    // 3. The first action agrees within one period. Later actions are reported, not asserted: when
    //    one waits on another (MinReadyReplicas, ActionInProgress), its time depends on how long the
    //    real action stayed open, which the backtest can only assume (the verification delay).
    const first = (m: Map<string, Seen>): number => Math.min(...[...m.values()].map((v) => v.actionMs));
    expect(Math.abs(first(backtestFirst) - first(liveFirst))).toBeLessThanOrEqual(period);

    const done = live().find((a) => a.status?.phase === 'Succeeded')!;
    await recordHistories(engine, 'memory-leak', {
      policy: policyWorkflowId(engine.config.clusterName, engine.namespace, 'memory-leak'),
      action: done.status!.workflowId!,
    });
  }, 300_000);
});
