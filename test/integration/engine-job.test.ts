// The job action end to end, through the same safety, execute, wait, verify and record path as
// the built-ins, on the sim (its Job controller and kubelet run the Job's pod; sim annotations say
// how the pod ends) with a real Temporal: a Job that succeeds ends the action Succeeded with the
// Job recorded and owned by the HealingAction; one that fails (backoff limit, deadline) ends it
// Failed with the Job's reason; dry run and a protected target create no Job; executing the same
// action again (a retried or duplicated attempt) creates no second Job, and a Job of that name
// owned by anything else is never adopted.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeAction, type NormalizedAction } from '../../activities/executors/index.js';
import type { HealingAction } from '../../crds/healing-action.js';
import type { KObject } from '../../sim/contract.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  isTerminal,
  policyStatus,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const JOBS = 'batch/v1/jobs';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(async () => {
  await engine?.stop();
});

/** A Job pod that exits with `exitCode` after 5 sim seconds (0.5 s here); `run: forever` never exits. */
const podBehaviour = (exitCode: number | 'forever'): Record<string, string> =>
  exitCode === 'forever'
    ? { 'sim.kubeskippy.io/behavior': 'healthy' }
    : {
        'sim.kubeskippy.io/behavior': 'crashloop',
        'sim.kubeskippy.io/crash-after': '5s',
        'sim.kubeskippy.io/exit-code': String(exitCode),
      };

function policy(
  app: string,
  exitCode: number | 'forever',
  o: { job?: Record<string, unknown>; spec?: Record<string, unknown> } = {},
): KObject {
  return healingPolicy(engine.namespace, app, app, {
    mode: 'automatic',
    triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
    actions: [
      {
        name: 'diagnose',
        type: 'job',
        jobAction: {
          template: {
            metadata: { annotations: podBehaviour(exitCode) },
            spec: { containers: [{ name: 'diag', image: 'busybox:1.36', command: ['sh', '-c', 'ps aux'] }] },
          },
          timeout: '60s',
          ...o.job,
        },
      },
    ],
    safetyRules: { maxActionsPerHour: 5, maxConcurrentActions: 1 },
    verification: { enabled: false },
    ...o.spec,
  });
}

const ended = (app: string): Promise<HealingAction> =>
  eventually(
    () => `${app}'s action to end: ${describeActions(engine, app)}`,
    () => actionsOf(engine, app).find((a) => isTerminal(a)),
    90_000,
  );

const jobs = (): KObject[] => engine.sim.store.list(JOBS, { namespace: engine.namespace });
const jobsOf = (ha: HealingAction): KObject[] =>
  jobs().filter((j) => j.metadata.labels?.['kubeskippy.io/healing-action'] === ha.metadata.name);
const podsOfJob = (job: KObject): KObject[] =>
  engine.sim.store
    .list('core/v1/pods', { namespace: engine.namespace })
    .filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === job.metadata.uid));

