// The step of the policy workflow that talks to the cluster: collect a snapshot, decide with the
// pure evaluatePolicy, start the planned children (all in one workflow task) and write the
// WouldHeal Events that monitor and dry-run modes owe the user. PolicyRun (policy-run.ts) holds
// the state it reads and writes.
import { log, ParentClosePolicy, patched, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { wouldHealEvents, type EmitEventInput } from '../domain/events.js';
import { ineffectiveEvents, INEFFECTIVE_PATCH, withoutIneffective } from '../domain/ineffective.js';
import { policyWorkflowId } from '../domain/ids.js';
import { allFiresProtected } from '../domain/policy-view.js';
import { evaluatePolicy, type PlannedAction } from '../domain/plan.js';
import { snapshotRequest } from '../domain/targets.js';
import { admitPlanned } from './cluster-admission.js';
import { healingActionWorkflow } from './healing-action-workflow.js';
import type { PolicyRun } from './policy-run.js';
import { kubeReads, recordWrites } from './proxies.js';
import {
  KubeSkippyAction,
  KubeSkippyCluster,
  KubeSkippyMode,
  KubeSkippyNamespace,
  KubeSkippyPolicy,
  KubeSkippyTarget,
} from './search-attributes.js';
import { metricsSink } from './sinks.js';
import { inSpan } from './tracing.js';

/** Each tick is its own trace (workflows/tracing.ts): the incident's, when it starts an action. */
export function tick(run: PolicyRun): Promise<void> {
  const attributes = { 'kubeskippy.policy': run.ref.name, 'kubeskippy.namespace': run.ref.namespace };
  return inSpan('PolicyTick', { root: true, attributes }, () => evaluateAndAct(run));
}

async function evaluateAndAct(run: PolicyRun): Promise<void> {
  let snapshot;
  try {
    snapshot = await kubeReads.collectSnapshot(snapshotRequest(run.policy));
  } catch (err) {
    run.last = { ...run.last, errors: [`snapshot failed: ${(err as Error).message}`] };
    return; // nothing observed: windows neither start nor reset
  }
  // A history recorded before ineffective-fix detection existed replays without it (Temporal's
  // patching): its holds would add Event activities and change plans that history never made.
  const policy = patched(INEFFECTIVE_PATCH) ? run.policy : withoutIneffective(run.policy);
  const before = run.state;
  const result = evaluatePolicy({ policy, snapshot, state: before, nowMs: Date.now() });
  run.state = result.state;
  // The cluster's kill switch and budget: refused actions are withdrawn and become refusals.
  const gated = await admitPlanned(before, result.planned, () => run.state);
  if (gated) {
    run.state = gated.state;
    result.planned = gated.planned;
    result.refusals = [...result.refusals, ...gated.refusals];
  }
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
    await Promise.all(
      result.planned.map((p) => inSpan('HealAction', actionSpan(run, p), () => startAction(run, p))),
    );
  } finally {
    run.starting -= 1;
  }
  await emitEvents(
    wouldHealEvents({ policy: run.ref, refusals, fires: result.fires, nowMs: Date.now() }),
    'WouldHeal',
  );
  const notices = result.ineffective ?? [];
  await emitEvents(
    ineffectiveEvents({ policy: run.ref, notices, nowMs: Date.now() }),
    'IneffectiveRemediation',
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

function actionSpan(run: PolicyRun, planned: PlannedAction): { attributes: Record<string, string> } {
  const { target } = planned;
  return {
    attributes: {
      'kubeskippy.policy': run.ref.name,
      'kubeskippy.namespace': run.ref.namespace,
      'kubeskippy.target': `${target.kind}/${target.name}`,
      'kubeskippy.action': planned.action.type,
      'kubeskippy.healing_action': planned.healingActionName,
      'kubeskippy.mode': planned.mode,
      'temporal.workflow_id': planned.workflowId,
    },
  };
}

async function startAction(run: PolicyRun, planned: PlannedAction): Promise<void> {
  const { cluster, name, namespace } = run.ref;
  try {
    await startChild(healingActionWorkflow, {
      workflowId: planned.workflowId,
      args: [{ planned, policyWorkflowId: policyWorkflowId(cluster, namespace, name) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // Lets a listing name the action from visibility alone, when its status query cannot be
      // answered (no worker free to replay a closed action's history).
      memo: { healingActionName: planned.healingActionName },
      typedSearchAttributes: [
        ...(cluster !== undefined ? [{ key: KubeSkippyCluster, value: cluster }] : []),
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
