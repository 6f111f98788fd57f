// The job action on the real control plane: the real Job controller (kube-controller-manager) runs
// the Job, kwok's Stages end its pod as the sim's annotations say, and the operator, as its own
// ServiceAccount (create/get on jobs only), records how it ended. What the sim's Job controller
// imitates (condition types, reasons, messages, owner references) is checked against the real one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually } from '../support/engine-harness.js';
import { healingPolicy } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';
import { startRealEngine, type RealEngine } from './support.js';

let engine: RealEngine;
beforeAll(async () => {
  engine = await startRealEngine();
});
afterAll(() => engine?.stop());

/**
 * A Job pod that exits with `exitCode` `after` it starts. (A Job pod with no exit of its own
 * completes at once on kwok: cluster/kwok/pod-lifecycle.yaml's pod-complete.)
 */
const exits = (exitCode: number, after = '1s'): Record<string, string> => ({
  'sim.kubeskippy.io/behavior': 'crashloop',
  'sim.kubeskippy.io/crash-after': after,
  'sim.kubeskippy.io/exit-code': String(exitCode),
});

function policy(app: string, annotations: Record<string, string>, job: Record<string, unknown> = {}) {
  return healingPolicy(engine.namespace, app, app, {
    triggers: [
      {
        name: 'ready',
        type: 'condition',
        conditionTrigger: { type: 'Ready', status: 'True' },
        cooldownPeriod: '10m',
      },
    ],
    actions: [
      {
        name: 'diagnose',
        type: 'job',
        jobAction: {
          template: {
            metadata: { annotations },
            spec: { containers: [{ name: 'diag', image: 'busybox:1.36', command: ['sh', '-c', 'ps aux'] }] },
          },
          timeout: '90s',
          ...job,
        },
      },
    ],
    safetyRules: { maxActionsPerHour: 5, maxConcurrentActions: 1 },
    verification: { enabled: false },
  });
}

const ended = (app: string): Promise<HealingAction> =>
  eventually(
    `${app}'s action to end`,
    async () =>
      (await engine.actions()).find((a) => a.spec.policyRef.name === app && a.status?.completionTime),
    150_000,
    1000,
  );

describe('job action on the real cluster', () => {
  it(
    'the real Job controller runs it; the action records Complete, BackoffLimitExceeded and DeadlineExceeded',
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      await engine.apply([
        ...['rjob-ok', 'rjob-fail', 'rjob-late'].map((n) => deployment(n, { replicas: 1 })),
        policy('rjob-ok', exits(0)),
        policy('rjob-fail', exits(3), { backoffLimit: 1 }),
        policy('rjob-late', exits(0, '120s'), { activeDeadlineSeconds: 3 }),
      ]);
      const [ok, failed, late] = await Promise.all(['rjob-ok', 'rjob-fail', 'rjob-late'].map(ended));

      expect(ok!.status?.phase, ok!.status?.message).toBe('Succeeded');
      const job = await engine.kube.batch.readNamespacedJob({
        name: ok!.metadata.name!,
        namespace: engine.namespace,
      });
      expect(job.metadata?.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'HealingAction',
          name: ok!.metadata.name,
          uid: ok!.metadata.uid,
          controller: true,
        }),
      ]);
      expect(job.status?.conditions?.map((c) => c.type)).toContain('Complete');
      expect(ok!.status?.job).toMatchObject({ outcome: 'Complete', succeeded: 1 });
      expect(ok!.status?.job?.pods).toHaveLength(1);

      expect(failed!.status?.phase).toBe('Failed');
      expect(failed!.status?.job).toMatchObject({
        outcome: 'Failed',
        reason: 'BackoffLimitExceeded',
        failed: 2,
      });
      expect(failed!.status?.message).toMatch(
        /BackoffLimitExceeded: Job has reached the specified backoff limit/,
      );

      expect(late!.status?.phase).toBe('Failed');
      expect(late!.status?.job).toMatchObject({ outcome: 'Failed', reason: 'DeadlineExceeded' });
      expect(late!.status?.message).toMatch(
        /DeadlineExceeded: Job was active longer than specified deadline/,
      );
      console.log(
        `real job: ok ${ok!.status?.phase}, backoff ${failed!.status?.phase} (${failed!.status?.job?.failed} failed pods), ` +
          `deadline ${late!.status?.phase}, in ${Math.round((Date.now() - started) / 1000)}s`,
      );
    },
  );
});
