// The blast radius end to end (sim + real Temporal + the operator): an action's safety check reads
// the Services selecting its target and their EndpointSlices (written by the sim's EndpointSlice
// controller), records what the action takes out of service in status.blastRadius and shows it in
// the approval request; safetyRules.maxUnavailable lets an action within it through and refuses
// one above it — Skipped with reason MaxUnavailable, a HealingSkipped Event naming the Service,
// and the kubeskippy_safety_refusals_total{reason="MaxUnavailable"} series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
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
import { deployment, service } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const SLICES = 'discovery.k8s.io/v1/endpointslices';

/** A 3-replica app behind a Service, up and in its EndpointSlice before any policy looks at it. */
async function appBehindService(name: string): Promise<void> {
  engine.apply([deployment(`${name}-app`, { replicas: 3 }), service(name, { app: `${name}-app` })]);
  await eventually(`3 ready endpoints of Service ${name}`, () => {
    const slices = engine.sim.store.list(SLICES, {
      namespace: engine.namespace,
      labelSelector: `kubernetes.io/service-name=${name}`,
    });
    const ready = slices.flatMap((s) =>
      ((s['endpoints'] ?? []) as { conditions: { ready: boolean } }[]).filter((e) => e.conditions.ready),
    );
    return ready.length === 3 || undefined;
  });
}

function deletePolicy(name: string, extra: Record<string, unknown>): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, name, `${name}-app`, {
    triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    safetyRules: { maxActionsPerHour: 1, maxConcurrentActions: 1 },
    verification: { enabled: false },
    ...extra,
  });
}

const firstAction = (policy: string, done: (a: HealingAction) => boolean): Promise<HealingAction> =>
  eventually(
    () => `an action of ${policy}: ${describeActions(engine, policy)}`,
    () => actionsOf(engine, policy).find(done),
    40_000,
  );

const podUids = (app: string): string[] =>
  engine.sim.store
    .list('core/v1/pods', { namespace: engine.namespace, labelSelector: `app=${app}` })
    .map((p) => p.metadata.uid!)
    .sort();

describe('blast radius', () => {
  it('is recorded in the status of an action within maxUnavailable, which runs', async () => {
    await appBehindService('br-ok');
    engine.apply([deletePolicy('br-ok', { safetyRules: { maxActionsPerHour: 1, maxUnavailable: 1 } })]);
    const action = await firstAction('br-ok', (a) => a.status?.phase === 'Succeeded');
    const blast = action.status!.blastRadius!;
    expect(blast).toMatchObject({
      podsRemoved: 1,
      workload: { kind: 'Deployment', name: 'br-ok-app', desiredReplicas: 3, readyBefore: 3, readyAfter: 2 },
      services: [{ name: 'br-ok', endpoints: 3, readyBefore: 3, readyAfter: 2 }],
    });
    expect(blast.summary).toContain('Service br-ok 3 → 2 ready endpoints of 3');
    expect(Date.parse(blast.observedAt)).toBeGreaterThan(0);
  });

  it('refuses an action above maxUnavailable: Skipped MaxUnavailable, an Event, the metric', async () => {
    await appBehindService('br-no');
    const uids = podUids('br-no-app');
    engine.apply([deletePolicy('br-no', { safetyRules: { maxActionsPerHour: 1, maxUnavailable: '0%' } })]);
    const action = await firstAction('br-no', (a) => a.status?.phase === 'Skipped');
    expect(action.status?.reason).toBe('MaxUnavailable');
    expect(action.status?.message).toMatch(
      /would take 1 of the 3 ready endpoints of Service br-no out of service \(3 → 2\); safetyRules\.maxUnavailable 0% allows 0/,
    );
    // The refusal shows the figures it judged.
    expect(action.status?.blastRadius?.services).toEqual([
      { name: 'br-no', endpoints: 3, readyBefore: 3, readyAfter: 2 },
    ]);
    const event = await eventually('a HealingSkipped Event on the HealingAction', () =>
      eventsWith(engine, 'HealingSkipped', action.metadata.name).find((e) =>
        String(e['message']).includes('Service br-no'),
      ),
    );
    expect((event['involvedObject'] as { kind: string }).kind).toBe('HealingAction');
    const series = refusalSeries(engine, 'br-no', 'MaxUnavailable');
    const text = await eventually('MaxUnavailable in /metrics', async () => {
      const body = await scrapeMetrics(engine);
      return series.test(body) ? body : undefined;
    });
    expect(Number(series.exec(text)![1])).toBeGreaterThanOrEqual(1);
    // Nothing was deleted: the pods are the ones that were there.
    expect(podUids('br-no-app')).toEqual(uids);
  });

  it('is shown in the approval request', async () => {
    await appBehindService('br-ask');
    engine.apply([deletePolicy('br-ask', { mode: 'manual' })]);
    const action = await firstAction('br-ask', (a) => a.status?.phase === 'AwaitingApproval');
    expect(action.status?.message).toContain(
      'waiting for approve or reject; blast radius: restart takes 1 ready pod out of service: Deployment br-ask-app 3 → 2 ready of 3; Service br-ask 3 → 2 ready endpoints of 3',
    );
    const event = await eventually('an AwaitingApproval Event with the blast radius', () =>
      eventsWith(engine, 'AwaitingApproval', action.metadata.name).find((e) =>
        String(e['message']).includes('blast radius: restart takes 1 ready pod'),
      ),
    );
    expect(event).toBeDefined();
  });
});
