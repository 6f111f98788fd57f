// The job action's decisions, pure so the executor, the workflow and tests share them:
//
// - the Job's name: the HealingAction's own name, so a retried create (or a worker that died
//   after creating it) finds the same Job instead of making a second one;
// - the Job itself, built from the policy's template: in the HealingAction's namespace, owned by
//   it (an ownerReference only works within one namespace), labelled with it, the incident in
//   the environment, and a deadline no longer than the action waits;
// - what a Job's status means for the action (batch/v1 conditions: Complete / Failed), and how
//   often the workflow looks.
import type { JobRecord } from '../crds/healing-action.js';
import { API_VERSION } from '../crds/api-group.js';
import type { ActionOf } from './action-types.js';
import { parseDurationOr } from './duration.js';

export const JOB_ACTION_LABEL = 'kubeskippy.io/healing-action';
const DEFAULT_TIMEOUT_MS = 600_000;

/** The Job of a HealingAction: its own name (already a DNS-1123 label of at most 63 characters). */
export const jobName = (healingActionName: string): string => healingActionName;

/** How long the action waits for its Job. */
export const jobTimeoutMs = (a: ActionOf<'job'>): number =>
  parseDurationOr(a.jobAction.timeout, DEFAULT_TIMEOUT_MS);

/** Polls: about 30 looks over the wait, each 1 to 10 s apart. */
export const jobPollMs = (timeoutMs: number): number => Math.min(10_000, Math.max(1_000, timeoutMs / 30));

export interface JobBuildInput {
  /** The HealingAction: the Job's name, namespace and owner. */
  owner: { name: string; namespace: string; uid: string };
  action: ActionOf<'job'>;
  target: { kind: string; name: string; namespace: string };
  incident: { policy: string; trigger: string };
}

type Obj = Record<string, unknown>;

/** The batch/v1 Job to create (plain JSON). */
export function buildJob(input: JobBuildInput): Obj {
  const { owner, action, target, incident } = input;
  const j = action.jobAction;
  const name = jobName(owner.name);
  const labels = { 'app.kubernetes.io/managed-by': 'kubeskippy', [JOB_ACTION_LABEL]: owner.name };
  const env = [
    ['KUBESKIPPY_TARGET_KIND', target.kind],
    ['KUBESKIPPY_TARGET_NAME', target.name],
    ['KUBESKIPPY_TARGET_NAMESPACE', target.namespace],
    ['KUBESKIPPY_POLICY', incident.policy],
    ['KUBESKIPPY_TRIGGER', incident.trigger],
    ['KUBESKIPPY_ACTION_ID', owner.name],
  ].map(([n, value]) => ({ name: n!, value: value! }));
  const { metadata, spec } = j.template;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: owner.namespace,
      labels,
      // No blockOwnerDeletion: setting it needs update on healingactions/finalizers
      // (OwnerReferencesPermissionEnforcement), and nothing here waits on foreground deletion.
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: 'HealingAction',
          name: owner.name,
          uid: owner.uid,
          controller: true,
        },
      ],
    },
    spec: {
      backoffLimit: j.backoffLimit,
      // The Job's own deadline defaults to the wait: a Job the action gave up on does not run on.
      activeDeadlineSeconds: j.activeDeadlineSeconds ?? Math.ceil(jobTimeoutMs(action) / 1000),
      ...(j.ttlSecondsAfterFinished !== undefined
        ? { ttlSecondsAfterFinished: j.ttlSecondsAfterFinished }
        : {}),
      template: {
        metadata: {
          labels: { ...metadata?.labels, ...labels },
          ...(metadata?.annotations ? { annotations: { ...metadata.annotations } } : {}),
        },
        spec: {
          restartPolicy: spec.restartPolicy,
          containers: spec.containers.map((c) => ({ ...c, env: [...(c.env ?? []), ...env] })),
          ...(spec.volumes ? { volumes: spec.volumes } : {}),
        },
      },
    },
  };
}

/** What the workflow reads of a Job (activities/executors/job.ts readJob). */
export interface JobView {
  found: boolean;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  succeeded: number;
  failed: number;
  active: number;
  /** Its pods' names, oldest first. */
  pods: string[];
}

export const jobLogs = (namespace: string, name: string): string =>
  `kubectl logs -n ${namespace} job/${name} --all-containers`;

/** The record of a Job still running (or not yet read). */
export function runningJob(ref: { namespace: string; name: string }, view?: JobView): JobRecord {
  return {
    name: ref.name,
    namespace: ref.namespace,
    outcome: 'Running',
    ...(view ? { succeeded: view.succeeded, failed: view.failed, pods: view.pods } : {}),
    logs: jobLogs(ref.namespace, ref.name),
  };
}

export type JobVerdict =
  { done: false; record: JobRecord } | { done: true; ok: boolean; record: JobRecord; message: string };

/** Complete=True → done, ok; Failed=True → done, failed with the Job's reason; gone → failed. */
export function jobVerdict(ref: { namespace: string; name: string }, view: JobView): JobVerdict {
  const what = `Job ${ref.namespace}/${ref.name}`;
  if (!view.found) {
    const record: JobRecord = { ...runningJob(ref), outcome: 'Gone' };
    return { done: true, ok: false, record, message: `${what} was deleted before it finished` };
  }
  const holds = (type: string): JobView['conditions'][number] | undefined =>
    view.conditions.find((c) => c.type === type && c.status === 'True');
  const base = runningJob(ref, view);
  const complete = holds('Complete');
  if (complete) {
    const record: JobRecord = { ...base, outcome: 'Complete', ...why(complete) };
    return { done: true, ok: true, record, message: `${what} completed (${view.succeeded} succeeded)` };
  }
  const failed = holds('Failed');
  if (failed) {
    const record: JobRecord = { ...base, outcome: 'Failed', ...why(failed) };
    const reason = [failed.reason, failed.message].filter(Boolean).join(': ') || 'no reason given';
    return { done: true, ok: false, record, message: `${what} failed (${reason}); log: ${base.logs}` };
  }
  return { done: false, record: base };
}

/** The record and message of a Job still running when the wait ended. */
export function jobTimedOut(record: JobRecord, timeoutMs: number): { record: JobRecord; message: string } {
  const message =
    `Job ${record.namespace}/${record.name} did not finish within ${Math.round(timeoutMs / 1000)}s ` +
    `(its activeDeadlineSeconds stops it); log: ${record.logs}`;
  return { record: { ...record, outcome: 'TimedOut' }, message };
}

const why = (c: { reason?: string; message?: string }): Partial<JobRecord> => ({
  ...(c.reason ? { reason: c.reason } : {}),
  ...(c.message ? { message: c.message } : {}),
});
