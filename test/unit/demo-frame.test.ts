// The live view fits the terminal whatever it shows: every frame, for any number of apps, pods
// and HealingActions and any terminal from 40×10 to 250×60, has at most `rows` lines and no line
// wider than `columns` display columns. The snapshots are built the way the demo builds them:
// Deployments, Pods and PodMetrics as the API returns them through observe's snapshotOf, actions
// with the demo policies' own action templates and triggers, named by domain/ids and parsed by the
// HealingAction schema, verdicts from judge(), notes from the Approver. The summary reads at 80.
import fc from 'fast-check';
import stringWidth from 'string-width';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { ActionPhase, HealingAction } from '../../crds/healing-action.js';
import { actionWorkflowId, healingActionName } from '../../domain/ids.js';
import { Approver } from '../../tools/demo/approval.js';
import { readManifests } from '../../tools/demo/cluster.js';
import { truncate } from '../../tools/demo/fit.js';
import { actionLine, renderFrame } from '../../tools/demo/frame.js';
import { snapshotOf, type DemoSnapshot } from '../../tools/demo/observe.js';
import { judge, skippedResult, type ScenarioResult } from '../../tools/demo/outcome.js';
import { SCENARIOS } from '../../tools/demo/scenarios.js';
import { summaryTable } from '../../tools/demo/summary.js';

const NS = 'demo-apps';
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Template = { name: string; type: string; [k: string]: unknown };
/** Per scenario: its app and its policy's actions and trigger names, read from demo/policies. */
let policies: { policy: string; app: string; actions: Template[]; triggers: string[] }[];

beforeAll(async () => {
  policies = await Promise.all(
    SCENARIOS.map(async (s) => {
      const spec = (await readManifests(s.policyFile)).find((o) => o.kind === 'HealingPolicy')!.spec as {
        actions: Template[];
        triggers: { name: string }[];
      };
      return {
        policy: s.policy,
        app: s.app,
        actions: spec.actions,
        triggers: spec.triggers.map((t) => t.name),
      };
    }),
  );
});

// Text from outside (messages, a model's reasons, pod names from any cluster): any graphemes,
// wide ones and escape codes included.
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom('内存泄漏导致容器被杀死，重启后内存再次增长', '🔥 memory ⚠ grows\u001b[31m red', 'a\nb\tc'),
);

const podArb = fc.record({
  suffix: fc.stringMatching(/^[a-z0-9]{5,20}$/),
  state: fc.constantFrom('running', 'CrashLoopBackOff', 'ContainerCreating', 'OOMKilled', 'Terminating'),
  ready: fc.boolean(),
  restarts: fc.nat({ max: 9999 }),
  memMi: fc.option(fc.nat({ max: 4096 })),
  cpuM: fc.nat({ max: 8000 }),
});
type PodSpec = ValueOf<typeof podArb>;

const appArb = fc.record({
  name: fc.oneof(
    fc.constantFrom(...SCENARIOS.map((s) => s.app)),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,60}[a-z0-9]$/),
  ),
  replicas: fc.nat({ max: 8 }),
  pods: fc.array(podArb, { maxLength: 10 }),
});

function deployment(name: string, replicas: number, ready: number): V1Deployment {
  return {
    metadata: { name, namespace: NS, generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'app' }] },
      },
    },
    status: { readyReplicas: ready },
  };
}

function pod(app: string, p: PodSpec, i: number): V1Pod {
  const state =
    p.state === 'running' || p.state === 'Terminating'
      ? { running: { startedAt: new Date(0) } }
      : p.state === 'OOMKilled'
        ? { terminated: { exitCode: 137, reason: 'OOMKilled' } }
        : { waiting: { reason: p.state } };
  return {
    metadata: {
      name: `${app}-${p.suffix}-${i}`,
      namespace: NS,
      uid: `uid-${app}-${i}`,
      labels: { app },
      ...(p.state === 'Terminating' ? { deletionTimestamp: new Date(0) } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: 'app', resources: { limits: { memory: '256Mi', cpu: '500m' } } }],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'app',
          image: 'app',
          imageID: '',
          ready: p.ready,
          restartCount: p.restarts,
          state,
          lastState: p.restarts > 0 ? { terminated: { exitCode: 137, reason: 'OOMKilled' } } : {},
        },
      ],
    },
  };
}

function usage(name: string, memMi: number, cpuM: number): PodMetric {
  return {
    metadata: { name, namespace: NS, selfLink: '', creationTimestamp: '' },
    timestamp: '',
    window: '30s',
    containers: [{ name: 'app', usage: { cpu: `${cpuM}m`, memory: `${memMi}Mi` } }],
  };
}

