// Scale and patch executors through the real client, as one suite run against the simulated cluster (test/integration/) and the real
// control plane (test/real/api-conformance-activities-*): bounds hold,
// a retried action never applies twice, patches stay inside their allow-list and can be reverted,
// and a dry run changes nothing.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_ACTION_ANNOTATION, type NormalizedAction } from '../../../activities/executors/types.js';
import { normalizedAction, ofType } from '../../fixtures/domain-builders.js';
import type { KObject } from '../../../sim/contract.js';
import { DEPLOYMENTS, input, refOf, rejection, STATEFULSETS } from '../activities-sim.js';
import { settledDeployment, type ActivityTarget } from '../activities-target.js';
import { deployment, statefulSet } from '../sim-fixtures.js';

export function activitiesScalePatchSuite(start: () => Promise<ActivityTarget>): void {
  let env: ActivityTarget;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => env?.stop());

  const scale = (direction: 'up' | 'down' | 'absolute', replicas: number): NormalizedAction =>
    normalizedAction('scale', { scaleAction: { direction, replicas, minReplicas: 1, maxReplicas: 5 } });
  const replicas = async (ns: string, name: string): Promise<number> =>
    (await env.get(DEPLOYMENTS, ns, name))?.spec?.replicas;
  /** What a write by us would change (controllers keep bumping resourceVersion for status). */
  const written = (o: KObject | undefined): unknown => ({
    generation: o?.metadata.generation,
    spec: o?.spec,
    mark: o?.metadata.annotations?.[LAST_ACTION_ANNOTATION],
  });

  async function web(ns: string, n: number): Promise<KObject> {
    await env.apply(ns, [deployment('web', { replicas: n })]);
    return (await env.get(DEPLOYMENTS, ns, 'web'))!;
  }

  describe('scale', () => {
    it('scales up, down and to an absolute count within the bounds', async () => {
      const ns = await env.namespace();
      const ref = refOf(await web(ns, 2));
      const steps: [NormalizedAction, number][] = [
        [scale('up', 2), 4],
        [scale('down', 1), 3],
        [scale('absolute', 5), 5],
        [scale('down', 9), 1],
        [scale('absolute', 0), 1],
      ];
      const seen: number[] = [];
      for (const [action, want] of steps) {
        if (
          action.type === 'scale' &&
          action.scaleAction.direction === 'absolute' &&
          (await replicas(ns, 'web')) === want
        ) {
          await expect(env.activities.executeAction(input(ref, action))).rejects.toMatchObject({
            type: 'NoScaleChange',
          });
        } else {
          const result = await env.activities.executeAction(input(ref, action));
          expect(result.outcome).toBe('applied');
          expect(result.details?.toReplicas).toBe(String(want));
        }
        seen.push(await replicas(ns, 'web'));
      }
      expect(seen).toEqual([4, 3, 5, 1, 1]);
    });

    it('a retry of the same action finds its mark and does not add replicas twice', async () => {
      const ns = await env.namespace();
      const attempt = input(refOf(await web(ns, 2)), scale('up', 2));

      const first = await env.activities.executeAction(attempt);
      const retry = await env.activities.executeAction(attempt);

      expect(first).toMatchObject({ outcome: 'applied', details: { fromReplicas: '2', toReplicas: '4' } });
      expect(retry).toMatchObject({
        outcome: 'already-applied',
        details: { fromReplicas: '2', toReplicas: '4' },
      });
      expect(await replicas(ns, 'web')).toBe(4);
    });

    it('at maxReplicas refuses with a non-retryable NoScaleChange and leaves the workload', async () => {
      const ns = await env.namespace();
      const dep = await web(ns, 5);

      const err = await rejection(env.activities.executeAction(input(refOf(dep), scale('up', 1))));

      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'NoScaleChange', nonRetryable: true });
      expect(written(await env.get(DEPLOYMENTS, ns, 'web'))).toEqual(written(dep));
    });

    it('never scales down a workload someone scaled above maxReplicas when asked to scale up', async () => {
      const ns = await env.namespace();
      const dep = await web(ns, 8);
      await expect(env.activities.executeAction(input(refOf(dep), scale('up', 1)))).rejects.toMatchObject({
        type: 'NoScaleChange',
        nonRetryable: true,
      });
      expect(await replicas(ns, 'web')).toBe(8);
    });

    it('dry run reports the change and makes none', async () => {
      const ns = await env.namespace();
      const dep = await web(ns, 2);

      const result = await env.activities.executeAction(input(refOf(dep), scale('up', 1), { dryRun: true }));

      expect(result).toMatchObject({ outcome: 'dry-run', details: { fromReplicas: '2', toReplicas: '3' } });
      expect(written(await env.get(DEPLOYMENTS, ns, 'web'))).toEqual(written(dep));
      expect(await replicas(ns, 'web')).toBe(2);
    });

    it('scales a StatefulSet too', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [statefulSet('db', { replicas: 1 })]);
      const sts = (await env.get(STATEFULSETS, ns, 'db'))!;
      await expect(env.activities.executeAction(input(refOf(sts), scale('up', 1)))).resolves.toMatchObject({
        outcome: 'applied',
      });
      expect((await env.get(STATEFULSETS, ns, 'db'))?.spec?.replicas).toBe(2);
    });

    it('reports target-gone and scales nothing when the workload was recreated (uid changed)', async () => {
      const ns = await env.namespace();
      const original = await web(ns, 2);
      await env.remove(DEPLOYMENTS, ns, 'web');
      const recreated = await web(ns, 2);

      const result = await env.activities.executeAction(input(refOf(original), scale('up', 2)));

      expect(result.outcome).toBe('target-gone');
      expect(written(await env.get(DEPLOYMENTS, ns, 'web'))).toEqual(written(recreated));
    });

    it('reports target-gone for a workload that no longer exists', async () => {
      const ns = await env.namespace();
      const ref = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: ns,
        name: 'none',
        uid: 'never-was',
      };
      await expect(env.activities.executeAction(input(ref, scale('up', 1)))).resolves.toMatchObject({
        outcome: 'target-gone',
      });
    });
  });

  /** A Deployment whose container already has env A=1 and B=2. */
  async function withEnv(ns: string, name = 'app'): Promise<KObject> {
    const d = deployment(name, { replicas: 1 });
    d.spec.template.spec.containers[0].env = [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ];
    await env.apply(ns, [d]);
    return settledDeployment(env, ns, name);
  }
  const envOf = (o: KObject | undefined): unknown => o?.spec?.template?.spec?.containers?.[0]?.env;
  const patch = (
    patchType: 'strategic' | 'merge' | 'json',
    document: unknown,
    allowedPaths = ['/spec/template/spec/containers'],
  ): NormalizedAction =>
    normalizedAction('patch', {
      patchAction: {
        type: patchType,
        patch: typeof document === 'string' ? document : JSON.stringify(document),
        allowedPaths,
      },
    });
  const envPatch = patch('strategic', {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              env: [
                { name: 'B', value: '20' },
                { name: 'C', value: '3' },
              ],
            },
          ],
        },
      },
    },
  });

  describe('patch', () => {
    it('merges a strategic patch of container env by name and records how to undo it', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);

      const result = await env.activities.executeAction(input(refOf(dep), envPatch));

      expect(result.outcome).toBe('applied');
      expect(envOf(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual([
        { name: 'A', value: '1' },
        { name: 'B', value: '20' },
        { name: 'C', value: '3' },
      ]);
      expect(result.changes.length).toBeGreaterThan(0);
      expect(result.changes.every((c) => c.field?.startsWith('/spec/template/spec/containers/0/env'))).toBe(
        true,
      );
      expect(JSON.parse(result.inversePatch!)).not.toEqual([]);
    });

    it('reverts a patch to the original fields, and reverting again changes nothing', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);
      const result = await env.activities.executeAction(input(refOf(dep), envPatch));

      const reverted = await env.activities.revertPatch({
        target: refOf(dep),
        inversePatch: result.inversePatch!,
      });
      const after = (await env.get(DEPLOYMENTS, ns, 'app'))!;
      const again = await env.activities.revertPatch({
        target: refOf(dep),
        inversePatch: result.inversePatch!,
      });

      expect(reverted.length).toBeGreaterThan(0);
      expect(envOf(after)).toEqual(envOf(dep));
      expect(again).toEqual([]);
      expect(written(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual(written(after));
    });

    it('refuses a patch that would change a path outside allowedPaths, and changes nothing', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);
      const sneaky = patch('strategic', {
        spec: {
          replicas: 7,
          template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '9' }] }] } },
        },
      });

      const err = await rejection(env.activities.executeAction(input(refOf(dep), sneaky)));

      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'PatchPathNotAllowed', nonRetryable: true });
      expect(err.message).toMatch('/spec/replicas');
      const now = (await env.get(DEPLOYMENTS, ns, 'app'))!;
      expect(written(now)).toEqual(written(dep));
      expect(now.spec.replicas).toBe(1);
    });

    it('refuses a patch whose effect sets a privileged field, even inside allowedPaths', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);
      // Admission refuses this document today (crds/validate.ts), but a workflow started before
      // that rule carries its action as it was normalized then: the executor judges the effect.
      const allowed = ofType(
        patch('strategic', { spec: { template: { metadata: { labels: { x: 'y' } } } } }, ['/spec/template']),
        'patch',
      );
      const escaped = String.raw`{"spec":{"template":{"spec":{"containers":[{"name":"app","securityC\u006fntext":{"privileged":true}}]}}}}`;
      const old = { ...allowed, patchAction: { ...allowed.patchAction, patch: escaped } };

      const err = await rejection(env.activities.executeAction(input(refOf(dep), old)));

      expect(err).toMatchObject({ type: 'PatchPathNotAllowed', nonRetryable: true });
      expect(err.message).toContain('sets securityContext, which a healing patch may never change');
      expect(written(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual(written(dep));
    });

    it('applies a merge patch', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);
      const merge = patch('merge', { spec: { template: { metadata: { labels: { tier: 'gold' } } } } }, [
        '/spec/template/metadata/labels',
      ]);

      const result = await env.activities.executeAction(input(refOf(dep), merge));

      expect(result.outcome).toBe('applied');
      expect((await env.get(DEPLOYMENTS, ns, 'app'))?.spec.template.metadata.labels).toEqual({
        app: 'app',
        tier: 'gold',
      });
      expect(envOf(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual(envOf(dep));
    });

    it('applies a JSON patch and reverts it', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);
      const json = patch('json', [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'busybox:1.37' },
      ]);

      const result = await env.activities.executeAction(input(refOf(dep), json));

      expect(result.outcome).toBe('applied');
      expect(result.changes).toEqual([
        expect.objectContaining({
          field: '/spec/template/spec/containers/0/image',
          oldValue: '"busybox:1.36"',
          newValue: '"busybox:1.37"',
        }),
      ]);
      expect((await env.get(DEPLOYMENTS, ns, 'app'))?.spec.template.spec.containers[0].image).toBe(
        'busybox:1.37',
      );
      await env.activities.revertPatch({ target: refOf(dep), inversePatch: result.inversePatch! });
      expect((await env.get(DEPLOYMENTS, ns, 'app'))?.spec.template.spec.containers[0].image).toBe(
        'busybox:1.36',
      );
    });

    it('patches an object that has no annotations yet (a StatefulSet)', async () => {
      const ns = await env.namespace();
      await env.apply(ns, [statefulSet('db', { replicas: 1 })]);
      const sts = (await env.get(STATEFULSETS, ns, 'db'))!;
      expect(sts.metadata.annotations).toBeUndefined();
      const merge = patch('merge', { spec: { template: { metadata: { labels: { tier: 'gold' } } } } }, [
        '/spec/template',
      ]);

      const result = await env.activities.executeAction(input(refOf(sts), merge));

      expect(result.outcome).toBe('applied');
      expect((await env.get(STATEFULSETS, ns, 'db'))?.spec.template.metadata.labels).toMatchObject({
        tier: 'gold',
      });
    });

    it('reports target-gone and patches nothing when the workload was recreated (uid changed)', async () => {
      const ns = await env.namespace();
      const original = await withEnv(ns);
      await env.remove(DEPLOYMENTS, ns, 'app');
      const recreated = await withEnv(ns);

      const result = await env.activities.executeAction(input(refOf(original), envPatch));

      expect(result.outcome).toBe('target-gone');
      expect(written(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual(written(recreated));
    });

    it('a retry of the same action is already-applied and patches once', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);
      const attempt = input(refOf(dep), envPatch);

      await env.activities.executeAction(attempt);
      const once = written(await env.get(DEPLOYMENTS, ns, 'app'));
      const retry = await env.activities.executeAction(attempt);

      expect(retry.outcome).toBe('already-applied');
      expect(written(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual(once);
    });

    it('dry run records the would-be change and changes nothing', async () => {
      const ns = await env.namespace();
      const dep = await withEnv(ns);

      const result = await env.activities.executeAction(input(refOf(dep), envPatch, { dryRun: true }));

      expect(result.outcome).toBe('dry-run');
      expect(result.changes.map((c) => c.field)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^\/spec\/template\/spec\/containers\/0\/env/)]),
      );
      expect(written(await env.get(DEPLOYMENTS, ns, 'app'))).toEqual(written(dep));
    });
  });
}
