// The Job controller (batch/v1, NonIndexed, one pod at a time): runs the template's pod until
// `completions` pods succeeded, replaces a failed pod until more than backoffLimit have failed,
// and stops at activeDeadlineSeconds. What a pod does is the kubelet's business (its
// sim.kubeskippy.io/* annotations: e.g. `behavior: crashloop` with `crash-after` and `exit-code`
// ends a restartPolicy=Never pod Succeeded or Failed). The status follows the real controller:
// startTime, active/ready/succeeded/failed/terminating, and at the end the SuccessCriteriaMet or
// FailureTarget condition, then Complete or Failed with the real reasons and messages.
//
// Not simulated: parallelism > 1, Indexed completion, pod failure policies, suspend, the back-off
// delay between retries, and ttlSecondsAfterFinished (a finished Job is never deleted here).
import type { KObject } from '../contract.js';
import type { ControllerContext } from './context.js';
import {
  JOBS,
  PODS,
  ignoreNotFound,
  isActivePod,
  isPodReady,
  ownedView,
  sameJson,
  splitKey,
} from './kube.js';
import { podFromTemplate } from './replicaset.js';

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Ending {
  type: 'Complete' | 'Failed';
  reason: string;
  message: string;
}

const finished = (job: KObject): boolean =>
  ((job.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

export function createJobController(ctx: ControllerContext): (key: string) => number | undefined {
  const { store, events } = ctx;

  function end(job: KObject, ending: Ending, active: readonly KObject[], now: number): object {
    // A failed Job's running pods are stopped, as the real controller does.
    if (ending.type === 'Failed')
      for (const pod of active)
        ignoreNotFound(() =>
          store.delete(PODS, job.metadata.namespace, pod.metadata.name ?? '', {
            preconditions: { uid: pod.metadata.uid },
          }),
        );
    events.record({
      object: job,
      type: ending.type === 'Complete' ? 'Normal' : 'Warning',
      reason: ending.type === 'Complete' ? 'Completed' : ending.reason,
      message: ending.type === 'Complete' ? 'Job completed' : ending.message,
      component: 'job-controller',
    });
    const at = iso(now);
    const condition = (type: string): object => ({
      type,
      status: 'True',
      reason: ending.reason,
      message: ending.message,
      lastProbeTime: at,
      lastTransitionTime: at,
    });
    const target = ending.type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
    return {
      conditions: [condition(target), condition(ending.type)],
      active: 0,
      ready: 0,
      terminating: 0,
      ...(ending.type === 'Complete' ? { completionTime: at } : {}),
    };
  }

  return (key) => {
    const { namespace, name } = splitKey(key);
    const job = store.get(JOBS, namespace, name);
    if (!job || job.metadata.deletionTimestamp || finished(job)) return undefined;
    const spec = job.spec ?? {};
    const now = store.now();
    const pods = ownedView(store, PODS, job);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
    const active = pods.filter(isActivePod);
    const startTime = (job.status?.startTime as string | undefined) ?? iso(now);
    // The deadline is an API field, counted in real seconds (not scaled like behaviours): it races
    // the operator's own wait, which is real time too.
    const deadline = spec.activeDeadlineSeconds
      ? Date.parse(startTime) + Number(spec.activeDeadlineSeconds) * 1000
      : Infinity;
    const ending: Ending | undefined =
      succeeded >= Number(spec.completions ?? 1)
        ? {
            type: 'Complete',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          }
        : failed > Number(spec.backoffLimit ?? 6)
          ? {
              type: 'Failed',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            }
          : now >= deadline
            ? {
                type: 'Failed',
                reason: 'DeadlineExceeded',
                message: 'Job was active longer than specified deadline',
              }
            : undefined;
    let status: Record<string, unknown>;
    if (ending) {
      status = { startTime, succeeded, failed, ...end(job, ending, active, now) };
    } else {
      if (active.length === 0) {
        const created = store.create(PODS, podFromTemplate(job, spec.template, { generateName: `${name}-` }));
        active.push(created);
        events.record({
          object: job,
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created pod: ${created.metadata.name}`,
          component: 'job-controller',
        });
      }
      const ready = active.filter(isPodReady).length;
      status = { startTime, active: active.length, ready, succeeded, failed, terminating: 0 };
    }
    const current = job.status ?? {};
    if (!sameJson({ ...current, ...status }, current)) {
      ignoreNotFound(() =>
        store.mutate(JOBS, namespace, name, (o) => void (o.status = { ...o.status, ...status }), {
          subresource: 'status',
        }),
      );
    }
    return ending || !Number.isFinite(deadline) ? undefined : Math.max(50, deadline - now);
  };
}
