// One long-lived workflow per HealingPolicy (id from domain/ids.ts). Each tick:
//
//   wait interval (or evaluateNow) ─▶ collectSnapshot ─▶ evaluatePolicy (pure) ─▶ start children
//                                                                                  (ABANDON, unique ids)
// State is plain JSON and crosses continue-as-new intact; children are abandoned rather than
// terminated when this run continues as new, and report back by signal to the workflow id.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { API_VERSION } from '../crds/api-group.js';
import { policyWorkflowId } from '../domain/ids.js';
import { normalizePolicy } from '../domain/policy.js';
import { evaluatePolicy, type PlannedAction, type Refusal } from '../domain/plan.js';
import {
  clearHold,
  effectiveMode,
  heldSubjects,
  initialState,
  onPolicyChanged,
  pause,
  recordActionOutcome,
  resume,
  retargetOpenAction,
  setModeOverride,
  type PolicyState,
} from '../domain/state.js';
import { snapshotRequest } from '../domain/targets.js';
import type { NormalizedPolicy } from '../domain/policy-types.js';
import { healingActionWorkflow } from './healing-action-workflow.js';
import * as msg from './messages.js';
import { kubeReads, recordWrites } from './proxies.js';
import { metricsSink } from './sinks.js';
import {
  KubeSkippyAction,
  KubeSkippyMode,
  KubeSkippyNamespace,
  KubeSkippyPolicy,
  KubeSkippyTarget,
} from './search-attributes.js';

export interface PolicyWorkflowInput {
  policy: msg.PolicyRefInput;
  /** Carried through continue-as-new; absent on the first run. */
  state?: PolicyState;
  /** When the last action started (kept here, not in domain state, only for status). */
  lastActionMs?: number;
  /** Test hook: continue as new after this many history events (the server's suggestion also counts). */
  maxHistoryLength?: number;
}

/**
 * A new chain of runs (first start, or a restart after the CR was re-applied or the workflow was
 * terminated) must not reuse the action ids of an earlier chain, or its children would collide with
 * closed workflows of the same id. Sequence numbers start at the run's start time (epoch ms); later
 * runs of the chain carry `seq` in their state. Patched, so histories recorded before still replay.
 */
function firstState(): PolicyState {
  const state = initialState();
  if (patched('action-seq-from-start-time')) state.seq = workflowInfo().startTime.getTime();
  return state;
}

/** Backstop when the server never suggests continue-as-new. */
const DEFAULT_MAX_HISTORY = 10_000;

