// Operating a policy by hand, as users will: pause / resume / setMode with the real `temporal`
// CLI; and bad input: an invalid HealingPolicy gets Ready=False naming the field, and no workflow.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { HealingAction } from '../../crds/healing-action.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyWorkflowId } from '../../domain/ids.js';
import { KubeSkippyMode } from '../../workflows/search-attributes.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  policyHandle,
  policyStatus,
  sleep,
  temporalCli,
} from '../support/engine-scenarios.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

const signal = (name: string, ...input: string[]): Promise<string> =>
  temporalCli(engine, [
    'workflow',
    'signal',
    '--workflow-id',
    policyWorkflowId(engine.config.clusterName, engine.namespace, 'ctl'),
    '--name',
    name,
    ...(input.length ? ['--input', ...input] : []),
  ]);

describe('pause, resume and setMode through the temporal CLI', () => {
  it('pause stops new actions, resume restarts them, setMode changes the effective mode', async () => {
    engine.apply([
      healingPolicy(engine.namespace, 'ctl', 'ctl-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '2s' })],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        // The always-true trigger fires again on every replacement: an ineffective fix by design
        // here (engine-ineffective.test.ts tests that rule); this test is about pause and modes.
        safetyRules: {
          maxActionsPerHour: 100,
          minReadyReplicas: 0,
          maxConcurrentActions: 1,
          ineffectiveRemediation: { enabled: false },
        },
        verification: { enabled: false },
      }),
    ]);
    await eventually('the policy workflow', () => policyStatus(engine, 'ctl').catch(() => undefined), 20_000);
    await signal('pause');
    engine.apply([deployment('ctl-app', { replicas: 1 })]);
    const paused = await eventually(
      'Paused refusals',
      async () => {
        const s = await policyStatus(engine, 'ctl');
        return (s.counters.refusals.Paused ?? 0) >= 3 ? s : undefined;
      },
      20_000,
    );
    expect(paused.paused).toBe(true);
    expect(actionsOf(engine, 'ctl')).toEqual([]);
    // The controller mirrors it into the CR.
    await eventually('Paused=True on the CR', () =>
      engine.sim.store
        .get('kubeskippy.io/v1alpha1/healingpolicies', engine.namespace, 'ctl')
        ?.status?.conditions?.some(
          (c: { type: string; status: string }) => c.type === 'Paused' && c.status === 'True',
        ),
    );

    await signal('resume');
    const acted = await eventually(
      () => `actions after resume: ${describeActions(engine, 'ctl')}`,
      () => actionsOf(engine, 'ctl').filter((a) => a.status?.phase === 'Succeeded').length >= 2,
      20_000,
    );
    expect(acted).toBe(true);
    expect((await policyStatus(engine, 'ctl')).paused).toBe(false);

    await signal('setMode', '"dryrun"');
    const switchedAt = Date.now();
    const status = await eventually('mode dryrun', async () => {
      const s = await policyStatus(engine, 'ctl');
      return s.mode === 'dryrun' ? s : undefined;
    });
    expect(status.specMode).toBe('automatic');
    const described = await policyHandle(engine, 'ctl').describe();
    expect(described.typedSearchAttributes.get(KubeSkippyMode)).toBe('dryrun');
    await eventually(
      () => `a DryRun action after setMode: ${describeActions(engine, 'ctl')}`,
      () => actionsOf(engine, 'ctl').some((a) => a.status?.phase === 'DryRun'),
      20_000,
    );
    // Everything fired after the switch (one interval of slack) is a dry run.
    const firedLater = (): HealingAction[] =>
      actionsOf(engine, 'ctl').filter((a) => Date.parse(a.spec.trigger!.firedAt!) > switchedAt + 1500);
    const later = await eventually(
      () => `a finished action fired after setMode: ${describeActions(engine, 'ctl')}`,
      () => (firedLater().some((a) => a.status?.completionTime) ? firedLater() : undefined),
      20_000,
    );
    const seen = JSON.stringify(later.map((a) => [a.spec.mode, a.spec.dryRun, a.status?.phase]));
    expect(
      later.every((a) => a.spec.mode === 'dryrun' && a.spec.dryRun),
      seen,
    ).toBe(true);
    // Finished ones ended DryRun (the newest may still be running).
    const finished = later.filter((a) => a.status?.completionTime);
    expect(
      finished.every((a) => a.status?.phase === 'DryRun'),
      seen,
    ).toBe(true);
    await recordHistories(engine, 'pause-resume-setmode', {
      policy: policyHandle(engine, 'ctl').workflowId,
      action: later[0]!.status!.workflowId!,
    });
  });
});

describe('invalid policy', () => {
  it('gets Ready=False naming the field, and no workflow runs', async () => {
    const noMetric = healingPolicy(engine.namespace, 'no-metric', 'x', {
      triggers: [{ name: 'high', type: 'metric' }],
      actions: [{ name: 'evict', type: 'restart' }],
    });
    const badScale = healingPolicy(engine.namespace, 'bad-scale', 'x', {
      triggers: [alwaysTrue()],
      actions: [
        {
          name: 'scale',
          type: 'scale',
          scaleAction: { direction: 'up', replicas: 1, minReplicas: 5, maxReplicas: 2 },
        },
      ],
    });
    engine.apply([noMetric, badScale]);
    const ready = (name: string) => (): { status: string; reason: string; message: string } | undefined =>
      engine.sim.store
        .get('kubeskippy.io/v1alpha1/healingpolicies', engine.namespace, name)
        ?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
    const a = await eventually('Ready on no-metric', ready('no-metric'), 20_000);
    const b = await eventually('Ready on bad-scale', ready('bad-scale'), 20_000);
    expect(a).toMatchObject({ status: 'False' });
    expect(a.message).toContain('spec.triggers[0].metricTrigger');
    expect(b).toMatchObject({ status: 'False' });
    expect(b.message).toContain('spec.actions[0].scaleAction.minReplicas');
    await sleep(2000);
    for (const name of ['no-metric', 'bad-scale']) {
      await expect(policyHandle(engine, name).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      const runs = [];
      for await (const wf of engine.client.workflow.list({
        query: `WorkflowId = "${policyWorkflowId(engine.config.clusterName, engine.namespace, name)}"`,
      }))
        runs.push(wf);
      expect(runs).toEqual([]);
    }
  });
});
