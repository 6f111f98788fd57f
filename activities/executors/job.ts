// The job action: create a batch/v1 Job from the policy's template, owned by the HealingAction,
// and read it back while the workflow waits (workflows/job-wait.ts). Creating is idempotent: the
// Job's name is the HealingAction's, so a retried attempt (or one after a worker died between the
// create and its answer) gets AlreadyExists, and a Job owned by this HealingAction is ours: the
// same action, not a second Job. One of that name owned by anything else is never adopted.
import type { V1Job } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { buildJob, JOB_ACTION_LABEL, jobName, type JobView } from '../../domain/job.js';
import { FIELD_MANAGER, type Kube } from '../kube/clients.js';
import { httpStatus, isNotFound, kubeCall, toFailure } from '../kube/errors.js';
import type { ActionOf, ExecuteActionInput, ExecuteActionResult } from './types.js';

export async function runJob(
  kube: Kube,
  input: ExecuteActionInput,
  action: ActionOf<'job'>,
): Promise<ExecuteActionResult> {
  const owner = input.record;
  // The workflow creates the HealingAction before it executes, so its uid is always known here.
  if (!owner?.uid)
    throw ApplicationFailure.nonRetryable('job action without its HealingAction uid', 'KubeBadRequest');
  const namespace = owner.namespace;
  const name = jobName(input.actionId);
  const ref = `Job/${namespace}/${name}`;
  const body = buildJob({
    owner: { name: input.actionId, namespace, uid: owner.uid },
    action,
    target: input.target,
    incident: input.incident ?? { policy: '', trigger: '' },
  }) as V1Job;
  const result = (outcome: ExecuteActionResult['outcome'], message: string): ExecuteActionResult => ({
    outcome,
    message,
    changes: [{ resourceRef: ref, changeType: 'create' }],
    details: { job: name, jobNamespace: namespace },
  });
  try {
    await kube.batch.createNamespacedJob({
      namespace,
      body,
      fieldManager: FIELD_MANAGER,
      ...(input.dryRun ? { dryRun: 'All' } : {}),
    });
  } catch (err) {
    if (httpStatus(err) !== 409 || input.dryRun) throw toFailure(err, `create ${ref}`);
    const existing = await kubeCall(`read ${ref}`, () => kube.batch.readNamespacedJob({ name, namespace }));
    const ours = existing.metadata?.ownerReferences?.some((o) => o.uid === owner.uid);
    if (!ours)
      throw ApplicationFailure.nonRetryable(
        `${ref} exists and is not owned by HealingAction ${input.actionId}; it is left alone`,
        'JobNameTaken',
      );
    return result('already-applied', `${ref} was already created by this action`);
  }
  if (input.dryRun) return result('dry-run', `would create ${ref} (the API server accepted it in a dry run)`);
  return result('applied', `created ${ref}`);
}

/** The Job's status and its pods' names; `found: false` when it no longer exists. */
export async function readJob(kube: Kube, ref: { namespace: string; name: string }): Promise<JobView> {
  const what = `Job/${ref.namespace}/${ref.name}`;
  let job: V1Job;
  try {
    job = await kube.batch.readNamespacedJob(ref);
  } catch (err) {
    if (isNotFound(err))
      return { found: false, conditions: [], succeeded: 0, failed: 0, active: 0, pods: [] };
    throw toFailure(err, `read ${what}`);
  }
  const pods = await kubeCall(`list the pods of ${what}`, () =>
    kube.core.listNamespacedPod({
      namespace: ref.namespace,
      labelSelector: `${JOB_ACTION_LABEL}=${ref.name}`,
    }),
  );
  const s = job.status ?? {};
  return {
    found: true,
    conditions: (s.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    })),
    succeeded: s.succeeded ?? 0,
    failed: s.failed ?? 0,
    active: s.active ?? 0,
    pods: pods.items
      .filter((p) => p.metadata?.ownerReferences?.some((o) => o.uid === job.metadata?.uid))
      .sort((a, b) => time(a.metadata?.creationTimestamp) - time(b.metadata?.creationTimestamp))
      .map((p) => p.metadata?.name ?? ''),
  };
}

const time = (t: Date | string | undefined): number => (t ? new Date(t).getTime() : 0);
