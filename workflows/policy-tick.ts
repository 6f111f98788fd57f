// The step of the policy workflow that talks to the cluster: collect a snapshot, decide with the
// pure evaluatePolicy, start the planned children (all in one workflow task) and write the
// WouldHeal Events that monitor and dry-run modes owe the user. PolicyRun (policy-run.ts) holds
// the state it reads and writes.
import { log, ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { wouldHealEvents, type EmitEventInput } from '../domain/events.js';
import { policyWorkflowId } from '../domain/ids.js';
import { allFiresProtected } from '../domain/policy-view.js';
import { evaluatePolicy, type PlannedAction } from '../domain/plan.js';
import { snapshotRequest } from '../domain/targets.js';
import { healingActionWorkflow } from './healing-action-workflow.js';
import type { PolicyRun } from './policy-run.js';
import { kubeReads, recordWrites } from './proxies.js';
import {
  KubeSkippyAction,
  KubeSkippyMode,
  KubeSkippyNamespace,
  KubeSkippyPolicy,
  KubeSkippyTarget,
} from './search-attributes.js';
import { metricsSink } from './sinks.js';

export async function tick(run: PolicyRun): Promise<void> {
  let snapshot;
  try {
    snapshot = await kubeReads.collectSnapshot(snapshotRequest(run.policy));
  } catch (err) {
    run.last = { ...run.last, errors: [`snapshot failed: ${(err as Error).message}`] };
    return; // nothing observed: windows neither start nor reset
  }
  const result = evaluatePolicy({ policy: run.policy, snapshot, state: run.state, nowMs: Date.now() });
  run.state = result.state;
  metricsSink.evaluated({
    policy: run.ref.name,
    namespace: run.ref.namespace,
    fires: result.fires.map((f) => ({ trigger: f.trigger })),
    refusals: result.refusals.map((r) => ({ reason: r.reason })),
  });
  const { activeTriggers, refusals } = result;
  const allProtected = allFiresProtected(result.fires, refusals, result.planned.length);
  run.last = {
    ...run.last,
    activeTriggers,
    refusals,
    errors: snapshot.errors ?? [],
    ...(allProtected !== null ? { allProtected } : {}),
  };
  run.starting += 1;
  try {
    await Promise.all(result.planned.map((p) => startAction(run, p)));
  } finally {
    run.starting -= 1;
  }
  await emitEvents(
    wouldHealEvents({ policy: run.ref, refusals, fires: result.fires, nowMs: Date.now() }),
    'WouldHeal',
  );
}

/** Events are the user's view, not the policy's state: a failed write is logged, never retried forever. */
export async function emitEvents(events: EmitEventInput[], what: string): Promise<void> {
  if (!events.length) return;
  try {
    await recordWrites.emitEvents(events);
  } catch (err) {
    log.warn(`${what} events not written`, { error: (err as Error).message });
  }
}

async function startAction(run: PolicyRun, planned: PlannedAction): Promise<void> {
  const { name, namespace } = run.ref;
  try {
    await startChild(healingActionWorkflow, {
      workflowId: planned.workflowId,
      args: [{ planned, policyWorkflowId: policyWorkflowId(namespace, name) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: KubeSkippyPolicy, value: name },
        { key: KubeSkippyNamespace, value: namespace },
        { key: KubeSkippyTarget, value: `${planned.target.kind}/${planned.target.name}` },
        { key: KubeSkippyAction, value: planned.action.type },
        { key: KubeSkippyMode, value: planned.mode },
      ],
    });
    run.last.lastActionMs = Date.now();
  } catch (err) {
    // Ids are unique (seq only grows), so "already started" means a previous run started it.
    log.warn('healing action not started', { workflowId: planned.workflowId, error: (err as Error).message });
  }
}