export async function policyWorkflow(input: PolicyWorkflowInput): Promise<void> {
  let ref = input.policy;
  const meta = (): Parameters<typeof normalizePolicy>[1] => ({
    namespace: ref.namespace,
    name: ref.name,
    ...(ref.uid ? { uid: ref.uid } : {}),
    ...(ref.generation !== undefined ? { generation: ref.generation } : {}),
  });
  let policy: NormalizedPolicy = normalizePolicy(ref.spec, meta());
  let state: PolicyState = input.state ?? firstState();
  let wake = true; // the first evaluation runs at once
  let last = {
    activeTriggers: [] as string[],
    refusals: [] as Refusal[],
    errors: [] as string[],
    lastActionMs: input.lastActionMs,
  };
  const selfId = policyWorkflowId(ref.namespace, ref.name);

  const publishMode = (): void =>
    upsertSearchAttributes([{ key: KubeSkippyMode, value: effectiveMode(policy, state) }]);
  upsertSearchAttributes([
    { key: KubeSkippyPolicy, value: ref.name },
    { key: KubeSkippyNamespace, value: ref.namespace },
  ]);
  publishMode();

  setHandler(msg.pauseSignal, (p) => {
    state = pause(state);
    log.info('policy paused', { by: p?.by, reason: p?.reason });
  });
  setHandler(msg.resumeSignal, () => {
    state = resume(state);
    publishMode();
    wake = true;
  });
  setHandler(msg.setModeSignal, (mode) => {
    if (!['monitor', 'dryrun', 'automatic', 'manual'].includes(mode)) {
      log.warn('setMode ignored: unknown mode', { mode });
      return;
    }
    state = setModeOverride(state, mode);
    publishMode();
  });
  setHandler(msg.evaluateNowSignal, () => {
    wake = true;
  });
  setHandler(msg.actionFinishedSignal, (done) => {
    state = recordActionOutcome(state, {
      workflowId: done.workflowId,
      outcome: done.phase,
      nowMs: Date.now(),
      targetKey: done.targetKey,
      policy,
      ...(done.action ? { action: done.action } : {}),
    });
    wake = true; // a closed action may unblock the next rung of a ladder
  });
  setHandler(msg.actionRetargetedSignal, (r) => {
    state = retargetOpenAction(state, r);
  });
  setHandler(
    msg.updatePolicyUpdate,
    (next) => {
      if (
        next.generation !== undefined &&
        ref.generation !== undefined &&
        next.generation <= ref.generation
      ) {
        return {
          accepted: false,
          generation: ref.generation,
          message: `generation ${next.generation} is not newer than ${ref.generation}`,
        };
      }
      ref = next;
      policy = normalizePolicy(ref.spec, meta());
      state = onPolicyChanged(state);
      publishMode();
      wake = true;
      return {
        accepted: true,
        ...(ref.generation !== undefined ? { generation: ref.generation } : {}),
        message: 'policy updated',
      };
    },
    {
      validator: (next) => {
        if (next.namespace !== ref.namespace || next.name !== ref.name)
          throw new Error('updatePolicy: namespace/name must not change');
        if (!next.spec || !Array.isArray(next.spec.triggers) || !Array.isArray(next.spec.actions)) {
          throw new Error(
            'updatePolicy: spec with triggers and actions is required (validate it with the CRD schema first)',
          );
        }
      },
    },
  );
  setHandler(msg.clearHoldUpdate, (arg) => {
    const before = heldSubjects(state, Date.now()).map((h) => h.subjectKey);
    state = clearHold(state, arg?.subjectKey);
    wake = true;
    return {
      cleared: before.filter((k) => !heldSubjects(state, Date.now()).some((h) => h.subjectKey === k)),
    };
  });
  setHandler(msg.policyStatusQuery, (): msg.PolicyStatusView => {
    const now = Date.now();
    return {
      policy: {
        namespace: ref.namespace,
        name: ref.name,
        ...(ref.generation !== undefined ? { generation: ref.generation } : {}),
      },
      mode: effectiveMode(policy, state),
      specMode: policy.mode,
      paused: state.paused,
      ...(state.lastEvaluatedMs !== undefined ? { lastEvaluatedMs: state.lastEvaluatedMs } : {}),
      activeTriggers: last.activeTriggers,
      ...(last.lastActionMs !== undefined ? { lastActionMs: last.lastActionMs } : {}),
      openActions: Object.values(state.open).map((o) => ({
        workflowId: o.workflowId,
        targetKey: o.targetKey,
        action: o.action,
        trigger: o.trigger,
        startedMs: o.startedMs,
      })),
      held: heldSubjects(state, now),
      actionsInLastHour: state.starts.filter((t) => t > now - 3_600_000).length,
      counters: state.counters,
      ...(state.learning ? { learning: state.learning } : {}),
      lastRefusals: last.refusals
        .slice(0, 20)
        .map((r) => ({ trigger: r.trigger, targetKey: r.targetKey, reason: r.reason, message: r.message })),
      snapshotErrors: last.errors,
      warnings: policy.warnings,
    };
  });

  const startAction = async (planned: PlannedAction): Promise<void> => {
    try {
      await startChild(healingActionWorkflow, {
        workflowId: planned.workflowId,
        args: [{ planned, policyWorkflowId: selfId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: KubeSkippyPolicy, value: ref.name },
          { key: KubeSkippyNamespace, value: ref.namespace },
          { key: KubeSkippyTarget, value: `${planned.target.kind}/${planned.target.name}` },
          { key: KubeSkippyAction, value: planned.action.type },
          { key: KubeSkippyMode, value: planned.mode },
        ],
      });
      last.lastActionMs = Date.now();
    } catch (err) {
      // Ids are unique (seq only grows), so "already started" means a previous run started it.
      log.warn('healing action not started', {
        workflowId: planned.workflowId,
        error: (err as Error).message,
      });
    }
  };

  const tick = async (): Promise<void> => {
    let snapshot;
    try {
      snapshot = await kubeReads.collectSnapshot(snapshotRequest(policy));
    } catch (err) {
      last = { ...last, errors: [`snapshot failed: ${(err as Error).message}`] };
      return; // nothing observed: windows neither start nor reset
    }
    const result = evaluatePolicy({ policy, snapshot, state, nowMs: Date.now() });
    state = result.state;
    metricsSink.evaluated({
      policy: ref.name,
      namespace: ref.namespace,
      fires: result.fires.map((f) => ({ trigger: f.trigger })),
      refusals: result.refusals.map((r) => ({ reason: r.reason })),
    });
    last = {
      ...last,
      activeTriggers: result.activeTriggers,
      refusals: result.refusals,
      errors: snapshot.errors ?? [],
    };
    await Promise.all(result.planned.map(startAction));
    const wouldHeal = result.refusals.filter((r) => r.reason === 'MonitorMode');
    if (wouldHeal.length) await reportWouldHeal(wouldHeal, result.fires);
  };

  const reportWouldHeal = async (
    refusals: Refusal[],
    fires: { trigger: string; targetKey: string; firstTrueMs: number }[],
  ): Promise<void> => {
    const policyObject = {
      apiVersion: API_VERSION,
      kind: 'HealingPolicy',
      namespace: ref.namespace,
      name: ref.name,
      ...(ref.uid ? { uid: ref.uid } : {}),
    };
    // On the target and on the policy, like a HealingAction's Events: `kubectl describe` of either shows it.
    const events = refusals.flatMap((r) => {
      const fire = fires.find((f) => f.trigger === r.trigger && f.targetKey === r.targetKey);
      // One Event per continuous episode: the window start is part of the name.
      const name = `${ref.name}.wouldheal.${r.target.name}.${fire?.firstTrueMs ?? 0}`
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-');
      const what = `${r.action ?? 'an action'} would run (${r.trigger}); ${r.message}`;
      const event = { type: 'Normal' as const, reason: 'WouldHeal', timeMs: Date.now() };
      return [
        { ...event, name, involvedObject: { ...r.target }, message: `${ref.name}: ${what}` },
        {
          ...event,
          name: `${name}.policy`,
          involvedObject: policyObject,
          message: `${r.targetKey}: ${what}`,
        },
      ];
    });
    try {
      await recordWrites.emitEvents(events);
    } catch (err) {
      log.warn('WouldHeal events not written', { error: (err as Error).message });
    }
  };

  try {
    for (;;) {
      await condition(() => wake, policy.evaluationIntervalMs);
      wake = false;
      await tick();
      const info = workflowInfo();
      if (
        info.continueAsNewSuggested ||
        info.historyLength > (input.maxHistoryLength ?? DEFAULT_MAX_HISTORY)
      ) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof policyWorkflow>({
          ...input,
          policy: ref,
          state,
          ...(last.lastActionMs !== undefined ? { lastActionMs: last.lastActionMs } : {}),
        });
      }
    }
  } catch (err) {
    // The CR was deleted: stop evaluating. Open actions were abandoned on purpose and finish alone.
    // The run ends Cancelled (the cancellation propagates), so the Web UI and `temporal workflow
    // list` say what happened; runs cancelled before this change completed instead and replay so.
    if (isCancellation(err) && !patched('end-cancelled-on-delete')) return;
    throw err;
  }
}
