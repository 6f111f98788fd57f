// Restart and delete executors through the real client, as one suite run against the simulated cluster (test/integration/) and the real
// control plane (test/real/api-conformance-activities-*): evictions
// honour PodDisruptionBudgets, uid preconditions never hit a replacement, a rollout restart done
// twice is one rollout, and a dry run changes nothing.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTARTED_AT_ANNOTATION, type NormalizedAction } from '../../../activities/executors/types.js';
import { normalizedAction } from '../../fixtures/domain-builders.js';
import type { KObject } from '../../../sim/contract.js';
import { DEPLOYMENTS, input, PDBS, PODS, refOf, rejection, REPLICASETS } from '../activities-sim.js';
import { settledDeployment, type ActivityTarget } from '../activities-target.js';
import { deployment, pdb, sleep, statefulSet, waitFor } from '../sim-fixtures.js';

export function activitiesRestartSuite(start: () => Promise<ActivityTarget>): void {
  let env: ActivityTarget;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => env?.stop());

  const restart = (strategy: string, gracePeriodSeconds: number): NormalizedAction =>
    normalizedAction('restart', { restartAction: { strategy, gracePeriodSeconds } });
  const evict = restart('evict', 1);
  const deleteRestart = restart('delete', 1);
  const rollout = restart('rollout', 30);
  const deleteAction = (
    propagationPolicy: 'Background' | 'Orphan' | 'Foreground' = 'Background',
    force = false,
  ): NormalizedAction =>
    normalizedAction('delete', { deleteAction: { gracePeriodSeconds: 0, force, propagationPolicy } });

  /** Is the pod (that exact object) on its way out: gone, or terminating? */
  const removed = async (ns: string, pod: KObject): Promise<boolean> => {
    const now = await env.get(PODS, ns, pod.metadata.name!);
    return !now || now.metadata.uid !== pod.metadata.uid || Boolean(now.metadata.deletionTimestamp);
  };

  async function pdbAllowing(ns: string, name: string, allowed: number): Promise<KObject> {
    return waitFor(async () => {
      const p = await env.get(PDBS, ns, name);
      return (
        p?.status?.disruptionsAllowed === allowed &&
        p.status.observedGeneration === p.metadata.generation &&
        p
      );
    }, `PDB ${name} to allow ${allowed}`);
  }

  describe('restart by eviction', () => {
    it('evicts the pod when its PodDisruptionBudget allows one', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [
        deployment('web', { replicas: 2 }),
        pdb('web', { app: 'web' }, { minAvailable: 1 }),
      ]);
      const [victim, other] = await env.readyPods(ns, 'web', 2);
      await pdbAllowing(ns, 'web', 1);

      const result = await env.activities.executeAction(input(refOf(victim!), evict));

      expect(result.outcome).toBe('applied');
      expect(result.changes).toEqual([
        expect.objectContaining({ changeType: 'evict', oldValue: victim!.metadata.uid }),
      ]);
      expect(await removed(ns, victim!)).toBe(true);
      expect(await removed(ns, other!)).toBe(false);
    });

    it('throws a retryable KubeDisruptionBudget failure while the budget is 0, and evicts nothing', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [
        deployment('solo', { replicas: 1 }),
        pdb('solo', { app: 'solo' }, { minAvailable: 1 }),
      ]);
      const [pod] = await env.readyPods(ns, 'solo', 1);
      await pdbAllowing(ns, 'solo', 0);

      const err = await rejection(env.activities.executeAction(input(refOf(pod!), evict)));

      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'KubeDisruptionBudget', nonRetryable: false });
      expect(err.message).toMatch(/disruption budget/);
      expect(await removed(ns, pod!)).toBe(false);
    });

    it('evicts once the budget allows it again (the retry succeeds)', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [
        deployment('grow', { replicas: 1 }),
        pdb('grow', { app: 'grow' }, { minAvailable: 1 }),
      ]);
      const [pod] = await env.readyPods(ns, 'grow', 1);
      await pdbAllowing(ns, 'grow', 0);
      const attempt = input(refOf(pod!), evict);
      await expect(env.activities.executeAction(attempt)).rejects.toMatchObject({
        type: 'KubeDisruptionBudget',
      });

      await env.apply(ns, [deployment('grow', { replicas: 2 })]);
      await pdbAllowing(ns, 'grow', 1);

      await expect(env.activities.executeAction(attempt)).resolves.toMatchObject({ outcome: 'applied' });
      expect(await removed(ns, pod!)).toBe(true);
    });

    it('reports target-gone and touches nothing when the pod was replaced under the same name', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [statefulSet('db', { replicas: 1 })]);
      const [original] = await env.readyPods(ns, 'db', 1);
      await env.remove(PODS, ns, 'db-0');
      const [replacement] = await waitFor(async () => {
        const pods = await env.readyPods(ns, 'db', 1);
        return pods[0]!.metadata.uid !== original!.metadata.uid && pods;
      }, 'a replacement db-0');

      const result = await env.activities.executeAction(input(refOf(original!), evict));

      expect(result).toMatchObject({ outcome: 'target-gone', changes: [] });
      expect(await removed(ns, replacement!)).toBe(false);
    });

    it('reports target-gone when the pod no longer exists', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('gone', { replicas: 1 })]);
      const [pod] = await env.readyPods(ns, 'gone', 1);
      await env.remove(PODS, ns, pod!.metadata.name!);

      const result = await env.activities.executeAction(input(refOf(pod!), evict));

      expect(result.outcome).toBe('target-gone');
    });

    it('dry run validates the eviction and evicts nothing', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [
        deployment('dry', { replicas: 2 }),
        pdb('dry', { app: 'dry' }, { minAvailable: 1 }),
      ]);
      const pods = await env.readyPods(ns, 'dry', 2);
      await pdbAllowing(ns, 'dry', 1);

      const result = await env.activities.executeAction(input(refOf(pods[0]!), evict, { dryRun: true }));

      expect(result.outcome).toBe('dry-run');
      await sleep(300);
      expect(await Promise.all(pods.map((p) => removed(ns, p)))).toEqual([false, false]);
      expect((await env.get(PDBS, ns, 'dry'))?.status).toMatchObject({ disruptionsAllowed: 1 });
    });
  });

  describe('restart and delete by delete', () => {
    it('deletes the pod the trigger saw', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('del', { replicas: 2 })]);
      const [victim, other] = await env.readyPods(ns, 'del', 2);

      const result = await env.activities.executeAction(input(refOf(victim!), deleteRestart));

      expect(result.outcome).toBe('applied');
      expect(await removed(ns, victim!)).toBe(true);
      expect(await removed(ns, other!)).toBe(false);
    });

    it('never deletes a replacement that took the name (uid precondition)', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [statefulSet('cache', { replicas: 1 })]);
      const [original] = await env.readyPods(ns, 'cache', 1);
      await env.remove(PODS, ns, 'cache-0');
      const [replacement] = await waitFor(async () => {
        const pods = await env.readyPods(ns, 'cache', 1);
        return pods[0]!.metadata.uid !== original!.metadata.uid && pods;
      }, 'a replacement cache-0');

      for (const action of [deleteRestart, deleteAction()]) {
        const result = await env.activities.executeAction(input(refOf(original!), action));
        expect(result).toMatchObject({ outcome: 'target-gone', changes: [] });
      }
      expect(await removed(ns, replacement!)).toBe(false);
    });

    it('deletes a Deployment in the background: its ReplicaSets and pods go too', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('old', { replicas: 2 })]);
      await env.readyPods(ns, 'old', 2);
      const dep = (await env.get(DEPLOYMENTS, ns, 'old'))!;
      expect(await env.list(REPLICASETS, ns)).toHaveLength(1);

      const result = await env.activities.executeAction(input(refOf(dep), deleteAction('Background')));

      expect(result.outcome).toBe('applied');
      expect(await env.get(DEPLOYMENTS, ns, 'old')).toBeUndefined();
      await waitFor(
        async () => (await env.list(REPLICASETS, ns)).length === 0 && (await env.list(PODS, ns)).length === 0,
        'the ReplicaSet and pods to be garbage-collected',
      );
    });

    it('a dry-run delete of a Deployment leaves it and its pods', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('keep', { replicas: 1 })]);
      const [pod] = await env.readyPods(ns, 'keep', 1);
      const dep = (await env.get(DEPLOYMENTS, ns, 'keep'))!;

      const result = await env.activities.executeAction(input(refOf(dep), deleteAction(), { dryRun: true }));

      expect(result.outcome).toBe('dry-run');
      await sleep(300);
      expect((await env.get(DEPLOYMENTS, ns, 'keep'))?.metadata.uid).toBe(dep.metadata.uid);
      expect(await removed(ns, pod!)).toBe(false);
    });

    it('force removes the finalizers of a stuck object and deletes it', async () => {
      const ns = await env.namespace();
      const stuck = deployment('stuck', { replicas: 0 });
      stuck.metadata.finalizers = ['example.com/hold'];
      await env.apply(ns, [stuck]);
      const dep = await settledDeployment(env, ns, 'stuck');

      const result = await env.activities.executeAction(input(refOf(dep), deleteAction('Background', true)));

      expect(result.outcome).toBe('applied');
      await waitFor(async () => !(await env.get(DEPLOYMENTS, ns, 'stuck')), 'the stuck Deployment to go');
    });

    it('force never strips the finalizers of a replacement that took the name', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('twin', { replicas: 0 })]);
      const original = (await env.get(DEPLOYMENTS, ns, 'twin'))!;
      await env.remove(DEPLOYMENTS, ns, 'twin');
      const twin = deployment('twin', { replicas: 0 });
      twin.metadata.finalizers = ['example.com/hold'];
      await env.apply(ns, [twin]);

      const result = await env.activities.executeAction(
        input(refOf(original), deleteAction('Background', true)),
      );

      expect(result.outcome).toBe('target-gone');
      const now = await env.get(DEPLOYMENTS, ns, 'twin');
      expect(now?.metadata.uid).not.toBe(original.metadata.uid);
      expect(now?.metadata.finalizers).toEqual(['example.com/hold']);
      expect(now?.metadata.deletionTimestamp).toBeUndefined();
    });

    it('reports target-gone for a Deployment that no longer exists', async () => {
      const ns = await env.namespace();
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'never', uid: 'x' };
      await expect(env.activities.executeAction(input(ref, deleteAction()))).resolves.toMatchObject({
        outcome: 'target-gone',
      });
    });
  });

  describe('rollout restart', () => {
    const templateRestartedAt = async (ns: string, name: string): Promise<unknown> =>
      (await env.get(DEPLOYMENTS, ns, name))?.spec?.template?.metadata?.annotations?.[
        RESTARTED_AT_ANNOTATION
      ];

    it('stamps the pod template with the decision time; the same action twice is one rollout', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('api', { replicas: 2 })]);
      await env.readyPods(ns, 'api', 2);
      const dep = (await env.get(DEPLOYMENTS, ns, 'api'))!;
      const attempt = input(refOf(dep), rollout);

      const first = await env.activities.executeAction(attempt);
      const second = await env.activities.executeAction(attempt);

      expect(first.outcome).toBe('applied');
      expect(second.outcome).toBe('already-applied');
      expect(await templateRestartedAt(ns, 'api')).toBe(new Date(attempt.decidedAtMs).toISOString());
      await waitFor(async () => (await env.list(REPLICASETS, ns)).length === 2, 'the new ReplicaSet');
      // The rollout completes with fresh pods, and no third ReplicaSet ever appears.
      const fresh = await waitFor(async () => {
        const pods = await env.readyPods(ns, 'api', 2);
        return pods.every((p) => p.metadata.annotations?.[RESTARTED_AT_ANNOTATION]) && pods;
      }, 'the restarted pods');
      expect(fresh).toHaveLength(2);
      expect(await env.list(REPLICASETS, ns)).toHaveLength(2);
    });

    it('a new action restarts again', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('twice', { replicas: 1 })]);
      await env.readyPods(ns, 'twice', 1);
      const dep = (await env.get(DEPLOYMENTS, ns, 'twice'))!;
      await env.activities.executeAction(input(refOf(dep), rollout));
      // A real Deployment controller acts on the latest template: two restarts before it syncs
      // would make one new ReplicaSet, not two. Let it see the first.
      await waitFor(
        async () => (await env.list(REPLICASETS, ns)).length === 2,
        "the first restart's ReplicaSet",
      );
      const later = input(refOf(dep), rollout);
      await expect(env.activities.executeAction(later)).resolves.toMatchObject({ outcome: 'applied' });
      expect(await templateRestartedAt(ns, 'twice')).toBe(new Date(later.decidedAtMs).toISOString());
      await waitFor(async () => (await env.list(REPLICASETS, ns)).length === 3, 'a ReplicaSet per restart');
    });

    it('dry run changes neither the template nor the ReplicaSets', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('calm', { replicas: 1 })]);
      await env.readyPods(ns, 'calm', 1);
      const dep = (await env.get(DEPLOYMENTS, ns, 'calm'))!;

      const result = await env.activities.executeAction(input(refOf(dep), rollout, { dryRun: true }));

      expect(result.outcome).toBe('dry-run');
      expect(result.changes[0]?.newValue).toBeTruthy();
      await sleep(300);
      const now = (await env.get(DEPLOYMENTS, ns, 'calm'))!;
      expect(now.metadata.generation).toBe(dep.metadata.generation);
      expect(now.metadata.annotations?.['kubeskippy.io/last-action']).toBeUndefined();
      expect(await templateRestartedAt(ns, 'calm')).toBeUndefined();
      expect(await env.list(REPLICASETS, ns)).toHaveLength(1);
    });

    it('reports target-gone when the Deployment was recreated (uid changed)', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [deployment('re', { replicas: 1 })]);
      const dep = (await env.get(DEPLOYMENTS, ns, 're'))!;
      await env.remove(DEPLOYMENTS, ns, 're');
      await env.apply(ns, [deployment('re', { replicas: 1 })]);

      const result = await env.activities.executeAction(input(refOf(dep), rollout));

      expect(result.outcome).toBe('target-gone');
      expect(await templateRestartedAt(ns, 're')).toBeUndefined();
    });
  });
}