const actionArb = fc.record({
  scenario: fc.nat(),
  template: fc.nat(),
  seq: fc.nat({ max: 1_000_000 }),
  phase: fc.option(fc.constantFrom(...ActionPhase.options), { nil: undefined }),
  reason: fc.option(fc.constantFrom('Healed', 'Protected', 'NotHealed', 'ApprovalExpired'), {
    nil: undefined,
  }),
  message: fc.option(text, { nil: undefined }),
  triggerReason: fc.option(text, { nil: undefined }),
  ai: fc.option(fc.record({ rootCause: text, confidence: fc.double({ min: 0, max: 1, noNaN: true }) }), {
    nil: undefined,
  }),
  startedMs: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
});

function action(a: ValueOf<typeof actionArb>): HealingAction {
  const p = policies[a.scenario % policies.length]!;
  const template = p.actions[a.template % p.actions.length]!;
  const trigger = p.triggers[a.seq % p.triggers.length]!;
  const workflowId = actionWorkflowId({
    cluster: 'demo',
    namespace: NS,
    policy: p.policy,
    trigger,
    targetKind: 'Deployment',
    targetName: p.app,
    seq: a.seq,
  });
  return HealingAction.parse({
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingAction',
    metadata: { name: healingActionName(workflowId, template.name), namespace: NS },
    spec: {
      policyRef: { name: p.policy, namespace: NS },
      targetResource: { apiVersion: 'apps/v1', kind: 'Deployment', name: p.app, namespace: NS },
      action: template,
      trigger: {
        name: trigger,
        type: 'metric',
        observedValue: '91.27',
        threshold: '> 85',
        ...(a.triggerReason ? { reason: a.triggerReason } : {}),
      },
    },
    status: {
      ...(a.phase ? { phase: a.phase } : {}),
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.message ? { message: a.message } : {}),
      startTime: new Date(a.startedMs).toISOString(),
      workflowId,
      ...(a.ai
        ? { aiAnalysis: { model: 'llama3.2', recommendation: 'rollout-restart', followed: true, ...a.ai } }
        : {}),
    },
  });
}

const modelArb = fc.record({
  apps: fc.uniqueArray(appArb, { maxLength: 9, selector: (a) => a.name }),
  actions: fc.array(actionArb, { maxLength: 80 }),
  errors: fc.array(text, { maxLength: 4 }),
  timedOut: fc.boolean(),
  skipAi: fc.boolean(),
});

function snapshot(m: ValueOf<typeof modelArb>): DemoSnapshot {
  const pods = m.apps.flatMap((a) => a.pods.map((p, i) => pod(a.name, p, i)));
  const usages = m.apps.flatMap((a) =>
    a.pods.flatMap((p, i) =>
      p.memMi === null ? [] : [usage(`${a.name}-${p.suffix}-${i}`, p.memMi, p.cpuM)],
    ),
  );
  return snapshotOf(
    {
      deployments: m.apps.map((a) => deployment(a.name, a.replicas, a.pods.filter((p) => p.ready).length)),
      pods,
      usage: usages,
      actions: m.actions
        .map(action)
        .sort((x, y) => Date.parse(x.status!.startTime!) - Date.parse(y.status!.startTime!)),
      policies: {},
      errors: m.errors,
    },
    Date.now(),
  );
}

function results(snap: DemoSnapshot, m: ValueOf<typeof modelArb>): ScenarioResult[] {
  return SCENARIOS.map((s) =>
    s.needsModel && m.skipAi
      ? skippedResult(s, 'no model reachable (OLLAMA_HOST is not set)')
      : judge(s, snap, undefined, m.timedOut),
  );
}

/** The approval notes the demo shows: the Approver, with a pause so long it never approves. */
function approvalNotes(snap: DemoSnapshot): Promise<string[]> {
  const approver = new Approver({
    client: undefined as unknown as Client, // only used to approve, which a 1e12 ms pause never reaches
    kubeconfig: '/home/someone/projects/kubeskippy/.kubeskippy/sim.kubeconfig',
    temporalAddress: '127.0.0.1:7233',
    temporalNamespace: 'default',
    interactive: false,
    pauseMs: 1e12,
    say: () => undefined,
  });
  return approver.tick(
    snap.actions.filter((a) => a.status?.phase === 'AwaitingApproval'),
    Date.now(),
  );
}

