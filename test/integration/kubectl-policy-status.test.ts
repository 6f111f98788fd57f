// What a person at a terminal sees, through the real kubectl against the sim with the operator
// running (issue 16): `kubectl get hp` shows the mode in effect and whether the policy is paused
// after a setMode and a pause sent to the workflow (not written to the CR by hand: the status
// mirror carries them), `-o wide` the active triggers and the last evaluation; and
// `kubectl describe ha` lists the Events written on the HealingAction itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIRROR_TIMINGS } from '../../operator/controller/status-mirror.js';
import { pauseSignal, setModeSignal } from '../../workflows/messages.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  policyHandle,
} from '../support/engine-scenarios.js';
import { kubectlFor, type Kubectl } from '../support/kubectl.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
let kubectl: Kubectl;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
  kubectl = kubectlFor(engine.kubeconfig);
});
afterAll(() => engine?.stop());

// A change reaches the CR within maxInterval plus a pass (engine-status-mirror.test.ts).
const CHANGE_BOUND_MS = DEFAULT_MIRROR_TIMINGS.maxIntervalMs + DEFAULT_MIRROR_TIMINGS.statusIntervalMs + 1000;

/** kubectl's table as rows of header → cell, cut at the header's column starts (headers hold spaces). */
function table(out: string): Record<string, string>[] {
  const [header, ...rows] = out.trimEnd().split('\n');
  const starts = [...header!.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return rows.map((row) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, row.slice(c.at, starts[i + 1]?.at ?? row.length).trim()]),
    ),
  );
}

const getHp = async (...extra: string[]): Promise<Record<string, string>> =>
  table(await kubectl('get', 'hp', 'cols', '-n', engine.namespace, ...extra))[0]!;

describe('kubectl on a running policy', () => {
  it('get hp shows the mode in effect and PAUSED after setMode and pause; -o wide the active triggers', async () => {
    engine.apply([
      deployment('cols-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'cols', 'cols-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '30m' })],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1 },
        verification: { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
      }),
    ]);
    await eventually(
      () => `a Succeeded action: ${describeActions(engine, 'cols')}`,
      () => actionsOf(engine, 'cols').find((a) => a.status?.phase === 'Succeeded'),
      45_000,
    );
    const before = await eventually(
      'ACTIONS 1 in kubectl get hp',
      async () => {
        const row = await getHp();
        return row['ACTIONS'] === '1' ? row : undefined;
      },
      CHANGE_BOUND_MS,
    );
    expect(before).toMatchObject({ NAME: 'cols', MODE: 'automatic', READY: 'True' });
    expect(before['PAUSED']).not.toBe('True');
    expect(before['LAST ACTION']).toMatch(/^\d+s$/);

    // Sent to the workflow, as `kubeskippy policy mode|pause` do: only the mirror tells the CR.
    await policyHandle(engine, 'cols').signal(setModeSignal, 'dryrun');
    await policyHandle(engine, 'cols').signal(pauseSignal, { by: 'test' });
    const after = await eventually(
      async () => `MODE dryrun and PAUSED True; kubectl says ${JSON.stringify(await getHp())}`,
      async () => {
        const row = await getHp();
        return row['MODE'] === 'dryrun' && row['PAUSED'] === 'True' ? row : undefined;
      },
      CHANGE_BOUND_MS,
    );
    expect(after).toMatchObject({ NAME: 'cols', READY: 'True', ACTIONS: '1' });
    const wide = await getHp('-o', 'wide');
    expect(wide['ACTIVE TRIGGERS']).toMatch(/busy/);
    expect(wide['LAST EVALUATED']).toMatch(/^\d+s$/);
  }, 120_000);

  it('describe ha lists the Events written on the HealingAction', async () => {
    const action = actionsOf(engine, 'cols').find((a) => a.status?.phase === 'Succeeded')!;
    const out = await kubectl('describe', 'ha', action.metadata.name!, '-n', engine.namespace);
    const events = out.slice(out.lastIndexOf('\nEvents:'));
    expect(events, out).toMatch(/Normal\s+HealingSucceeded\s+.*kubeskippy/);
    expect(events).not.toMatch(/<none>/);
  });
});
