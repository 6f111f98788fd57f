// An executor retried after an attempt whose call landed but whose worker died before reporting
// it (what test/chaos/worker-kill.test.ts does with SIGKILL): the retry must neither repeat the
// destructive call nor lose what the first attempt knew. Counted at the sim's API server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeAction, revertPatch } from '../../activities/executors/index.js';
import type { NormalizedAction } from '../../activities/executors/types.js';
import { normalizedAction } from '../fixtures/domain-builders.js';
import { DEPLOYMENTS, input, refOf } from '../support/activities-sim.js';
import { settledDeployment, simActivityTarget, type ActivityTarget } from '../support/activities-target.js';
import { deployment } from '../support/sim-fixtures.js';

let env: ActivityTarget;
beforeAll(async () => {
  env = await simActivityTarget();
});
afterAll(() => env?.stop());

const restart = (strategy: 'evict' | 'delete', gracePeriodSeconds: number): NormalizedAction =>
  normalizedAction('restart', { restartAction: { strategy, gracePeriodSeconds } });
const podCalls = (ns: string, name: string): number => {
  const r = env.sim!.requests();
  return (
    (r[`POST /api/v1/namespaces/${ns}/pods/${name}/eviction`] ?? 0) +
    (r[`DELETE /api/v1/namespaces/${ns}/pods/${name}`] ?? 0)
  );
};

describe('a retried restart', () => {
  it.each([
    ['evict', 2],
    ['delete', 0],
  ] as const)('by %s is not sent again and is recorded as done', async (strategy, grace) => {
    const ns = await env.namespace();
    await env.apply(ns, [deployment('web', { replicas: 2 })]);
    const [victim] = await env.readyPods(ns, 'web', 2);
    const first = input(refOf(victim!), restart(strategy, grace));
    expect((await executeAction(env.kube, { ...first, attempt: 1 })).outcome).toBe('applied');
    // Attempt 2 of the same action: the pod is terminating (grace 2 s) or gone (grace 0).
    const retry = await executeAction(env.kube, { ...first, attempt: 2 });
    expect(retry.outcome).toBe('already-applied');
    expect(retry.changes).toEqual([
      expect.objectContaining({ field: 'metadata.uid', oldValue: victim!.metadata.uid }),
    ]);
    expect(podCalls(ns, victim!.metadata.name!)).toBe(1);
  });

  it('is sent when the pod is still there (the first attempt failed before its call)', async () => {
    const ns = await env.namespace();
    await env.apply(ns, [deployment('web', { replicas: 1 })]);
    const [victim] = await env.readyPods(ns, 'web', 1);
    const retry = await executeAction(env.kube, {
      ...input(refOf(victim!), restart('evict', 2)),
      attempt: 2,
    });
    expect(retry.outcome).toBe('applied');
    expect(podCalls(ns, victim!.metadata.name!)).toBe(1);
  });
});

describe('a retried patch', () => {
  it('finds its mark and still returns the inverse, so a patch that did not heal is reverted', async () => {
    const ns = await env.namespace();
    await env.apply(ns, [deployment('web', { replicas: 1, behaviour: { 'crash-after': '500ms' } })]);
    const dep = await settledDeployment(env, ns, 'web');
    const action = normalizedAction('patch', {
      patchAction: {
        type: 'strategic',
        patch: JSON.stringify({
          spec: { template: { metadata: { annotations: { 'sim.kubeskippy.io/crash-after': '700ms' } } } },
        }),
        allowedPaths: ['/spec/template/metadata/annotations'],
      },
    });
    const first = input(refOf(dep), action);
    const patchesOf = (): number =>
      env.sim!.requests()[`PATCH /apis/apps/v1/namespaces/${ns}/deployments/web`] ?? 0;
    const before = patchesOf(); // the apply above was a PATCH too
    const applied = await executeAction(env.kube, { ...first, attempt: 1 });
    expect(applied.outcome).toBe('applied');
    // The reply of attempt 1 is lost with its worker; attempt 2 finds the mark.
    const retry = await executeAction(env.kube, { ...first, attempt: 2 });
    expect(retry.outcome).toBe('already-applied');
    expect(retry.inversePatch).toBe(applied.inversePatch);
    const reverted = await revertPatch(env.kube, refOf(dep), retry.inversePatch!, 1);
    const after = await env.get(DEPLOYMENTS, ns, 'web');
    expect(after?.spec.template.metadata.annotations['sim.kubeskippy.io/crash-after']).toBe('500ms');
    // The revert's reply is lost too: its retry finds nothing left to do, writes nothing, and
    // still reports the revert, so the action is recorded NotHealedReverted.
    const again = await revertPatch(env.kube, refOf(dep), retry.inversePatch!, 2);
    expect(again.map((c) => c.field)).toEqual(reverted.map((c) => c.field));
    expect(again.length).toBeGreaterThan(0);
    expect(patchesOf() - before).toBe(2); // the patch and its revert, nothing more
  });
});
