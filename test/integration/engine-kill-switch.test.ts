// The cluster's kill switch and budget end to end (sim + real Temporal + the operator): the
// KubeSkippyConfig named `cluster`, written over HTTP as `kubectl patch` would, reaches the cluster
// workflow, and
//   - suspended: every fire is refused (reason Suspended in the policy's status, a WouldHeal Event,
//     kubeskippy_safety_refusals_total{reason="Suspended"}), and resumed, the action runs;
//   - an action waiting for approval when the switch goes on ends Skipped (Suspended) once
//     approved, having changed nothing;
//   - clusterBudget.maxConcurrentActions 1 across two policies: one action runs, the other policy is
//     refused ClusterBudget naming the bound, and gets its turn once the first action ends.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import type { KubeSkippyConfigSpecInput, KubeSkippyConfigStatus } from '../../crds/cluster-config.js';
import { clusterWorkflowId } from '../../domain/ids.js';
import { approveActionUpdate } from '../../workflows/messages.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  eventsWith,
  healingPolicy,
  podsOf,
  policyStatus,
  refusalSeries,
  scrapeMetrics,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(async () => {
  // The cluster workflow has no policy namespace to be found by: end it here.
  await engine?.client.workflow
    .getHandle(clusterWorkflowId(engine.config.taskQueue))
    .terminate('test finished')
    .catch(() => undefined);
  await engine?.stop();
});

const CONFIG = { group: 'kubeskippy.io', version: 'v1alpha1', plural: 'kubeskippyconfigs', name: 'cluster' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** What `kubectl patch kubeskippyconfig cluster --type merge -p '{"spec":…}'` does (creating it first). */
async function setCluster(spec: KubeSkippyConfigSpecInput): Promise<void> {
  const custom = engine.kube.custom;
  const exists = await custom.getClusterCustomObject(CONFIG).then(
    () => true,
    () => false,
  );
  if (!exists)
    await custom.createClusterCustomObject({
      ...CONFIG,
      body: {
        apiVersion: 'kubeskippy.io/v1alpha1',
        kind: 'KubeSkippyConfig',
        metadata: { name: 'cluster' },
        spec,
      },
    });
  else await custom.patchClusterCustomObject({ ...CONFIG, body: { spec } }, mergePatch);
}

const clusterStatus = async (): Promise<KubeSkippyConfigStatus | undefined> =>
  ((await engine.kube.custom.getClusterCustomObject(CONFIG)) as { status?: KubeSkippyConfigStatus }).status;

/** Waits until the operator mirrors the switch's state into the CR (so the workflow has it). */
async function suspendedIs(value: 'True' | 'False'): Promise<void> {
  await eventually(`KubeSkippyConfig cluster Suspended=${value}`, async () => {
    const c = (await clusterStatus())?.conditions?.find((x) => x.type === 'Suspended');
    return c?.status === value;
  });
}

const scrape = (): Promise<string> => scrapeMetrics(engine);
const refusals = (policy: string, reason: string): RegExp => refusalSeries(engine, policy, reason);

/** Waits until the policy refused with `reason`, then checks every place a user sees it. */
async function expectRefusedEverywhere(name: string, reason: string, words: string): Promise<void> {
  const status = await eventually(
    `${reason} refusals of ${name}`,
    async () => {
      const s = await policyStatus(engine, name).catch(() => undefined);
      return s && (s.counters.refusals[reason] ?? 0) >= 2 ? s : undefined;
    },
    40_000,
  );
  expect(status.lastRefusals.find((r) => r.reason === reason)?.message).toContain(words);
  const event = await eventually(`a WouldHeal Event on HealingPolicy ${name}`, () =>
    eventsWith(engine, 'WouldHeal', name).find((e) => (e as { message?: string }).message?.includes(words)),
  );
  expect((event as { involvedObject?: { kind?: string } }).involvedObject?.kind).toBe('HealingPolicy');
  const text = await eventually(`${reason} in /metrics for ${name}`, async () => {
    const body = await scrape();
    return refusals(name, reason).test(body) ? body : undefined;
  });
  expect(Number(refusals(name, reason).exec(text)![1])).toBeGreaterThanOrEqual(1);
}

function restartPolicy(name: string, mode: 'automatic' | 'manual'): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, name, `${name}-app`, {
    mode,
    triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    // One action per policy: the trigger holds on every replacement pod (a new target, so the
    // cooldown does not stop it), and a policy from an earlier test that kept acting would hold
    // the cluster budget's only slot in the last test.
    safetyRules: { minReadyReplicas: 0, approvalTimeout: '5m', maxActionsPerHour: 1 },
    verification: { enabled: false },
  });
}

/** For a timeout's message: what the policy's last evaluation refused and its counters. */
const seen = async (name: string): Promise<string> => {
  const st = await policyStatus(engine, name).catch((err: Error) => `status query failed: ${err.message}`);
  return typeof st === 'string'
    ? st
    : JSON.stringify({ lastRefusals: st.lastRefusals, counters: st.counters });
};

