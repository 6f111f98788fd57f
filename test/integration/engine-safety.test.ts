// Slide 7 and the blast-radius rules end to end: protected pods are never touched (by the planner,
// and by the live check when protection appears between plan and execute); a PodDisruptionBudget
// with no disruption allowed blocks an eviction until it allows one; and an operator stopped while
// an eviction waits for the budget resumes it after a restart, with exactly one eviction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionNamed,
  actionsOf,
  alwaysTrue,
  describeActions,
  eventsWith,
  healingPolicy,
  podsOf,
  policyHandle,
  policyStatus,
  sleep,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment, pdb } from '../support/sim-fixtures.js';
import { approveActionUpdate } from '../../workflows/messages.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const evict = { name: 'evict', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 0 } };
const uidsOf = (app: string): string[] =>
  podsOf(engine, app)
    .map((p) => p.metadata.uid!)
    .sort();
const running = (app: string, n: number) => (): string[] | undefined => {
  const pods = podsOf(engine, app);
  return pods.length === n && pods.every((p) => p.status?.phase === 'Running') ? uidsOf(app) : undefined;
};
const setPdbMin = (name: string, minAvailable: number): void =>
  void engine.sim.store.mutate('policy/v1/poddisruptionbudgets', engine.namespace, name, (o) => {
    o.spec.minAvailable = minAvailable;
  });
const pdbAllows = (name: string, n: number) => (): boolean =>
  engine.sim.store.get('policy/v1/poddisruptionbudgets', engine.namespace, name)?.status
    ?.disruptionsAllowed === n;
const finished = (a: HealingAction) => (): HealingAction | undefined => {
  const now = actionNamed(engine, a.metadata.name!);
  return now?.status?.completionTime ? now : undefined;
};

const POLICIES = 'kubeskippy.io/v1alpha1/healingpolicies';

