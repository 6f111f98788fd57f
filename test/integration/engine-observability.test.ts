// What users look at, end to end: a finished healing action is found through Temporal visibility
// by its target, action, phase and policy (through the client and the real `temporal` CLI); each
// decision leaves Kubernetes Events on the target and on the HealingPolicy (WouldHeal in monitor
// mode); and /metrics counts safety refusals by reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import type { KObject } from '../../sim/contract.js';
import { KubeSkippyMode, KubeSkippyTarget } from '../../workflows/search-attributes.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  eventsWith,
  healingPolicy,
  podsOf,
  policyStatus,
  temporalCli,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const deletePod = {
  name: 'delete-pod',
  type: 'restart',
  restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
};

interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  source?: { component?: string };
}
const view = (e: KObject): EventView => e as EventView;
const kinds = (events: KObject[]): string[] =>
  events.map((e) => `${view(e).involvedObject?.kind}/${view(e).involvedObject?.name}`).sort();

async function visible(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of engine.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

// The action of the first test, which the later ones read.
let healed: HealingAction;

describe('a finished healing action', () => {
  it('is found by target, action, phase and policy, through the client and the temporal CLI', async () => {
    engine.apply([
      deployment('obs-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'obs', 'obs-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '30m' })],
        actions: [deletePod],
        // One action: the replacement pod fires too, and is refused (BudgetExhausted, see below).
        safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1 },
        verification: { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    healed = await eventually(
      () => `a Succeeded action: ${describeActions(engine, 'obs')}`,
      () => actionsOf(engine, 'obs').find((a) => a.status?.phase === 'Succeeded'),
      45_000,
    );
    const pod = healed.spec.targetResource.name;
    const workflowId = healed.status!.workflowId!;
    const scope = `KubeSkippyNamespace="${engine.namespace}" AND KubeSkippyPolicy="obs"`;
    const query =
      `${scope} AND KubeSkippyTarget="Pod/${pod}" AND KubeSkippyAction="restart"` +
      ` AND KubeSkippyPhase="Succeeded"`;
    // Visibility is eventually consistent: the last phase upsert lands shortly after completion.
    expect(
      await eventually(
        'the action in visibility',
        async () => {
          const ids = await visible(query);
          return ids.length ? ids : undefined;
        },
        20_000,
      ),
    ).toEqual([workflowId]);
    const handle = engine.client.workflow.getHandle(workflowId);
    await handle.result(); // the record says Succeeded just before the workflow returns
    const described = await handle.describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.typedSearchAttributes.get(KubeSkippyTarget)).toBe(`Pod/${pod}`);
    expect(described.typedSearchAttributes.get(KubeSkippyMode)).toBe('automatic');
    // Each attribute filters: another phase, action or target finds nothing.
    expect(await visible(`${scope} AND KubeSkippyPhase="Failed"`)).toEqual([]);
    expect(await visible(`${scope} AND KubeSkippyAction="scale"`)).toEqual([]);
    expect(await visible(`${scope} AND KubeSkippyTarget="Pod/not-${pod}"`)).toEqual([]);
    // The temporal CLI, as a user types it.
    const cliIds = (q: string): Promise<string[]> =>
      temporalCli(engine, ['workflow', 'list', '--query', q, '--output', 'jsonl']).then((out) =>
        out
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => (JSON.parse(l) as { execution: { workflowId: string } }).execution.workflowId),
      );
    expect(await cliIds(query)).toEqual([workflowId]);
    expect(await cliIds(`KubeSkippyPhase="Succeeded" AND KubeSkippyPolicy="obs" AND ${scope}`)).toEqual([
      workflowId,
    ]);
    expect(await cliIds(`${scope} AND KubeSkippyPhase="Executing"`)).toEqual([]);
  });

  it('left HealingSucceeded Events on the target pod, the HealingPolicy and the HealingAction', async () => {
    const pod = healed.spec.targetResource.name;
    const events = await eventually(
      'HealingSucceeded on the pod, the policy and the action',
      () => {
        const found = eventsWith(engine, 'HealingSucceeded');
        return found.length >= 3 ? found : undefined;
      },
      10_000,
    );
    expect(kinds(events)).toEqual([
      `HealingAction/${healed.metadata.name}`,
      `HealingPolicy/obs`,
      `Pod/${pod}`,
    ]);
    // `kubectl describe healingaction` selects its Events by the object's uid.
    const onAction = events.find((e) => view(e).involvedObject?.kind === 'HealingAction')!;
    expect((view(onAction).involvedObject as { uid?: string }).uid).toBe(healed.metadata.uid);
    for (const e of events) {
      expect(view(e)).toMatchObject({ type: 'Normal', source: { component: 'kubeskippy' } });
      expect(view(e).involvedObject?.namespace).toBe(engine.namespace);
    }
    const onPolicy = events.find((e) => view(e).involvedObject?.kind === 'HealingPolicy')!;
    const onPod = events.find((e) => view(e).involvedObject?.kind === 'Pod')!;
    // The policy's Event names the target; the pod's names the policy and action.
    expect(view(onPolicy).message).toContain(`Pod/${pod}`);
    expect(view(onPod).message).toMatch(/^obs\/delete-pod: /);
  });
});

