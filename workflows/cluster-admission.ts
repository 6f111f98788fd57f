// The policy's and the action's side of the cluster workflow (cluster-workflow.ts):
//
//   policy tick: planned actions ──admitActions──▶ verdicts ──▶ refused ones withdrawn (domain/cluster-gate.ts)
//   action, before it executes:   ──clusterSuspension──▶ suspended → Skipped, reason Suspended
//   action, when it ends:         ──releaseAction (signal)──▶ its slot is free
//
// Asked only when there is something to start, so 1,000 idle policies cost the cluster nothing.
// Behind patch markers: histories recorded before the cluster workflow existed replay unchanged.
import { log, patched, workflowInfo } from '@temporalio/workflow';
import { ActionReason } from '../domain/action-record.js';
import { unreachableVerdicts, withdrawRefused, type Withdrawn } from '../domain/cluster-gate.js';
import { failureMessage } from '../domain/error-types.js';
import { clusterWorkflowId } from '../domain/ids.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { PolicyState } from '../domain/state.js';
import type { Finish } from './action-steps.js';
import { releaseActionSignal } from './messages.js';
import { clusterGate } from './proxies.js';
import { tellPolicy } from './tell-policy.js';

const PATCH = 'cluster-gate';

/** Asks the cluster about this evaluation's planned actions; `state` must be the policy's state now. */
export async function admitPlanned(
  before: PolicyState,
  planned: PlannedAction[],
  currentState: () => PolicyState,
): Promise<Withdrawn | undefined> {
  if (!planned.length || !patched(PATCH)) return undefined;
  let verdicts;
  try {
    verdicts = await clusterGate.admitActions(
      planned.map((p) => ({ workflowId: p.workflowId, namespace: p.target.namespace })),
    );
  } catch (err) {
    // Unsafe to exceed a budget no one could check: nothing starts, the next evaluation asks again.
    log.warn('cluster admission failed', { error: failureMessage(err) });
    verdicts = unreachableVerdicts(planned, failureMessage(err));
  }
  // Handlers may have changed the state while the update ran: withdraw from the state as it is now.
  return withdrawRefused({ before, state: currentState(), planned, verdicts });
}

/** The kill switch at a safe step of an action: a Finish (Skipped, Suspended) when it is on. */
export async function suspendedNow(where: string): Promise<Finish | undefined> {
  if (!patched(PATCH)) return undefined;
  let suspension;
  try {
    suspension = await clusterGate.clusterSuspension();
  } catch (err) {
    // The admission policy (deploy/admission) still denies the write if the cluster is suspended.
    log.warn('cluster suspension check failed', { error: failureMessage(err) });
    return undefined;
  }
  if (!suspension) return undefined;
  const why = suspension.reason ? `: ${suspension.reason}` : '';
  return {
    phase: 'Skipped',
    reason: ActionReason.Suspended,
    message: `the cluster was suspended ${where} (KubeSkippyConfig cluster spec.suspended)${why}; nothing was changed`,
  };
}

/** Frees the action's slot in the cluster budget (nobody to tell when there is no cluster workflow). */
export async function releaseSlot(): Promise<void> {
  if (!patched(PATCH)) return;
  const { workflowId, taskQueue } = workflowInfo();
  await tellPolicy(clusterWorkflowId(taskQueue), releaseActionSignal, { workflowId });
}
