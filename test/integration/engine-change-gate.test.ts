// Change-aware gating end to end (sim + real Temporal + the operator, and a real Alertmanager):
// while the target's Deployment rolls out, while the nodes run two kubelet versions, or while an
// Alertmanager silence matches the target, an action waits (phase Pending with the reason, a
// HealingDeferred Event) and acts once the change is over, or ends Skipped with the reason — in its
// status, a HealingSkipped Event and kubeskippy_safety_refusals_total{reason}. The rollout is the
// sim's Deployment controller rolling out a template whose pods take seconds to become ready; the
// upgrade is a node whose kubelet reports a newer version; the silence is created through
// Alertmanager's API, with a regex matcher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  eventsWith,
  healingPolicy,
  refusalSeries,
  scrapeMetrics,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
let alertmanager: RunningAlertmanager;
beforeAll(async () => {
  // No notification is ever routed: the operator only reads its silences.
  alertmanager = await startAlertmanager('http://127.0.0.1:9/unused', 'unused');
  engine = await startEngine({ alertmanagerUrl: `http://${alertmanager.address}` });
}, 90_000);
afterAll(async () => {
  await engine?.stop();
  await alertmanager?.stop();
});

const NODES = 'core/v1/nodes';

/** A rollout restart of the app's Deployment when the trigger holds; one per target (1h cooldown). */
function gatePolicy(name: string, safetyRules: Record<string, unknown>): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, name, `${name}-app`, {
    triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
    actions: [{ name: 'rollout', type: 'restart', restartAction: { strategy: 'rollout' } }],
    safetyRules: { minReadyReplicas: 0, ...safetyRules },
    verification: { enabled: false },
  });
}

/** A Deployment that has finished its first rollout. */
async function settledApp(app: string): Promise<void> {
  engine.apply([deployment(app, { replicas: 1 })]);
  await eventually(`${app} rolled out`, async () => {
    const d = await engine.kube.apps.readNamespacedDeployment({ name: app, namespace: engine.namespace });
    const p = d.status?.conditions?.find((c) => c.type === 'Progressing');
    return p?.reason === 'NewReplicaSetAvailable' && d.status?.availableReplicas === 1;
  });
}

/** A new template, through the API as kubectl would send it, whose pod is ready only after `seconds`. */
async function startRollout(app: string, seconds: number): Promise<void> {
  await engine.kube.apps.patchNamespacedDeployment({
    name: app,
    namespace: engine.namespace,
    body: [
      {
        op: 'add',
        path: '/spec/template/spec/containers/0/readinessProbe',
        value: { exec: { command: ['true'] }, initialDelaySeconds: seconds, periodSeconds: 1 },
      },
    ],
  });
}

const actionOf = (policy: string): HealingAction | undefined => actionsOf(engine, policy)[0];

async function phaseOf(
  policy: string,
  phase: string,
  reason: string,
  timeoutMs = 40_000,
): Promise<HealingAction> {
  return eventually(
    () => `${policy} ${phase} ${reason}: ${describeActions(engine, policy)}`,
    () => {
      const a = actionOf(policy);
      return a?.status?.phase === phase && a.status.reason === reason ? a : undefined;
    },
    timeoutMs,
  );
}

const refusals = async (policy: string, reason: string): Promise<number> => {
  const line = refusalSeries(engine, policy, reason).exec(await scrapeMetrics(engine));
  return line ? Number(line[1]) : 0;
};

/** Skipped with `reason` and `words` in the status, a HealingSkipped Event, and the refusal counted. */
async function expectSkipped(
  policy: string,
  reason: string,
  words: RegExp,
  timeoutMs?: number,
): Promise<void> {
  const a = await phaseOf(policy, 'Skipped', reason, timeoutMs);
  expect(a.status?.message).toMatch(words);
  expect(a.status?.executionTime).toBeUndefined();
  const event = await eventually(`a HealingSkipped Event of ${policy}`, () =>
    eventsWith(engine, 'HealingSkipped').find((e) =>
      (e as { message?: string }).message?.startsWith(`${policy}/`),
    ),
  );
  // The Event on the target says which policy and action, then the same words.
  expect(((event as { message?: string }).message ?? '').replace(/^[^:]+: /, '')).toMatch(words);
  expect(
    await eventually(`${reason} counted for ${policy}`, () => refusals(policy, reason)),
  ).toBeGreaterThanOrEqual(1);
}

/** Waited (Pending with the reason and a HealingDeferred Event), then acted. */
async function expectWaitedThenActed(
  policy: string,
  reason: string,
  words: RegExp,
  end: () => Promise<void>,
): Promise<void> {
  const waiting = await phaseOf(policy, 'Pending', reason);
  expect(waiting.status?.message).toMatch(/^waiting until \S+ for the change to end: /);
  expect(waiting.status!.message!.replace(/^waiting until \S+ for the change to end: /, '')).toMatch(words);
  await eventually(`a HealingDeferred Event of ${policy}`, () =>
    eventsWith(engine, 'HealingDeferred').find((e) =>
      (e as { message?: string }).message?.startsWith(`${policy}/`),
    ),
  );
  await end();
  const done = await eventually(
    () => `${policy} Succeeded: ${describeActions(engine, policy)}`,
    () => (actionOf(policy)?.status?.phase === 'Succeeded' ? actionOf(policy) : undefined),
  );
  expect(done.status?.executionTime).toBeDefined();
  expect(await refusals(policy, reason)).toBe(0);
}