describe('monitor mode', () => {
  it('reports WouldHeal Events on the target and the policy, and acts on nothing', async () => {
    engine.apply([
      deployment('watch-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'watch', 'watch-app', {
        mode: 'monitor',
        triggers: [alwaysTrue('busy', { cooldownPeriod: '30m' })],
        actions: [deletePod],
        safetyRules: { minReadyReplicas: 0 },
      }),
    ]);
    const pod = await eventually('watch-app running', () =>
      podsOf(engine, 'watch-app').find((p) => p.status?.phase === 'Running'),
    );
    const name = pod.metadata.name!;
    const events = await eventually(
      () =>
        `WouldHeal on Pod/${name} and HealingPolicy/watch; have ${JSON.stringify(kinds(eventsWith(engine, 'WouldHeal')))}`,
      () => {
        const found = eventsWith(engine, 'WouldHeal').filter((e) =>
          [name, 'watch'].includes(view(e).involvedObject?.name ?? ''),
        );
        return kinds(found).includes(`Pod/${name}`) && kinds(found).includes('HealingPolicy/watch')
          ? found
          : undefined;
      },
      30_000,
    );
    for (const e of events) expect(view(e).message).toMatch(/delete-pod would run \(busy\)/);
    expect(actionsOf(engine, 'watch')).toEqual([]);
    expect(podsOf(engine, 'watch-app').map((p) => p.metadata.uid)).toEqual([pod.metadata.uid]);
  });
});

describe('/metrics', () => {
  it('counts safety refusals by reason (Protected, BudgetExhausted)', async () => {
    engine.apply([
      deployment('guarded-app', { replicas: 1, labels: { 'kubeskippy.io/protected': 'true' } }),
      healingPolicy(engine.namespace, 'guard', 'guarded-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '1s' })],
        actions: [deletePod],
        safetyRules: { minReadyReplicas: 0 },
      }),
    ]);
    const base = `http://127.0.0.1:${engine.operator!.metricsPort}`;
    const series = (policy: string, reason: string): RegExp =>
      new RegExp(
        `^kubeskippy_safety_refusals_total\\{policy="${policy}",namespace="${engine.namespace}",reason="${reason}",cluster="${engine.config.clusterName}"\\} (\\d+)$`,
        'm',
      );
    const scrape = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
    const text = await eventually(
      'Protected and BudgetExhausted refusals in /metrics',
      async () => {
        const body = await scrape();
        return series('guard', 'Protected').test(body) && series('obs', 'BudgetExhausted').test(body)
          ? body
          : undefined;
      },
      30_000,
    );
    // The metric agrees with the policy's own counters (read after the scrape, so at least as high).
    for (const [policy, reason] of [
      ['guard', 'Protected'],
      ['obs', 'BudgetExhausted'],
    ] as const) {
      const value = Number(series(policy, reason).exec(text)![1]);
      const counted = (await policyStatus(engine, policy)).counters.refusals[reason] ?? 0;
      expect(value, `${policy} ${reason}`).toBeGreaterThanOrEqual(1);
      expect(value, `${policy} ${reason}`).toBeLessThanOrEqual(counted);
    }
    // No action was ever started for the protected app.
    expect(actionsOf(engine, 'guard')).toEqual([]);
    expect(text).toMatch(/^# HELP kubeskippy_safety_refusals_total /m);
  });
});
