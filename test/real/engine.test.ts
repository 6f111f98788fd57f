// The engine's scenarios on the real control plane: real Deployments, ReplicaSets and the disruption
// controller (kube-controller-manager), real scheduling, real RBAC (the operator runs as its
// ServiceAccount), server-side dry run and admission by the real API server. The scenarios run side
// by side in one namespace with one operator; each has its own app and policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { policyWorkflowId } from '../../domain/ids.js';
import { policyStatusQuery, type PolicyStatusView } from '../../workflows/messages.js';
import { eventually } from '../support/engine-harness.js';
import { healingPolicy } from '../support/engine-scenarios.js';
import { kubectlFor } from '../support/kubectl.js';
import type { KObject } from '../../sim/contract.js';
import { crashLoopingDeployment, deployment, patchToHealthy, pdb } from '../support/sim-fixtures.js';
import { forbiddenLines, realKubeconfig, startRealEngine, type RealEngine } from './support.js';

let engine: RealEngine;
beforeAll(async () => {
  engine = await startRealEngine();
});
afterAll(() => engine?.stop());

/** Holds for every Ready pod: the scenarios here are about what happens after a fire. */
const ready = (name: string, cooldownPeriod = '10m'): Record<string, unknown> => ({
  name,
  type: 'condition',
  conditionTrigger: { type: 'Ready', status: 'True' },
  cooldownPeriod,
});
const evict = { name: 'evict', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 0 } };
const noTriggerCheck = { delay: '1s', timeout: '90s', interval: '1s', requireTriggerCleared: false };

const actionsOf = async (policy: string): Promise<HealingAction[]> =>
  (await engine.actions())
    .filter((a) => a.spec.policyRef.name === policy)
    .sort((a, b) => Date.parse(a.status?.startTime ?? '') - Date.parse(b.status?.startTime ?? ''));
/** Waits for a HealingAction of `policy` that `pick` accepts; a timeout lists the actions seen. */
async function actionWhere(
  policy: string,
  pick: (a: HealingAction) => boolean,
  what: string,
  timeoutMs = 150_000,
): Promise<HealingAction> {
  let seen = '';
  return eventually(
    () => `${what} of ${policy}; actions: ${seen || 'none'}`,
    async () => {
      const actions = await actionsOf(policy);
      seen = actions
        .map((a) => `${a.spec.action.name}: ${a.status?.phase} ${a.status?.reason} ${a.status?.message}`)
        .join(' | ');
      return actions.find(pick);
    },
    timeoutMs,
  );
}
const finished = (policy: string, timeoutMs?: number): Promise<HealingAction> =>
  actionWhere(policy, (a) => Boolean(a.status?.completionTime), 'a finished action', timeoutMs);
const livePods = async (app: string): Promise<string[]> =>
  (await engine.pods(app))
    .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running')
    .map((p) => p.metadata.uid!)
    .sort();
const runningPods = (app: string, n: number) => async (): Promise<string[] | undefined> => {
  const uids = await livePods(app);
  return uids.length === n ? uids : undefined;
};
const status = (name: string): Promise<PolicyStatusView> =>
  engine.client.workflow
    .getHandle(policyWorkflowId(engine.config.clusterName, engine.namespace, name))
    .query(policyStatusQuery);
const replicas = async (name: string): Promise<number | undefined> =>
  (await engine.kube.apps.readNamespacedDeployment({ name, namespace: engine.namespace })).spec?.replicas;

