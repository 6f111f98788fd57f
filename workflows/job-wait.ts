// A job action's wait for its Job, between execute and verify: durable timers and a short read
// each time (kubeReads), never one long activity, so a worker that dies mid-wait costs one look,
// and the history shows every look. The pure domain/job.ts decides what a Job's status means.
//
//   created ─▶ Running ─sleep/read─▶ Complete ──▶ verify (as any action)
//                 │                 └▶ Failed / Gone ──▶ Failed (the Job's reason)
//                 └─ timeout ─▶ TimedOut ──▶ Failed
import { isCancellation, sleep } from '@temporalio/workflow';
import type { JobRecord } from '../crds/healing-action.js';
import { ActionReason } from '../domain/action-record.js';
import { failureMessage } from '../domain/error-types.js';
import { jobName, jobPollMs, jobTimedOut, jobTimeoutMs, jobVerdict, runningJob } from '../domain/job.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { ActionRecorder } from './action-recorder.js';
import type { Executed, Finish } from './action-steps.js';
import { kubeReads } from './proxies.js';

type Usage = Record<string, string>;

/** For a job action: waits for its Job and ends the action if the Job did not succeed. */
export async function awaitJob(
  planned: PlannedAction,
  rec: ActionRecorder,
  executed: Executed,
  before: Usage,
): Promise<Executed | { end: Finish }> {
  const action = planned.action;
  if (action.type !== 'job') return executed;
  const ref = {
    namespace: planned.policyRef.namespace,
    name: executed.result.details?.job ?? jobName(planned.healingActionName),
  };
  const timeoutMs = jobTimeoutMs(action);
  const deadline = Date.now() + timeoutMs;
  let record: JobRecord = runningJob(ref);
  const running = `${executed.result.message}; waiting for it to finish (${record.logs})`;
  await rec.transition('Executing', ActionReason.JobRunning, running, { job: record });
  let readFailure = '';
  for (;;) {
    await sleep(Math.min(jobPollMs(timeoutMs), Math.max(1, deadline - Date.now())));
    let verdict;
    try {
      verdict = jobVerdict(ref, await kubeReads.readJob(ref));
      readFailure = '';
    } catch (err) {
      // A failed read is a look that saw nothing; the deadline still decides.
      if (isCancellation(err)) throw err;
      verdict = { done: false as const, record };
      readFailure = `; the last read of the Job failed: ${failureMessage(err)}`;
    }
    record = verdict.record;
    if (verdict.done && verdict.ok) {
      await rec.transition('Executing', ActionReason.Executing, verdict.message, { job: record });
      return { ...executed, result: { ...executed.result, message: verdict.message } };
    }
    if (verdict.done) {
      const reason = record.outcome === 'Gone' ? ActionReason.JobGone : ActionReason.JobFailed;
      return failed({ reason, message: verdict.message, job: record }, executed, before);
    }
    if (Date.now() >= deadline) {
      const out = jobTimedOut(record, timeoutMs);
      return failed(
        { reason: ActionReason.JobTimedOut, message: `${out.message}${readFailure}`, job: out.record },
        executed,
        before,
      );
    }
  }
}

function failed(
  why: { reason: string; message: string; job: JobRecord },
  executed: Executed,
  before: Usage,
): { end: Finish } {
  const { reason, message, job } = why;
  const result = { success: false, error: message, changes: executed.changes, before };
  return { end: { phase: 'Failed', reason, message, extra: { job, result } } };
}
