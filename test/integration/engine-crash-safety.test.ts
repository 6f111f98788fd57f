// Crash-safety end to end: `kubeskippy operator` runs as a child process, is SIGKILLed while its
// healing action is Verifying (the scale already applied, the verification delay still running),
// and a fresh process finishes the action. Exactly one remediation happens: one HealingAction, the
// Deployment moved by one scale step and never further, and the workflow history shows the
// executeAction activity ran once, in the killed process, while the new process completed the
// workflow without executing it again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../tools/dev-server.js';
import { spawnCliOperator, type CliOperator } from '../support/cli-operator.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionNamed,
  actionsOf,
  alwaysTrue,
  deploymentOf,
  describeActions,
  eventsWith,
  healingPolicy,
  podsOf,
  sleep,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
const children: CliOperator[] = [];
beforeAll(async () => {
  // No in-process operator: the operators of this file are child processes.
  engine = await startEngine({ timeScale: 0.1, operator: false });
});
afterAll(async () => {
  for (const c of children) await c.kill();
  await engine?.stop();
});

const spawnOperator = (metricsPort?: number): CliOperator => {
  const child = spawnCliOperator(engine, 'operator', metricsPort ? { metricsPort } : {});
  children.push(child);
  return child;
};

type History = Awaited<ReturnType<ReturnType<Engine['client']['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
const EventType = {
  WorkflowTaskCompleted: 7,
  ActivityTaskScheduled: 10,
  ActivityTaskStarted: 11,
  ActivityTaskCompleted: 12,
  WorkflowExecutionCompleted: 2,
} as const;
const isType = (e: HistoryEvent, t: number): boolean => Number(e.eventType) === t;

describe('a worker killed in the middle of an action', () => {
  it('is resumed by a new process and the scale happens exactly once', { timeout: 240_000 }, async () => {
    engine.apply([
      deployment('crash-scale', { replicas: 1 }),
      healingPolicy(engine.namespace, 'crash-scale', 'crash-scale', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '30m' })],
        actions: [
          {
            name: 'scale-up',
            type: 'scale',
            scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 5 },
          },
        ],
        // A long delay before the first check: the process is killed inside it, after the scale.
        verification: {
          delay: '15s',
          timeout: '60s',
          interval: '1s',
          requireTriggerCleared: false,
        },
      }),
    ]);
    await eventually(
      'crash-scale running',
      () => podsOf(engine, 'crash-scale').some((p) => p.status?.phase === 'Running'),
      30_000,
    );
    // Every value spec.replicas takes, in order: a second scale step would show up as a 3.
    const seen: number[] = [];
    const watch = setInterval(() => {
      const r = Number(deploymentOf(engine, 'crash-scale').spec.replicas);
      if (seen.at(-1) !== r) seen.push(r);
    }, 20);
    try {
      const first = spawnOperator();
      const verifying = await eventually(
        () => `an action in Verifying: ${describeActions(engine, 'crash-scale')}\n${first.output()}`,
        () => actionsOf(engine, 'crash-scale').find((a) => a.status?.phase === 'Verifying'),
        120_000,
        100,
      );
      // Past the Verifying write (its activity has reported back): the kill lands in the delay timer.
      await sleep(1500);
      await first.kill();
      expect((await first.exited).signal).toBe('SIGKILL');
      const workflowId = verifying.status!.workflowId!;
      const handle = engine.client.workflow.getHandle(workflowId);
      // Killed mid-action: the scale is applied, the workflow is still running, nobody works on it.
      expect(deploymentOf(engine, 'crash-scale').spec.replicas).toBe(2);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await sleep(2000);
      expect(actionNamed(engine, verifying.metadata.name!)?.status?.phase).toBe('Verifying');

      const metricsPort = await findFreePort();
      const second = spawnOperator(metricsPort);
      const done = await eventually(
        () => `the action to finish: ${describeActions(engine, 'crash-scale')}\n${second.output()}`,
        () => {
          const a = actionNamed(engine, verifying.metadata.name!);
          return a?.status?.completionTime ? a : undefined;
        },
        150_000,
      );
      await handle.result();
      expect(done.status, JSON.stringify(done.status)).toMatchObject({ phase: 'Succeeded' });
      expect(done.status!.result!.changes).toEqual([
        expect.objectContaining({ field: 'spec.replicas', oldValue: '1', newValue: '2' }),
      ]);
      // What a Prometheus scraping the new process sees: its own count of the action it finished,
      // and the Temporal SDK's worker metrics appended to the same /metrics.
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/^kubeskippy_healing_actions_total\{[^}]*phase="Succeeded"[^}]*\} 1$/m);
      expect(metrics).toMatch(/^temporal_\w+/m);

      // One HealingAction; the Deployment moved one step, 1 → 2, and carries this action's mark.
      await sleep(3000); // time for a wrongly repeated scale to show
      expect(actionsOf(engine, 'crash-scale')).toHaveLength(1);
      expect(seen).toEqual([1, 2]);
      const d = deploymentOf(engine, 'crash-scale');
      expect(d.spec.replicas).toBe(2);
      expect(d.metadata.annotations).toMatchObject({
        'kubeskippy.io/last-action': verifying.metadata.name,
        'kubeskippy.io/last-action-replicas': '1',
      });
      // One HealingSucceeded on the Deployment and one on the policy (both named crash-scale).
      expect(
        eventsWith(engine, 'HealingSucceeded', 'crash-scale')
          .map((e) => (e as { involvedObject?: { kind?: string } }).involvedObject?.kind)
          .sort(),
      ).toEqual(['Deployment', 'HealingPolicy']);

      // The history: executeAction scheduled, started and completed once, on attempt 1, by the
      // killed process; the new process completed the workflow.
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.filter(
        (e) =>
          isType(e, EventType.ActivityTaskScheduled) &&
          e.activityTaskScheduledEventAttributes?.activityType?.name === 'executeAction',
      );
      expect(scheduled).toHaveLength(1);
      const scheduledId = String(scheduled[0]!.eventId);
      const started = events.filter(
        (e) =>
          isType(e, EventType.ActivityTaskStarted) &&
          String(e.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledId,
      );
      expect(started).toHaveLength(1);
      expect(started[0]!.activityTaskStartedEventAttributes).toMatchObject({ attempt: 1 });
      expect(started[0]!.activityTaskStartedEventAttributes!.identity).toMatch(new RegExp(`^${first.pid}@`));
      expect(
        events.filter(
          (e) =>
            isType(e, EventType.ActivityTaskCompleted) &&
            String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === scheduledId,
        ),
      ).toHaveLength(1);
      const identities = events
        .filter((e) => isType(e, EventType.WorkflowTaskCompleted))
        .map((e) => e.workflowTaskCompletedEventAttributes?.identity ?? '');
      expect(identities.at(-1), identities.join(' ')).toMatch(new RegExp(`^${second.pid}@`));
      expect(
        identities.some((id) => id.startsWith(`${first.pid}@`)),
        identities.join(' '),
      ).toBe(true);
      expect(isType(events.at(-1)!, EventType.WorkflowExecutionCompleted)).toBe(true);
    } finally {
      clearInterval(watch);
    }
  });
});
