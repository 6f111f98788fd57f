// Slide 5 end to end: a crash-looping Deployment. Restarts are counted within the trigger's window
// (not the pod's lifetime), and the remediation either patches the owner's template to a healthy
// behaviour or escalates from a pod restart to that patch when the restart does not heal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  deploymentOf,
  describeActions,
  healingPolicy,
  podsOf,
  policyHandle,
  sleep,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { crashLoopingDeployment, patchToHealthy } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  // 0.1: a crash 50ms after each start, back-off 1s, 2s, 4s, 8s ...
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

// It crashes before it could become Ready (1s), so no check ever sees it healthy by chance.
const crashing = (name: string): ReturnType<typeof crashLoopingDeployment> =>
  crashLoopingDeployment(name, '500ms');

const restarts = (pod: { status?: { containerStatuses?: { restartCount: number }[] } }): number =>
  (pod.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);

/** The app's pods are Ready and none of them restarts any more. */
async function expectStable(app: string): Promise<void> {
  const ready = await eventually(`${app} running a ready pod`, () => {
    const pods = podsOf(engine, app);
    return pods.length === 1 &&
      pods[0]!.status?.conditions?.some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      )
      ? pods[0]
      : undefined;
  });
  const before = restarts(ready);
  await sleep(3000); // six crash periods at this time scale
  const after = podsOf(engine, app);
  expect(after.map((p) => p.metadata.uid)).toEqual([ready.metadata.uid]);
  expect(restarts(after[0]!)).toBe(before);
}

describe('crash loop', () => {
  it('counts restarts within the window, not the lifetime, and patches the owner to healthy', async () => {
    engine.apply([crashing('crash-window')]);
    // Let the pod build up a lifetime of restarts, and grow older than the window, before the
    // policy exists (restarts of a pod created inside the window are all recent and would count).
    await eventually('3 restarts and 11s of age before the policy', () =>
      podsOf(engine, 'crash-window').some(
        (p) => restarts(p) >= 3 && Date.now() - Date.parse(p.metadata.creationTimestamp!) > 11_000,
      ),
    );
    engine.apply([
      healingPolicy(engine.namespace, 'crash-window', 'crash-window', {
        triggers: [
          {
            name: 'restarts',
            type: 'metric',
            metricTrigger: { query: 'restart_count', operator: '>', threshold: 0, window: '10s' },
            cooldownPeriod: '5m',
          },
        ],
        actions: [{ name: 'heal-template', type: 'patch', patchAction: patchToHealthy }],
        verification: { delay: '1s', timeout: '30s', interval: '1s' },
      }),
    ]);
    const done = await eventually(
      'a terminal patch action',
      () => actionsOf(engine, 'crash-window').find((a) => a.status?.completionTime),
      45_000,
    );
    expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
    expect(done.spec.targetResource).toMatchObject({ kind: 'Deployment', name: 'crash-window' });
    // Fired on a restart inside the window, while the pod had 3 more from before in its lifetime
    // (a lifetime count would have fired at the first evaluation with all of them).
    const inWindow = Number(done.spec.trigger!.observedValue);
    expect(inWindow).toBeGreaterThanOrEqual(1);
    expect(Number(done.status!.result!.before!.restarts)).toBeGreaterThanOrEqual(inWindow + 3);
    // The template now says healthy, and only the allow-listed path changed.
    const template = deploymentOf(engine, 'crash-window').spec.template;
    expect(template.metadata.annotations['sim.kubeskippy.io/behavior']).toBe('healthy');
    expect(template.spec.containers[0].resources.limits).toEqual({ memory: '128Mi', cpu: '200m' });
    expect(done.status!.result!.changes!.map((c) => c.field)).toEqual([
      '/spec/template/metadata/annotations/sim.kubeskippy.io~1behavior',
    ]);
    await expectStable('crash-window');
    expect(actionsOf(engine, 'crash-window')).toHaveLength(1);
    await recordHistories(engine, 'crashloop-patch', {
      policy: policyHandle(engine, 'crash-window').workflowId,
      action: done.status!.workflowId!,
    });
  });

  it('escalates from deleting the CrashLoopBackOff pod to patching its owner, and ends stable', async () => {
    engine.apply([
      crashing('crash-ladder'),
      healingPolicy(engine.namespace, 'crash-ladder', 'crash-ladder', {
        triggers: [
          {
            name: 'backoff',
            type: 'condition',
            conditionTrigger: { type: 'CrashLoopBackOff' },
            cooldownPeriod: '5m',
          },
        ],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            priority: 100,
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
          { name: 'heal-template', type: 'patch', priority: 50, patchAction: patchToHealthy },
        ],
        // minReadyReplicas 0: a crash-looping single replica is not ready anyway. One action at a
        // time, so the replacement's fire waits for rung 1's verdict (see the report on ladders).
        safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 5, maxConcurrentActions: 1 },
        verification: { delay: '1s', timeout: '4s', interval: '1s' },
      }),
    ]);
    const patched = await eventually(
      () => `the patch rung to finish: ${describeActions(engine, 'crash-ladder')}`,
      () =>
        actionsOf(engine, 'crash-ladder').find(
          (a) => a.spec.action.name === 'heal-template' && a.status?.completionTime,
        ),
      45_000,
    );
    const all = actionsOf(engine, 'crash-ladder');
    const first = all[0]!;
    // Rung 1 really deleted the pod it fired on; its replacement crashed again, so it failed.
    expect(first.spec.action.name).toBe('delete-pod');
    expect(first.status, JSON.stringify(first.status)).toMatchObject({
      phase: 'Failed',
      reason: 'NotHealed',
    });
    expect(
      engine.sim.store
        .list('core/v1/pods', { namespace: engine.namespace })
        .some((p) => p.metadata.uid === first.spec.targetResource.uid),
    ).toBe(false);
    expect(patched.status, JSON.stringify(patched.status)).toMatchObject({ phase: 'Succeeded' });
    expect(deploymentOf(engine, 'crash-ladder').spec.template.metadata.annotations).toMatchObject({
      'sim.kubeskippy.io/behavior': 'healthy',
    });
    await expectStable('crash-ladder');
  });
});
