// The GitOps steps of a healing action whose target Argo CD or Flux syncs (domain/gitops.ts
// decides which; safetyRules.gitops.mode says what to do):
//
//   skip        ─▶ Skipped (GitOpsManaged)
//   approve     ─▶ ApprovalGate (reason GitOpsManaged) ─▶ execute ─▶ awaitSync ─▶ verify
//   suspendSync ─▶ suspend ─▶ execute ─▶ verify ─▶ (finally) resume ─▶ awaitSync
//
// The resume is in a `finally` under a non-cancellable scope: whatever the action's outcome, a
// failed activity, a cancelled workflow or a worker that died mid-way (Temporal replays the
// workflow on another worker and carries on to the finally), sync is restored. Only terminating
// the workflow skips it; the owner then keeps the kubeskippy.io/sync-suspended-by annotation.
import { CancellationScope, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { GitOpsRecord } from '../crds/policy-gitops.js';
import { ActionReason, rfc3339 } from '../domain/action-record.js';
import { failureMessage } from '../domain/error-types.js';
import { describeOwner, skipNote, type GitOpsFinding } from '../domain/gitops.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { ActionRecorder } from './action-recorder.js';
import type { Finish } from './action-steps.js';
import { metricsSink } from './sinks.js';

/** Suspend and resume: retried for long (a resume must land), not when it cannot succeed. */
const gitopsWrites = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['KubeForbidden', 'KubeInvalid', 'KubeBadRequest', 'KubeNotFound'],
  },
});
const gitopsReads = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

const SYNC_POLL_MS = 5_000;

export function gitOpsRecord(f: GitOpsFinding, handling: GitOpsRecord['handling']): GitOpsRecord {
  const { tool, apiVersion, kind, namespace, name, via } = f.owner;
  return {
    tool,
    owner: { apiVersion, kind, namespace, name },
    via,
    fields: f.fields,
    gitChange: f.gitChange,
    handling,
  };
}

const refused = (planned: PlannedAction, message: string, gitops: GitOpsRecord): Finish => {
  const { name: policy, namespace } = planned.policyRef;
  metricsSink.safetyRefused({ policy, namespace, reason: ActionReason.GitOpsManaged });
  return { phase: 'Skipped', reason: ActionReason.GitOpsManaged, message, extra: { gitops } };
};

/** Mode skip: refused, naming what must change in Git. */
export const gitOpsSkipped = (planned: PlannedAction, f: GitOpsFinding): Finish =>
  refused(planned, skipNote(f), gitOpsRecord(f, 'Skipped'));

/**
 * Mode suspendSync: runs `body` with the owner's sync suspended and restores it afterwards, whatever
 * `body` does. When the owner cannot be suspended (not in this cluster, forbidden) nothing runs:
 * the change would be reverted, so the action is refused.
 */
export async function withSyncSuspended(
  planned: PlannedAction,
  rec: ActionRecorder,
  f: GitOpsFinding,
  body: () => Promise<Finish>,
): Promise<Finish> {
  const owner = f.owner;
  const input = { owner, actionId: planned.healingActionName };
  const record = gitOpsRecord(f, 'SyncSuspended');
  let suspended;
  try {
    suspended = await gitopsWrites.suspendGitOpsSync(input);
  } catch (err) {
    return refused(planned, `${f.gitChange}: could not suspend its sync (${failureMessage(err)})`, record);
  }
  if (suspended.outcome === 'missing')
    return refused(planned, `${f.gitChange}: ${suspended.message}, so its sync cannot be suspended`, record);
  if (suspended.outcome === 'not-needed') {
    // Suspended by someone else, or an Application that does not sync by itself: nothing reverts
    // the change now, and nothing is ours to restore (or to wait for) afterwards.
    rec.status.gitops = { ...record, suspension: suspended.message };
    return body();
  }
  rec.status.gitops = { ...record, suspension: suspended.message, suspendedAt: rfc3339(Date.now()) };
  await rec.event(
    'Normal',
    'GitOpsSyncSuspended',
    `${suspended.message} while ${planned.action.type} runs (${f.gitChange})`,
  );
  try {
    return await body();
  } finally {
    await CancellationScope.nonCancellable(() => resume(planned, rec, f));
  }
}

async function resume(planned: PlannedAction, rec: ActionRecorder, f: GitOpsFinding): Promise<void> {
  const input = { owner: f.owner, actionId: planned.healingActionName };
  try {
    const r = await gitopsWrites.resumeGitOpsSync(input);
    rec.status.gitops = { ...rec.status.gitops!, resumedAt: rfc3339(Date.now()) };
    const note = `${r.message}; keep the change by changing ${f.gitChange} in Git`;
    await rec.event('Normal', 'GitOpsSyncResumed', note);
  } catch (err) {
    const message = `could not restore the sync of ${describeOwner(f.owner)}: ${failureMessage(err)}`;
    rec.status.gitops = { ...rec.status.gitops!, syncMessage: message };
    await rec.event('Warning', 'GitOpsSyncResumeFailed', message);
    return;
  }
  await awaitSync(planned, rec, f);
}

/**
 * After a live change (approved, or with sync restored): asks the owner to reconcile and waits,
 * up to syncTimeout, until it reports in sync, so verification sees what the GitOps tool keeps.
 * Recorded, never failing the action: the owner may live in another cluster or be slow.
 */
export async function awaitSync(
  planned: PlannedAction,
  rec: ActionRecorder,
  f: GitOpsFinding,
): Promise<void> {
  const input = { owner: f.owner, token: planned.healingActionName };
  const deadline = Date.now() + (planned.safety.gitops?.syncTimeoutMs ?? 0);
  let state = { found: false, synced: false, message: '' };
  try {
    await gitopsWrites.requestGitOpsSync(input);
    for (;;) {
      state = await gitopsReads.readGitOpsSync(input);
      if (!state.found || state.synced || Date.now() >= deadline) break;
      await sleep(Math.min(SYNC_POLL_MS, deadline - Date.now()));
    }
  } catch (err) {
    state = { ...state, message: `could not read ${describeOwner(f.owner)}: ${failureMessage(err)}` };
  }
  rec.status.gitops = {
    ...(rec.status.gitops ?? gitOpsRecord(f, 'Approval')),
    synced: state.synced,
    syncMessage: state.message,
  };
}