describe('protected resources', () => {
  it('never touches a pod labelled kubeskippy.io/protected or matched by protectedResources', async () => {
    engine.apply([
      deployment('guarded', { replicas: 1, labels: { 'kubeskippy.io/protected': 'true', tier: 'x' } }),
      deployment('listed', { replicas: 1, labels: { tier: 'x' } }),
    ]);
    const before = [...(await eventually('guarded running', running('guarded', 1)))];
    before.push(...(await eventually('listed running', running('listed', 1))));
    const policy = healingPolicy(engine.namespace, 'protected', 'unused', {
      triggers: [alwaysTrue('busy', { cooldownPeriod: '1s' })],
      actions: [evict],
      safetyRules: {
        minReadyReplicas: 0,
        protectedResources: [{ kind: 'Deployment', names: ['listed'] }],
      },
    });
    policy.spec.selector.labelSelector = { matchLabels: { tier: 'x' } };
    engine.apply([policy]);
    const status = await eventually(
      'Protected refusals for both apps',
      async () => {
        const s = await policyStatus(engine, 'protected').catch(() => undefined);
        const refused = new Set(
          s?.lastRefusals.filter((r) => r.reason === 'Protected').map((r) => r.targetKey.split('/')[2]),
        );
        return s && s.counters.evaluations >= 4 && refused.size === 2 ? s : undefined;
      },
      20_000,
    );
    const messages = status.lastRefusals.map((r) => r.message).join(' ');
    expect(messages).toContain('label kubeskippy.io/protected=true');
    expect(messages).toContain('safetyRules.protectedResources[0]');
    expect(status.counters.refusals.Protected).toBeGreaterThanOrEqual(4);
    expect(status.counters.actionsStarted).toBe(0);
    expect(actionsOf(engine, 'protected')).toEqual([]);
    expect([...uidsOf('guarded'), ...uidsOf('listed')].sort()).toEqual(before.sort());
    // A policy that can never act says so where `kubectl get hp -o yaml` shows it.
    const degraded = await eventually(
      'Degraded=True AllTargetsProtected on the HealingPolicy',
      () => {
        const conditions = engine.sim.store.get(POLICIES, engine.namespace, 'protected')?.status
          ?.conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined;
        const c = conditions?.find((x) => x.type === 'Degraded');
        return c?.reason === 'AllTargetsProtected' ? c : undefined;
      },
      30_000,
    );
    expect(degraded).toMatchObject({ status: 'True' });
    expect(degraded.message).toContain('so this policy cannot act');
  });

  it('skips with reason Protected when the pod becomes protected between plan and execute', async () => {
    engine.apply([
      deployment('late-guard', { replicas: 1 }),
      healingPolicy(engine.namespace, 'late-guard', 'late-guard', {
        mode: 'manual',
        triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
        actions: [evict],
        safetyRules: { minReadyReplicas: 0 },
      }),
    ]);
    const waiting = await eventually(
      () => `an action awaiting approval: ${describeActions(engine, 'late-guard')}`,
      () => actionsOf(engine, 'late-guard').find((a) => a.status?.phase === 'AwaitingApproval'),
      20_000,
    );
    const pod = waiting.spec.targetResource;
    engine.sim.store.mutate('core/v1/pods', engine.namespace, pod.name, (o) => {
      o.metadata.labels = { ...o.metadata.labels, 'kubeskippy.io/protected': 'true' };
    });
    await engine.client.workflow
      .getHandle(waiting.status!.workflowId!)
      .executeUpdate(approveActionUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    const done = await eventually('the action to finish', finished(waiting), 20_000);
    expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Skipped', reason: 'Protected' });
    expect(uidsOf('late-guard')).toEqual([pod.uid]);
    await recordHistories(engine, 'protected-live', {
      policy: policyHandle(engine, 'late-guard').workflowId,
      action: done.status!.workflowId!,
    });
  });
});

describe('PodDisruptionBudget', () => {
  it('with no disruption allowed blocks the eviction until it allows one', { timeout: 180_000 }, async () => {
    engine.apply([
      deployment('budgeted', { replicas: 2 }),
      pdb('budgeted', { app: 'budgeted' }, { minAvailable: 2 }),
    ]);
    const before = await eventually('budgeted running', running('budgeted', 2));
    await eventually('the PDB to allow 0', pdbAllows('budgeted', 0));
    engine.apply([
      healingPolicy(engine.namespace, 'budgeted', 'budgeted', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
        actions: [evict],
        safetyRules: { maxActionsPerHour: 1 },
        // Generous: the replacement must be scheduled, started and Ready on a possibly busy machine.
        verification: { delay: '1s', timeout: '60s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    await eventually(
      'DisruptionBudget refusals',
      async () =>
        ((await policyStatus(engine, 'budgeted').catch(() => undefined))?.counters.refusals
          .DisruptionBudget ?? 0) >= 4,
      20_000,
    );
    expect(actionsOf(engine, 'budgeted')).toEqual([]);
    expect(uidsOf('budgeted')).toEqual(before);

    setPdbMin('budgeted', 1);
    const done = await eventually(
      () => `the eviction to finish: ${describeActions(engine, 'budgeted')}`,
      () => actionsOf(engine, 'budgeted').find((a) => a.status?.completionTime),
      90_000,
    );
    expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
    const after = uidsOf('budgeted');
    expect(after).not.toContain(done.spec.targetResource.uid);
    expect(after.filter((uid) => before.includes(uid))).toHaveLength(1); // exactly one pod evicted
  });

  it('an eviction waiting for the budget survives an operator restart and happens exactly once', async () => {
    engine.apply([
      deployment('waiting', { replicas: 2 }),
      pdb('waiting', { app: 'waiting' }, { minAvailable: 1 }),
    ]);
    const before = await eventually('waiting running', running('waiting', 2));
    await eventually('the PDB to allow 1', pdbAllows('waiting', 1));
    engine.apply([
      healingPolicy(engine.namespace, 'waiting', 'waiting', {
        mode: 'manual',
        triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
        actions: [evict],
        safetyRules: { maxActionsPerHour: 1 },
        verification: { delay: '1s', timeout: '60s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    const planned = await eventually(
      () => `an action awaiting approval: ${describeActions(engine, 'waiting')}`,
      () => actionsOf(engine, 'waiting').find((a) => a.status?.phase === 'AwaitingApproval'),
      45_000, // under a loaded machine the first safety read can take a while
    );
    // Between plan and execute the budget drops to 0: the Eviction API refuses, the executor waits.
    setPdbMin('waiting', 2);
    await eventually('the PDB to allow 0', pdbAllows('waiting', 0));
    await engine.client.workflow
      .getHandle(planned.status!.workflowId!)
      .executeUpdate(approveActionUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    await eventually(
      'Executing',
      () => actionNamed(engine, planned.metadata.name!)?.status?.phase === 'Executing',
    );
    await sleep(3000);
    expect(actionNamed(engine, planned.metadata.name!)?.status?.phase).toBe('Executing');
    expect(uidsOf('waiting')).toEqual(before);

    // The operator goes away mid-action and comes back; then the budget allows one.
    await engine.stopOperator();
    await sleep(2000);
    await engine.startOperator();
    setPdbMin('waiting', 1);
    const done = await eventually(
      () => `the eviction to finish: ${describeActions(engine, 'waiting')}`,
      finished(planned),
      45_000,
    );
    expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
    expect(actionsOf(engine, 'waiting')).toHaveLength(1);
    const after = uidsOf('waiting');
    expect(after).toHaveLength(2);
    expect(after.filter((uid) => before.includes(uid))).toHaveLength(1);
    // One eviction: one pod killed, one replacement created.
    const killed = before.filter((uid) => !after.includes(uid));
    expect(killed).toEqual([planned.spec.targetResource.uid]);
    const created = eventsWith(engine, 'SuccessfulCreate').filter((e) =>
      /^waiting-/.test((e as { involvedObject?: { name?: string } }).involvedObject?.name ?? ''),
    );
    const creations = created.reduce((n, e) => n + Number((e as { count?: number }).count ?? 1), 0);
    expect(creations).toBe(3); // two pods at the start, one replacement
    await recordHistories(engine, 'pdb-operator-restart', {
      policy: policyHandle(engine, 'waiting').workflowId,
      action: done.status!.workflowId!,
    });
  }, 120_000);
});
