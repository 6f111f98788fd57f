// A patch that does not heal is reverted, end to end: a crash-looping Deployment is patched to
// another crash-looping behaviour, verification times out, and the operator restores the template
// it changed. The HealingAction says so (Failed, NotHealedReverted, the revert in its changes);
// with rollbackOnFailure: false the same failure leaves the patch in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  deploymentOf,
  describeActions,
  eventsWith,
  healingPolicy,
  podsOf,
  sleep,
} from '../support/engine-scenarios.js';
import { crashLoopingDeployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  // 0.1: a crash 50ms after each start, back-off 1s, 2s, 4s ...
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const crashing = (name: string): ReturnType<typeof crashLoopingDeployment> =>
  crashLoopingDeployment(name, '500ms');

/** Still a crash loop, only a later one: the patch applies cleanly and heals nothing. */
const stillCrashing = {
  type: 'strategic',
  patch: JSON.stringify({
    spec: { template: { metadata: { annotations: { 'sim.kubeskippy.io/crash-after': '700ms' } } } },
  }),
  allowedPaths: ['/spec/template/metadata/annotations'],
};
const FIELD = '/spec/template/metadata/annotations/sim.kubeskippy.io~1crash-after';

const policyFor = (app: string, rollbackOnFailure: boolean): ReturnType<typeof healingPolicy> =>
  healingPolicy(engine.namespace, app, app, {
    triggers: [
      {
        name: 'restarts',
        type: 'metric',
        metricTrigger: { query: 'restart_count', operator: '>', threshold: 0, window: '10s' },
        cooldownPeriod: '10m',
      },
    ],
    actions: [{ name: 'tweak-template', type: 'patch', patchAction: stillCrashing }],
    verification: { delay: '1s', timeout: '4s', interval: '1s', rollbackOnFailure },
  });

/** Records every value the crash-after annotation of the app's template takes, in order. */
function watchTemplate(app: string): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const timer = setInterval(() => {
    const v = String(
      deploymentOf(engine, app).spec.template.metadata.annotations['sim.kubeskippy.io/crash-after'],
    );
    if (seen.at(-1) !== v) seen.push(v);
  }, 20);
  return { seen, stop: () => clearInterval(timer) };
}

async function crashLooping(app: string): Promise<string> {
  engine.apply([crashing(app)]);
  await eventually(`${app} restarting`, () =>
    podsOf(engine, app).some((p) =>
      (p.status?.containerStatuses ?? []).some((c: { restartCount: number }) => c.restartCount > 0),
    ),
  );
  return JSON.stringify(deploymentOf(engine, app).spec.template);
}

describe('a patch that does not heal', () => {
  it('is reverted: Failed with NotHealedReverted, the revert recorded, the template restored', async () => {
    const template = await crashLooping('revert-app');
    const watch = watchTemplate('revert-app');
    try {
      engine.apply([policyFor('revert-app', true)]);
      const done = await eventually(
        () => `a finished patch action: ${describeActions(engine, 'revert-app')}`,
        () => actionsOf(engine, 'revert-app').find((a) => a.status?.completionTime),
        60_000,
      );
      expect(done.spec.targetResource).toMatchObject({ kind: 'Deployment', name: 'revert-app' });
      expect(done.status, JSON.stringify(done.status)).toMatchObject({
        phase: 'Failed',
        reason: 'NotHealedReverted',
      });
      expect(done.status!.message).toMatch(/^not healed within 4s: .*; patch reverted$/);
      // The patch, then its revert, each on the one field it changed.
      expect(done.status!.result!.changes).toEqual([
        expect.objectContaining({
          changeType: 'patch',
          field: FIELD,
          oldValue: '"500ms"',
          newValue: '"700ms"',
        }),
        expect.objectContaining({
          changeType: 'patch',
          field: FIELD,
          oldValue: '"700ms"',
          newValue: '"500ms"',
        }),
      ]);
      expect(done.status!.result!.success).toBe(false);
      // The patch really landed in the cluster, and the template is byte for byte what it was.
      expect(watch.seen).toEqual(['500ms', '700ms', '500ms']);
      expect(JSON.stringify(deploymentOf(engine, 'revert-app').spec.template)).toBe(template);
      // The Event is written just after the final status (a step later in the workflow).
      await eventually('a HealingFailed Event on the Deployment', () =>
        eventsWith(engine, 'HealingFailed', 'revert-app').some(
          (e) => (e as { involvedObject?: { kind?: string } }).involvedObject?.kind === 'Deployment',
        )
          ? true
          : undefined,
      );
      await sleep(2000); // the cooldown holds: no second attempt, no second change
      expect(actionsOf(engine, 'revert-app')).toHaveLength(1);
      expect(watch.seen).toEqual(['500ms', '700ms', '500ms']);
    } finally {
      watch.stop();
    }
  });

  it('with rollbackOnFailure: false fails NotHealed and leaves the patch in place', async () => {
    await crashLooping('keep-app');
    engine.apply([policyFor('keep-app', false)]);
    const done = await eventually(
      () => `a finished patch action: ${describeActions(engine, 'keep-app')}`,
      () => actionsOf(engine, 'keep-app').find((a) => a.status?.completionTime),
      60_000,
    );
    expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Failed', reason: 'NotHealed' });
    expect(done.status!.message).not.toContain('reverted');
    expect(done.status!.result!.changes).toEqual([
      expect.objectContaining({ field: FIELD, oldValue: '"500ms"', newValue: '"700ms"' }),
    ]);
    expect(deploymentOf(engine, 'keep-app').spec.template.metadata.annotations).toMatchObject({
      'sim.kubeskippy.io/crash-after': '700ms',
    });
  });
});
