// "It proves the fix worked": with verification.stabilityPeriod, healed must hold check after
// check. A replacement that is Ready for a few seconds and then crashes again is a relapse, not a
// success; without a period (the default, like minReadySeconds: 0) the first healthy check counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, describeActions, healingPolicy } from '../support/engine-scenarios.js';
import { crashLoopingDeployment, patchToHealthy } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  // 0.1: each container start is Ready after ~0.1s and crashes 8s later; back-off 1s, 2s, ...
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const relapsing = (name: string): ReturnType<typeof crashLoopingDeployment> =>
  crashLoopingDeployment(name, '80s');

function restartOnCrash(
  app: string,
  verification: Record<string, unknown>,
): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, app, app, {
    triggers: [
      {
        name: 'restarts',
        type: 'metric',
        metricTrigger: { query: 'restart_count', operator: '>', threshold: 0, window: '10s' },
        cooldownPeriod: '10m',
      },
    ],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    // One action each: the story is the first action's verdict.
    safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1, maxConcurrentActions: 1 },
    verification: { delay: '1s', interval: '1s', ...verification },
  });
}

const finished = (policy: string): Promise<HealingAction> =>
  eventually(
    () => `${policy}'s action to finish: ${describeActions(engine, policy)}`,
    () => actionsOf(engine, policy).find((a) => a.status?.completionTime),
    90_000,
  );

const seconds = (from?: string, to?: string): number => (Date.parse(to!) - Date.parse(from!)) / 1000;

describe('verification stability', () => {
  it('a replacement that crashes again within the stability period is a relapse: Failed, not Succeeded', async () => {
    engine.apply([
      relapsing('relapse-stable'),
      relapsing('relapse-instant'),
      restartOnCrash('relapse-stable', { timeout: '20s', stabilityPeriod: '10s' }),
      restartOnCrash('relapse-instant', { timeout: '20s' }),
    ]);
    const [stable, instant] = await Promise.all([finished('relapse-stable'), finished('relapse-instant')]);

    // Same app, same action: the replacement was Ready at the first check, then crashed at ~8s.
    expect(stable.status, JSON.stringify(stable.status)).toMatchObject({
      phase: 'Failed',
      reason: 'NotHealed',
    });
    expect(stable.status!.message).toMatch(
      /^not healed within 20s: .*\(relapsed [1-9]\d*× after looking healed\)/,
    );
    // Without a period the first healthy check was taken for a cure.
    expect(instant.status, JSON.stringify(instant.status)).toMatchObject({ phase: 'Succeeded' });
    expect(seconds(instant.status!.executionTime, instant.status!.completionTime)).toBeLessThan(8);
  });

  it('a fix that holds for the whole period succeeds, and says it held', async () => {
    const app = 'relapse-fixed';
    engine.apply([
      relapsing(app),
      healingPolicy(engine.namespace, app, app, {
        triggers: [
          {
            name: 'restarts',
            type: 'metric',
            metricTrigger: { query: 'restart_count', operator: '>', threshold: 0, window: '10s' },
            cooldownPeriod: '10m',
          },
        ],
        actions: [
          {
            name: 'heal-template',
            type: 'patch',
            patchAction: patchToHealthy,
          },
        ],
        safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1 },
        verification: { delay: '1s', interval: '1s', timeout: '40s', stabilityPeriod: '6s' },
      }),
    ]);
    const done = await finished(app);
    expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
    expect(done.status!.message).toMatch(/and stayed so for 6s$/);
    expect(seconds(done.status!.executionTime, done.status!.completionTime)).toBeGreaterThanOrEqual(6);
  });
});