describe('the live view frame', () => {
  it('never has more lines than rows nor a line wider than columns', async () => {
    await fc.assert(
      fc.asyncProperty(
        modelArb,
        fc.integer({ min: 40, max: 250 }),
        fc.integer({ min: 10, max: 60 }),
        async (m, columns, rows) => {
          const snap = snapshot(m);
          const notes = await approvalNotes(snap);
          const ctx = {
            title: 'KubeSkippy demo',
            startedMs: snap.atMs - 754_000,
            results: results(snap, m),
            notes,
          };
          const lines = renderFrame(snap, { ...ctx, columns, rows });
          expect(lines.length).toBeLessThanOrEqual(rows);
          for (const l of lines) {
            expect(stringWidth(l), l).toBeLessThanOrEqual(columns);
            // eslint-disable-next-line no-control-regex
            expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
          }
          expect(lines[0]).toMatch(/^KubeSkippy demo/);
        },
      ),
      { numRuns: 200 },
    );
  }, 30_000);

  it('with more actions than fit, counts them by phase and lists the newest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 30, maxLength: 80 }), async (actions) => {
        const m = { apps: [], actions, errors: [], timedOut: false, skipAi: true };
        const snap = snapshot(m);
        const lines = renderFrame(snap, {
          title: 'KubeSkippy demo',
          startedMs: snap.atMs,
          results: results(snap, m),
          notes: [],
          columns: 80,
          rows: 24,
        });
        const at = lines.findIndex((l) => l.startsWith('HealingActions'));
        const isAction = (l: string): boolean => ActionPhase.options.some((p) => l.startsWith(`  ${p} `));
        const rest = lines.slice(at + 1);
        const header = [lines[at], ...rest.slice(0, Math.max(0, rest.findIndex(isAction)))].join(' ');
        const counts = /^HealingActions: (\d+) \(newest (\d+) below\): (.*)$/.exec(header);
        expect(counts, header).not.toBeNull();
        expect(Number(counts![1])).toBe(actions.length);
        expect(rest.filter(isAction)).toHaveLength(Number(counts![2]));
        const sum = counts![3]!.split(', ').reduce((n, c) => n + Number(c.split(' ')[0]), 0);
        expect(sum).toBe(actions.length);
        // The last listed is the newest action, cut to the width like every line.
        const listed = rest.filter(isAction);
        expect(listed.at(-1)).toBe(truncate(actionLine(snap.actions.at(-1)!), 80));
      }),
      { numRuns: 50 },
    );
  }, 30_000);

  it('shows every pod when there is room', () => {
    const m = {
      apps: [
        {
          name: 'memory-leak-app',
          replicas: 2,
          pods: [0, 1].map((i) => ({
            suffix: `abcde${i}`,
            state: 'running' as const,
            ready: true,
            restarts: 0,
            memMi: 100,
            cpuM: 50,
          })),
        },
      ],
      actions: [],
      errors: [],
      timedOut: false,
      skipAi: true,
    };
    const snap = snapshot(m);
    const lines = renderFrame(snap, {
      title: 't',
      startedMs: snap.atMs,
      results: [],
      notes: [],
      columns: 140,
      rows: 50,
    });
    expect(
      lines.filter((l) => /^ {4}memory-leak-app-abcde\d-\d +mem +100Mi +39% \[####\.+\]/.test(l)),
    ).toHaveLength(2);
  });
});

describe('the summary', () => {
  const long = (snap: DemoSnapshot): ScenarioResult[] =>
    SCENARIOS.map((s) => ({
      ...judge(s, snap, undefined, true),
      fired: 'high-memory 91.3 (threshold > 85)',
      done: 'evicted Pod/memory-leak-app-5d8f7c9b6-abcde; scaled Deployment/cpu-spike-app 2 → 4',
      toActionMs: 12_300,
      toHealedMs: 41_000,
    }));
  const snap = snapshotOf({ deployments: [], pods: [], usage: [], actions: [], policies: {}, errors: [] }, 0);

  it('at 80 columns: one block per scenario, every line within 80, every value in it', () => {
    const rs = long(snap);
    const text = summaryTable(rs, 80);
    const lines = text.split('\n');
    for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(80);
    const joined = lines.map((l) => l.trim()).join(' ');
    for (const r of rs) {
      expect(lines).toContain(`${r.scenario.name}  FAIL`);
      expect(joined.replace(/ {2,}/g, ' ')).toContain(r.outcome.replace(/ {2,}/g, ' '));
    }
    expect(lines.filter((l) => /^ {2}trigger→healed +41\.0s$/.test(l))).toHaveLength(rs.length);
  });

  it('at 200 columns (or in a log): the table, one row per scenario', () => {
    const rs = [
      skippedResult(
        SCENARIOS.find((s) => s.name === 'ai')!,
        'no model reachable (OLLAMA_HOST is not set)',
      ),
    ];
    for (const text of [summaryTable(rs, 200), summaryTable(rs)]) {
      expect(text).toMatch(/^SCENARIO +RESULT +FIRED +DONE +TRIGGER→ACTION +TRIGGER→HEALED +OUTCOME$/m);
      expect(text).toMatch(/^ai +SKIPPED .*skipped: no model reachable \(OLLAMA_HOST is not set\)$/m);
    }
  });
});