describe('job action', () => {
  it('runs a Job owned by the HealingAction and records how it ended; dry run and a protected target run none', async () => {
    const started = Date.now();
    engine.apply([
      ...['job-ok', 'job-fail', 'job-late', 'job-slow', 'job-dry', 'job-protected'].map((n) =>
        deployment(n, { replicas: 1 }),
      ),
      policy('job-ok', 0),
      policy('job-fail', 3, { job: { backoffLimit: 1 } }),
      policy('job-late', 'forever', { job: { activeDeadlineSeconds: 2 } }),
      policy('job-slow', 'forever', { job: { timeout: '3s', activeDeadlineSeconds: 600 } }),
      policy('job-dry', 0, { spec: { mode: 'dryrun' } }),
      policy('job-protected', 0, {
        spec: { safetyRules: { protectedResources: [{ kind: 'Deployment', names: ['job-protected'] }] } },
      }),
    ]);
    const [ok, failed, late, slow, dry] = await Promise.all(
      ['job-ok', 'job-fail', 'job-late', 'job-slow', 'job-dry'].map(ended),
    );

    // Succeeded: exactly one Job, named after and owned by the HealingAction, Complete; recorded.
    expect(ok!.status!.phase, ok!.status!.message).toBe('Succeeded');
    const [job, ...more] = jobsOf(ok!);
    expect(more).toHaveLength(0);
    expect(job!.metadata.name).toBe(ok!.metadata.name);
    expect(job!.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'HealingAction',
        name: ok!.metadata.name,
        uid: ok!.metadata.uid,
        controller: true,
      }),
    ]);
    expect(job!.status?.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]),
    );
    const okPods = podsOfJob(job!).map((p) => p.metadata.name);
    expect(ok!.status!.job).toMatchObject({
      name: ok!.metadata.name,
      namespace: engine.namespace,
      outcome: 'Complete',
      succeeded: 1,
      pods: okPods,
      logs: `kubectl logs -n ${engine.namespace} job/${ok!.metadata.name} --all-containers`,
    });
    expect(ok!.status!.message).toMatch(/completed \(1 succeeded\)/);

    // Failed: the pod failed twice (backoffLimit 1), the action says the Job's reason.
    expect(failed!.status!.phase).toBe('Failed');
    expect(failed!.status!.reason).toBe('JobFailed');
    expect(failed!.status!.message).toMatch(
      /failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\); log: kubectl logs/,
    );
    expect(failed!.status!.job).toMatchObject({
      outcome: 'Failed',
      reason: 'BackoffLimitExceeded',
      failed: 2,
    });
    expect(failed!.status!.job!.pods).toHaveLength(2);

    // A pod that never ends: the Job's own deadline stops it, and the action says so.
    expect(late!.status!.phase).toBe('Failed');
    expect(late!.status!.message).toMatch(/DeadlineExceeded: Job was active longer than specified deadline/);
    expect(late!.status!.job).toMatchObject({ outcome: 'Failed', reason: 'DeadlineExceeded' });

    // A Job that outlives the action's wait: the action gives up, saying so; the Job is left to its deadline.
    expect(slow!.status!.phase).toBe('Failed');
    expect(slow!.status!.reason).toBe('JobTimedOut');
    expect(slow!.status!.message).toMatch(/did not finish within 3s/);
    expect(slow!.status!.job).toMatchObject({ outcome: 'TimedOut' });

    // Dry run: the API server accepted the Job in a dry run, and none exists.
    expect(dry!.status!.phase).toBe('DryRun');
    expect(dry!.status!.message).toMatch(/would create Job\//);
    expect(jobsOf(dry!)).toHaveLength(0);

    // Protected: refused before any action, so no Job.
    const refused = await eventually('job-protected refused as Protected', async () => {
      const s = await policyStatus(engine, 'job-protected').catch(() => undefined);
      return (s?.counters.refusals.Protected ?? 0) > 0 ? s : undefined;
    });
    expect(refused.counters.actionsStarted).toBe(0);
    expect(actionsOf(engine, 'job-protected')).toHaveLength(0);
    expect(jobs()).toHaveLength(4);

    // The same execute again (a retry after a lost answer, or a duplicate): no second Job. A Job
    // of that name owned by another HealingAction is never taken for ours.
    const again = {
      actionId: ok!.metadata.name!,
      decidedAtMs: Date.now(),
      target: ok!.spec.targetResource as Parameters<typeof executeAction>[1]['target'],
      action: ok!.spec.action as NormalizedAction,
      dryRun: false,
      incident: { policy: 'job-ok', trigger: 'busy' },
      record: { namespace: engine.namespace, uid: ok!.metadata.uid! },
    };
    const result = await executeAction(engine.kube, again);
    expect(result.outcome).toBe('already-applied');
    expect(jobsOf(ok!)).toHaveLength(1);
    const foreign = await executeAction(engine.kube, {
      ...again,
      record: { ...again.record, uid: 'someone-else' },
    }).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(ApplicationFailure);
    expect((foreign as ApplicationFailure).type).toBe('JobNameTaken');
    expect(jobs()).toHaveLength(4);
    console.log(
      `job: ok ${ok!.status!.phase}, backoff ${failed!.status!.phase} (${failed!.status!.job!.pods!.length} pods), ` +
        `deadline ${late!.status!.phase}, wait over ${slow!.status!.phase}, dry run ${dry!.status!.phase}, protected refused; ` +
        `${jobs().length} Jobs for 4 actions, in ${Math.round((Date.now() - started) / 1000)}s`,
    );
  });
});
