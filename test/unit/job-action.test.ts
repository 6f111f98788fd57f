// The job action's schema and pure decisions: what a policy may put in a Job template (the fields
// that would widen what the pod may do are refused by name), the Job the operator builds (name,
// owner, namespace, incident in the environment, a deadline no longer than the wait), and what a
// Job's batch/v1 status means for the action.
import { describe, expect, it } from 'vitest';
import { formatErrors, parseHealingPolicySpec } from '../../crds/index.js';
import {
  buildJob,
  jobName,
  jobPollMs,
  jobTimedOut,
  jobVerdict,
  runningJob,
  type JobView,
} from '../../domain/job.js';
import { healingActionName } from '../../domain/ids.js';
import { normalizedAction, policySpec } from '../fixtures/domain-builders.js';

const container = { name: 'diag', image: 'busybox:1.36', command: ['sh', '-c', 'echo hi'] };

/** The errors a policy with this jobAction gets, as the controller words them. */
function refusal(jobAction: Record<string, unknown>): string {
  const parsed = parseHealingPolicySpec({
    ...policySpec(),
    actions: [{ name: 'diag', type: 'job', jobAction }],
  });
  expect(parsed.ok).toBe(false);
  return formatErrors((parsed as { errors: { field: string; message: string }[] }).errors);
}

const withSpec = (
  extra: Record<string, unknown>,
  c: Record<string, unknown> = {},
): Record<string, unknown> => ({
  template: { spec: { containers: [{ ...container, ...c }], ...extra } },
});

describe('jobAction schema', () => {
  it.each([
    ['hostNetwork', { hostNetwork: true }],
    ['hostPID', { hostPID: true }],
    ['hostIPC', { hostIPC: true }],
    ['hostUsers', { hostUsers: false }],
    ['nodeName', { nodeName: 'node-1' }],
    ['serviceAccountName', { serviceAccountName: 'cluster-admin-sa' }],
    ['securityContext', { securityContext: { runAsUser: 0 } }],
  ])('refuses the pod field %s by name', (field, extra) => {
    expect(refusal(withSpec(extra))).toMatch(
      new RegExp(
        `spec\\.actions\\[0\\]\\.jobAction\\.template\\.spec\\.${field}: must not be set: a job action may never widen`,
      ),
    );
  });

  it("refuses a container's securityContext (privileged, capabilities) and a hostPath volume, naming where", () => {
    expect(refusal(withSpec({}, { securityContext: { privileged: true } }))).toMatch(
      /spec\.actions\[0\]\.jobAction\.template\.spec\.containers\[0\]\.securityContext: must not be set/,
    );
    expect(
      refusal(
        withSpec({
          volumes: [
            { name: 'ok', emptyDir: {} },
            { name: 'root', hostPath: { path: '/' } },
          ],
        }),
      ),
    ).toMatch(/spec\.actions\[0\]\.jobAction\.template\.spec\.volumes\[1\]\.hostPath: must not be set/);
  });

  it('refuses a Job restartPolicy other than Never/OnFailure, a timeout over 6h, and no block at all', () => {
    expect(refusal(withSpec({ restartPolicy: 'Always' }))).toMatch(
      /jobAction\.template\.spec\.restartPolicy/,
    );
    expect(refusal({ ...withSpec({}), timeout: '7h' })).toMatch(/jobAction\.timeout: must be at most 6h/);
    const parsed = parseHealingPolicySpec({ ...policySpec(), actions: [{ name: 'diag', type: 'job' }] });
    expect(parsed.ok).toBe(false);
    expect(formatErrors((parsed as { errors: { field: string; message: string }[] }).errors)).toMatch(
      /jobAction.*required when type is "job"/,
    );
  });

  it('keeps a volume source as written (the API server judges it) and defaults the rest', () => {
    const a = normalizedAction('job', {
      jobAction: withSpec({ volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'backup' } }] }),
    });
    expect(a.jobAction.template.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'backup' } },
    ]);
    expect(a.jobAction).toMatchObject({ timeout: '10m', backoffLimit: 0 });
    expect(a.jobAction.template.spec.restartPolicy).toBe('Never');
  });
});

describe('the Job built for an action', () => {
  const haName = healingActionName('kubeskippy/action/shop/diag-policy/busy/Pod/web-1/3', 'diag');
  const action = normalizedAction('job', { jobAction: { ...withSpec({}), timeout: '90s' } });
  const job = buildJob({
    owner: { name: haName, namespace: 'shop', uid: 'uid-123' },
    action,
    target: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
    incident: { policy: 'diag-policy', trigger: 'busy' },
  }) as {
    metadata: { name: string; namespace: string; ownerReferences: Record<string, unknown>[] };
    spec: {
      activeDeadlineSeconds: number;
      backoffLimit: number;
      template: { spec: { containers: { env: unknown[] }[] } };
    };
  };

  it('is named after the HealingAction (the same name on every retry), in its namespace, owned by it', () => {
    expect(jobName(haName)).toBe(haName);
    expect(job.metadata.name).toBe(haName);
    expect(job.metadata.name.length).toBeLessThanOrEqual(63);
    expect(job.metadata.namespace).toBe('shop');
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'kubeskippy.io/v1alpha1',
        kind: 'HealingAction',
        name: haName,
        uid: 'uid-123',
        controller: true,
      },
    ]);
  });

  it('tells the pod about the incident and stops the Job when the action stops waiting', () => {
    expect(job.spec.template.spec.containers[0]!.env).toEqual(
      expect.arrayContaining([
        { name: 'KUBESKIPPY_TARGET_NAME', value: 'web-1' },
        { name: 'KUBESKIPPY_POLICY', value: 'diag-policy' },
        { name: 'KUBESKIPPY_ACTION_ID', value: haName },
      ]),
    );
    expect(job.spec.activeDeadlineSeconds).toBe(90);
    expect(job.spec.backoffLimit).toBe(0);
  });

  it('polls 1 to 10 s apart', () => {
    expect([jobPollMs(5_000), jobPollMs(90_000), jobPollMs(3_600_000)]).toEqual([1_000, 3_000, 10_000]);
  });
});

describe('what a Job status means', () => {
  const ref = { namespace: 'shop', name: 'j' };
  const view = (over: Partial<JobView>): JobView => ({
    found: true,
    conditions: [],
    succeeded: 0,
    failed: 0,
    active: 1,
    pods: ['j-abcde'],
    ...over,
  });

  it.each([
    ['running', view({}), { done: false }],
    [
      'Complete',
      view({
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ],
      }),
      { done: true, ok: true },
    ],
    [
      'Failed',
      view({
        failed: 1,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      }),
      { done: true, ok: false },
    ],
    ['a False condition', view({ conditions: [{ type: 'Failed', status: 'False' }] }), { done: false }],
    ['gone', view({ found: false }), { done: true, ok: false }],
  ])('%s', (_name, v, expected) => {
    expect(jobVerdict(ref, v)).toMatchObject(expected);
  });

  it("a failure says the Job's reason and where its log is; a timeout says how long it waited", () => {
    const failed = jobVerdict(
      ref,
      view({
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          },
        ],
      }),
    );
    expect(failed).toMatchObject({
      message:
        'Job shop/j failed (DeadlineExceeded: Job was active longer than specified deadline); log: kubectl logs -n shop job/j --all-containers',
      record: { outcome: 'Failed', reason: 'DeadlineExceeded', pods: ['j-abcde'] },
    });
    const out = jobTimedOut(runningJob(ref), 60_000);
    expect(out.record.outcome).toBe('TimedOut');
    expect(out.message).toMatch(/^Job shop\/j did not finish within 60s/);
  });
});