describe('on the real control plane', () => {
  it.concurrent(
    'a PodDisruptionBudget the disruption controller says allows 0 blocks the eviction until relaxed; then exactly one pod is evicted',
    { timeout: 240_000 },
    async () => {
      await engine.apply([
        deployment('budgeted', { replicas: 2 }),
        pdb('budgeted', { app: 'budgeted' }, { minAvailable: 2 }),
      ]);
      const before = await eventually('two running pods', runningPods('budgeted', 2), 90_000);
      await eventually('the disruption controller to compute 0 allowed', async () => {
        const p = await engine.kube.policy.readNamespacedPodDisruptionBudget({
          name: 'budgeted',
          namespace: engine.namespace,
        });
        return p.status?.currentHealthy === 2 && p.status.disruptionsAllowed === 0;
      });
      await engine.apply([
        healingPolicy(engine.namespace, 'budgeted', 'budgeted', {
          triggers: [ready('busy')],
          actions: [evict],
          safetyRules: { maxActionsPerHour: 1 },
          verification: noTriggerCheck,
        }),
      ]);
      await eventually(
        'DisruptionBudget refusals',
        async () =>
          ((await status('budgeted').catch(() => undefined))?.counters.refusals.DisruptionBudget ?? 0) >= 3,
        60_000,
      );
      expect(await actionsOf('budgeted')).toEqual([]);
      await engine.apply([pdb('budgeted', { app: 'budgeted' }, { minAvailable: 1 })]);
      const done = await finished('budgeted', 150_000);
      expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
      const after = await eventually('two running pods again', runningPods('budgeted', 2), 90_000);
      expect(after).not.toContain(done.spec.targetResource.uid);
      expect(after.filter((uid) => before.includes(uid))).toHaveLength(1);
    },
  );

  it.concurrent(
    'scales a Deployment out through the real API; the ReplicaSet runs the new pod',
    { timeout: 180_000 },
    async () => {
      await engine.apply([
        deployment('scaled', { replicas: 2 }),
        healingPolicy(engine.namespace, 'scaled', 'scaled', {
          triggers: [ready('busy')],
          actions: [
            {
              name: 'scale-up',
              type: 'scale',
              scaleAction: { direction: 'up', replicas: 1, maxReplicas: 3 },
            },
          ],
          verification: noTriggerCheck,
        }),
      ]);
      const done = await finished('scaled', 150_000);
      expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
      expect(done.status!.result!.changes).toEqual([
        expect.objectContaining({ field: 'spec.replicas', oldValue: '2', newValue: '3' }),
      ]);
      expect(await replicas('scaled')).toBe(3);
      await eventually('three running pods', runningPods('scaled', 3), 90_000);
    },
  );

  it.concurrent(
    'dry run goes through the server-side dry run and changes nothing',
    { timeout: 180_000 },
    async () => {
      await engine.apply([deployment('dry', { replicas: 2 })]);
      const before = await eventually('two running pods', runningPods('dry', 2), 90_000);
      await engine.apply([
        healingPolicy(engine.namespace, 'dry', 'dry', {
          mode: 'dryrun',
          triggers: [ready('busy')],
          actions: [
            {
              name: 'scale-up',
              type: 'scale',
              scaleAction: { direction: 'up', replicas: 2, maxReplicas: 4 },
            },
          ],
        }),
      ]);
      const done = await finished('dry', 120_000);
      expect(done.status?.phase).toBe('DryRun');
      expect(done.status!.result!.changes).toEqual([
        expect.objectContaining({ field: 'spec.replicas', oldValue: '2', newValue: '4' }),
      ]);
      expect(await replicas('dry')).toBe(2);
      expect(await livePods('dry')).toEqual(before);
    },
  );

  it.concurrent('never touches a protected pod', { timeout: 180_000 }, async () => {
    await engine.apply([
      deployment('guarded', { replicas: 1, labels: { 'kubeskippy.io/protected': 'true' } }),
    ]);
    const before = await eventually('a running pod', runningPods('guarded', 1), 90_000);
    await engine.apply([
      healingPolicy(engine.namespace, 'guarded', 'guarded', {
        triggers: [ready('busy', '1s')],
        actions: [evict],
      }),
    ]);
    await eventually(
      'Protected refusals',
      async () => ((await status('guarded').catch(() => undefined))?.counters.refusals.Protected ?? 0) >= 3,
      60_000,
    );
    expect(await actionsOf('guarded')).toEqual([]);
    expect(await livePods('guarded')).toEqual(before);
  });

  it.concurrent(
    'waits for approval and acts once approved by the kubeskippy.io/approve annotation',
    { timeout: 180_000 },
    async () => {
      await engine.apply([
        deployment('approved', { replicas: 2 }),
        healingPolicy(engine.namespace, 'approved', 'approved', {
          mode: 'manual',
          triggers: [ready('busy')],
          actions: [
            {
              name: 'scale-up',
              type: 'scale',
              scaleAction: { direction: 'up', replicas: 1, maxReplicas: 3 },
            },
          ],
          safetyRules: { maxActionsPerHour: 1 },
          verification: noTriggerCheck,
        }),
      ]);
      const waiting = await actionWhere(
        'approved',
        (a) => a.status?.phase === 'AwaitingApproval',
        'an action awaiting approval',
      );
      expect(await replicas('approved')).toBe(2);
      await kubectlFor(realKubeconfig())(
        '-n',
        engine.namespace,
        'annotate',
        'healingaction',
        waiting.metadata.name!,
        'kubeskippy.io/approve=true',
      );
      const done = await finished('approved', 120_000);
      expect(done.status?.phase).toBe('Succeeded');
      expect(await replicas('approved')).toBe(3);
    },
  );

  it.concurrent(
    'an edited policy reaches the running workflow; a deleted one cancels it',
    { timeout: 180_000 },
    async () => {
      const edit = (threshold: number): ReturnType<typeof healingPolicy> =>
        healingPolicy(engine.namespace, 'edited', 'edited', {
          mode: 'monitor',
          triggers: [
            {
              name: 'cpu',
              type: 'metric',
              metricTrigger: { query: 'cpu_usage_millicores', operator: '>', threshold },
            },
          ],
          actions: [evict],
        });
      await engine.apply([deployment('edited', { replicas: 1 }), edit(100_000)]);
      const handle = engine.client.workflow.getHandle(
        policyWorkflowId(engine.config.clusterName, engine.namespace, 'edited'),
      );
      const first = await eventually(
        'the policy workflow',
        () => handle.describe().catch(() => undefined),
        60_000,
      );
      await engine.apply([edit(200_000)]);
      await eventually(
        'generation 2 in the workflow',
        async () => (await status('edited').catch(() => undefined))?.policy.generation === 2,
        60_000,
      );
      expect((await handle.describe()).runId).toBe(first.runId);
      await engine.kube.custom.deleteNamespacedCustomObject({
        group: 'kubeskippy.io',
        version: 'v1alpha1',
        namespace: engine.namespace,
        plural: 'healingpolicies',
        name: 'edited',
      });
      const ended = await eventually(
        'the workflow to end',
        async () => {
          const d = await handle.describe();
          return d.status.name !== 'RUNNING' ? d : undefined;
        },
        60_000,
      );
      expect(ended.status.name).toBe('CANCELLED');
    },
  );
});