const awaiting = (policy: string): HealingAction | undefined =>
  actionsOf(engine, policy).find((a) => a.status?.phase === 'AwaitingApproval');
const approve = (a: HealingAction, decision: 'approve' | 'reject'): Promise<unknown> =>
  engine.client.workflow
    .getHandle(a.status!.workflowId!)
    .executeUpdate(approveActionUpdate, { args: [{ decision, by: 'alice' }] });

describe('the kill switch (KubeSkippyConfig cluster spec.suspended)', () => {
  it('refuses every new action while on, and lets the action through once off', async () => {
    await setCluster({ suspended: true, reason: 'cluster upgrade to 1.36' });
    await suspendedIs('True');
    engine.apply([deployment('halted-app', { replicas: 1 }), restartPolicy('halted', 'automatic')]);
    await expectRefusedEverywhere('halted', 'Suspended', 'the cluster is suspended');
    const s = await policyStatus(engine, 'halted');
    expect(s.lastRefusals.find((r) => r.reason === 'Suspended')?.message).toContain(
      'cluster upgrade to 1.36',
    );
    expect(s.counters.actionsStarted).toBe(0);
    expect(actionsOf(engine, 'halted')).toEqual([]);
    // The cluster's own count, mirrored into the KubeSkippyConfig's status on the status interval.
    await eventually('Suspended refusals in KubeSkippyConfig status', async () => {
      return ((await clusterStatus())?.refusals?.Suspended ?? 0) >= 1;
    });

    await setCluster({ suspended: false });
    await eventually(
      () => `an action of halted: ${describeActions(engine, 'halted')}`,
      () => actionsOf(engine, 'halted').some((a) => a.status?.phase === 'Succeeded'),
      40_000,
    );
  });

  it('stops an action waiting for approval at its next safe step: Skipped, Suspended, nothing changed', async () => {
    await setCluster({ suspended: false });
    await suspendedIs('False');
    engine.apply([deployment('waiting-app', { replicas: 1 }), restartPolicy('waiting', 'manual')]);
    const action = await eventually(
      () => `an action of waiting awaiting approval: ${describeActions(engine, 'waiting')}`,
      () => awaiting('waiting'),
      40_000,
    );
    const podsBefore = podsOf(engine, 'waiting-app').map((p) => p.metadata.uid);
    await setCluster({ suspended: true, reason: 'incident 4711' });
    await suspendedIs('True');
    await approve(action, 'approve');
    const ended = await eventually(
      () => `the approved action to end: ${describeActions(engine, 'waiting')}`,
      () =>
        actionsOf(engine, 'waiting').find(
          (a) =>
            a.metadata.name === action.metadata.name &&
            a.status?.phase !== 'AwaitingApproval' &&
            a.status?.completionTime,
        ),
    );
    expect(ended.status).toMatchObject({ phase: 'Skipped', reason: 'Suspended' });
    expect(ended.status?.message).toContain('incident 4711');
    expect(podsOf(engine, 'waiting-app').map((p) => p.metadata.uid)).toEqual(podsBefore);
    await setCluster({ suspended: false });
  });
});

describe('the cluster budget (KubeSkippyConfig cluster spec.clusterBudget)', () => {
  it('maxConcurrentActions bounds two policies together, and frees the slot when an action ends', async () => {
    await setCluster({ suspended: false, clusterBudget: { maxConcurrentActions: 1 } });
    await suspendedIs('False');
    engine.apply([
      deployment('first-app', { replicas: 1 }),
      deployment('second-app', { replicas: 1 }),
      restartPolicy('first', 'manual'),
      restartPolicy('second', 'manual'),
    ]);
    // One of the two holds the only slot (awaiting approval); which one is a race, and either is right.
    const holder = await eventually(
      async () =>
        `one action awaiting approval: ${describeActions(engine, 'first')} | ${describeActions(engine, 'second')}; ` +
        `first sees ${await seen('first')}; second sees ${await seen('second')}; ` +
        `cluster status ${JSON.stringify(await clusterStatus().catch(() => undefined))}`,
      () => (awaiting('first') ? 'first' : awaiting('second') ? 'second' : undefined),
      40_000,
    );
    const other = holder === 'first' ? 'second' : 'first';
    await expectRefusedEverywhere(other, 'ClusterBudget', 'clusterBudget.maxConcurrentActions');
    expect(actionsOf(engine, other)).toEqual([]);
    const budget = await eventually('the budget used in KubeSkippyConfig status', async () => {
      const b = (await clusterStatus())?.budget;
      return b?.runningActions === 1 ? b : undefined;
    });
    expect(budget.actionsInLastHour).toBeGreaterThanOrEqual(1);

    await approve(awaiting(holder)!, 'reject');
    await eventually(
      () => `the other policy's turn: ${describeActions(engine, other)}`,
      () => awaiting(other),
      40_000,
    );
    await approve(awaiting(other)!, 'reject');
  });
});