describe('rollout in progress', () => {
  it('waits while the Deployment rolls out and acts once it has finished', async () => {
    await settledApp('roll-wait-app');
    await startRollout('roll-wait-app', 6);
    engine.apply([gatePolicy('roll-wait', { whenRolloutInProgress: 'wait', changeWaitTimeout: '2m' })]);
    await expectWaitedThenActed(
      'roll-wait',
      'RolloutInProgress',
      /rollout in progress: Deployment t-\w+\/roll-wait-app: (1 old replica still running|0 of 1 replicas updated)/,
      () =>
        eventually('the rollout of roll-wait-app finished', async () => {
          const d = await engine.kube.apps.readNamespacedDeployment({
            name: 'roll-wait-app',
            namespace: engine.namespace,
          });
          return d.status?.conditions?.some(
            (c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable',
          );
        }).then(() => undefined),
    );
  });

  it('ends Skipped RolloutInProgress when the rollout outlasts changeWaitTimeout, or at once with skip', async () => {
    await Promise.all([settledApp('roll-long-app'), settledApp('roll-skip-app')]);
    await Promise.all([startRollout('roll-long-app', 600), startRollout('roll-skip-app', 600)]);
    engine.apply([
      gatePolicy('roll-long', { whenRolloutInProgress: 'wait', changeWaitTimeout: '4s' }),
      gatePolicy('roll-skip', { whenRolloutInProgress: 'skip' }),
    ]);
    await expectSkipped(
      'roll-skip',
      'RolloutInProgress',
      /^rollout in progress: Deployment t-\w+\/roll-skip-app: (1 old replica still running|0 of 1 replicas updated)/,
    );
    await expectSkipped(
      'roll-long',
      'RolloutInProgress',
      /^rollout in progress: Deployment t-\w+\/roll-long-app: .* \(waited 4s, safetyRules\.changeWaitTimeout\)$/,
    );
    const waited = actionOf('roll-long')!.status!;
    expect(Date.parse(waited.completionTime!) - Date.parse(waited.startTime!)).toBeGreaterThanOrEqual(4000);
  });

  it('lets the action through on a settled Deployment (ignore acts even mid-rollout)', async () => {
    await Promise.all([settledApp('roll-calm-app'), settledApp('roll-ignore-app')]);
    await startRollout('roll-ignore-app', 600);
    engine.apply([
      gatePolicy('roll-calm', {}),
      gatePolicy('roll-ignore', { whenRolloutInProgress: 'ignore' }),
    ]);
    for (const p of ['roll-calm', 'roll-ignore']) {
      const a = await eventually(`${p} acted: ${describeActions(engine, p)}`, () =>
        actionOf(p)?.status?.phase === 'Succeeded' ? actionOf(p) : undefined,
      );
      expect(a.status?.reason).not.toBe('RolloutInProgress');
    }
  });
});

describe('cluster upgrade', () => {
  const setKubelet = (node: string, version: string): void =>
    void engine.sim.store.mutate(
      NODES,
      undefined,
      node,
      (n) => void (n.status.nodeInfo.kubeletVersion = version),
      {
        subresource: 'status',
      },
    );
  const nodeNames = (): string[] => engine.sim.store.list(NODES, {}).map((n) => n.metadata.name!);

  it('skips or waits while nodes run two kubelet versions, and acts once they agree', async () => {
    const nodes = nodeNames();
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    const before = engine.sim.store.get(NODES, undefined, nodes[0]!)!.status.nodeInfo
      .kubeletVersion as string;
    await Promise.all([settledApp('upgrade-skip-app'), settledApp('upgrade-wait-app')]);
    setKubelet(nodes[0]!, 'v1.33.1');
    try {
      engine.apply([
        gatePolicy('upgrade-skip', { whenClusterUpgrading: 'skip' }),
        gatePolicy('upgrade-wait', { changeWaitTimeout: '2m' }),
      ]);
      const words = new RegExp(
        `^cluster upgrade in progress: nodes run 2 kubelet versions: ${before} \\(\\d+ nodes?\\), v1\\.33\\.1 \\(1 node\\)`,
      );
      await expectSkipped('upgrade-skip', 'ClusterUpgrade', words);
      await expectWaitedThenActed('upgrade-wait', 'ClusterUpgrade', words, async () => {
        // The upgrade finishes: every kubelet reports the new version.
        for (const n of nodes) setKubelet(n, 'v1.33.1');
      });
    } finally {
      for (const n of nodes) setKubelet(n, before);
    }
  });
});

describe('Alertmanager silences', () => {
  it('skips an action on a target a silence matches, and acts on one it does not', async () => {
    const res = await fetch(`http://${alertmanager.address}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          { name: 'namespace', value: engine.namespace, isRegex: false, isEqual: true },
          { name: 'pod', value: 'silenced-app-.+', isRegex: true, isEqual: true },
          { name: 'severity', value: 'page', isRegex: false, isEqual: false },
        ],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        createdBy: 'oncall@example.com',
        comment: 'database maintenance',
      }),
    });
    expect(res.status).toBe(200);
    const { silenceID } = (await res.json()) as { silenceID: string };
    await Promise.all([settledApp('silenced-app'), settledApp('loud-app')]);
    engine.apply([gatePolicy('silenced', {}), gatePolicy('loud', {})]);
    await expectSkipped(
      'silenced',
      'Silenced',
      new RegExp(
        `^Alertmanager silence ${silenceID} by oncall@example\\.com \\(namespace="${engine.namespace}", pod=~"silenced-app-\\.\\+", severity!="page"\\) matches`,
      ),
    );
    await eventually(
      `loud acted: ${describeActions(engine, 'loud')}`,
      () => actionOf('loud')?.status?.phase === 'Succeeded',
    );
  });
});