describe('the demo behaviours healed on the real control plane (kwok stages)', () => {
  const restarts = (pod: KObject): number =>
    ((pod.status?.containerStatuses ?? []) as { restartCount: number }[]).reduce(
      (n, c) => n + c.restartCount,
      0,
    );

  it.concurrent(
    'restarts a leaking pod through the Eviction API once > 85% held; the replacement starts low',
    { timeout: 240_000 },
    async () => {
      await engine.apply([
        deployment('leaky', {
          replicas: 2,
          // ~74% at start, +1.5%/s: over 85% after ~8 s, OOM at the limit after ~17 s.
          behaviour: {
            behavior: 'memory-leak',
            'memory-start': '380Mi',
            'memory-leak-rate': '8Mi/s',
            jitter: '0',
          },
          limits: { cpu: '200m', memory: '512Mi' },
        }),
        pdb('leaky', { app: 'leaky' }, { minAvailable: 1 }),
        healingPolicy(engine.namespace, 'leaky', 'leaky', {
          triggers: [
            {
              name: 'high-memory',
              type: 'metric',
              metricTrigger: { query: 'memory_usage_percent', threshold: 85, for: '2s' },
              cooldownPeriod: '10m',
            },
          ],
          actions: [evict],
          safetyRules: { maxActionsPerHour: 1 },
          verification: { delay: '1s', timeout: '60s', interval: '1s' },
        }),
      ]);
      const done = await finished('leaky', 180_000);
      expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
      expect(Number(done.spec.trigger!.observedValue)).toBeGreaterThan(85);
      const percent = (text: string | undefined): number => Number(/\((\d+)%\)/.exec(text ?? '')?.[1]);
      expect(percent(done.status!.result!.before!.memory)).toBeGreaterThan(85);
      expect(percent(done.status!.result!.after!.memory)).toBeLessThan(85);
      expect(await livePods('leaky')).not.toContain(done.spec.targetResource.uid);
    },
  );

  it.concurrent(
    'patches a crash-looping Deployment to healthy: a new ReplicaSet rolls out and its pod stops restarting',
    { timeout: 240_000 },
    async () => {
      await engine.apply([
        crashLoopingDeployment('crashy', '2s'),
        healingPolicy(engine.namespace, 'crashy', 'crashy', {
          triggers: [
            {
              name: 'crash-loop',
              type: 'condition',
              conditionTrigger: { type: 'CrashLoopBackOff' },
              cooldownPeriod: '10m',
            },
          ],
          actions: [{ name: 'heal', type: 'patch', patchAction: patchToHealthy }],
          verification: { delay: '1s', timeout: '90s', interval: '1s', stabilityPeriod: '5s' },
        }),
      ]);
      const done = await finished('crashy', 180_000);
      expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
      const d = await engine.kube.apps.readNamespacedDeployment({
        name: 'crashy',
        namespace: engine.namespace,
      });
      expect(d.spec?.template.metadata?.annotations?.['sim.kubeskippy.io/behavior']).toBe('healthy');
      const [pod] = await eventually(
        'one pod of the healed template',
        async () => {
          const pods = (await engine.pods('crashy')).filter((p) => !p.metadata.deletionTimestamp);
          return pods.length === 1 &&
            pods[0]!.metadata.annotations?.['sim.kubeskippy.io/behavior'] === 'healthy'
            ? pods
            : undefined;
        },
        60_000,
      );
      const before = restarts(pod!);
      await new Promise((r) => setTimeout(r, 6000)); // three crash periods of the old template
      const [again] = (await engine.pods('crashy')).filter((p) => !p.metadata.deletionTimestamp);
      expect(again?.metadata.uid).toBe(pod!.metadata.uid);
      expect(restarts(again!)).toBe(before);
    },
  );

  it.concurrent(
    'reverts a patch that does not heal: Failed (NotHealedReverted), the template restored',
    { timeout: 240_000 },
    async () => {
      await engine.apply([
        crashLoopingDeployment('unhealed', '2s'),
        healingPolicy(engine.namespace, 'unhealed', 'unhealed', {
          triggers: [
            {
              name: 'crash-loop',
              type: 'condition',
              conditionTrigger: { type: 'CrashLoopBackOff' },
              cooldownPeriod: '10m',
            },
          ],
          actions: [
            {
              name: 'tweak',
              type: 'patch',
              patchAction: {
                type: 'strategic',
                patch: JSON.stringify({
                  spec: {
                    template: { metadata: { annotations: { 'sim.kubeskippy.io/crash-after': '3s' } } },
                  },
                }),
                allowedPaths: ['/spec/template/metadata/annotations'],
              },
            },
          ],
          // kwok marks a pod Ready at once, so the new pod looks healed for the 3 s before its
          // first crash: only a stability period tells a relapse from a cure (the sim's pods
          // crashed before their 1 s readiness delay).
          verification: { delay: '1s', timeout: '30s', interval: '1s', stabilityPeriod: '10s' },
        }),
      ]);
      const done = await finished('unhealed', 180_000);
      expect(done.status, JSON.stringify(done.status)).toMatchObject({
        phase: 'Failed',
        reason: 'NotHealedReverted',
      });
      const d = await engine.kube.apps.readNamespacedDeployment({
        name: 'unhealed',
        namespace: engine.namespace,
      });
      expect(d.spec?.template.metadata?.annotations?.['sim.kubeskippy.io/crash-after']).toBe('2s');
    },
  );
});

describe('least privilege', () => {
  it('the operator, running as its ServiceAccount, was never refused (no 403 in its log)', () => {
    expect(forbiddenLines(engine.logs)).toEqual([]);
    expect(engine.logs.length).toBeGreaterThan(0);
  });
});
