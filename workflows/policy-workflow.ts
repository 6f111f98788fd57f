// One long-lived workflow per HealingPolicy (id from domain/ids.ts). Each tick:
//
//   wait interval (or a wake-up) ─▶ collectSnapshot ─▶ evaluatePolicy (pure) ─▶ start children
//                                                                                (ABANDON, unique ids)
// State is plain JSON and crosses continue-as-new intact; children are abandoned rather than
// terminated when this run continues as new, and report back by signal to the workflow id.
// This file wires the messages to PolicyRun (policy-run.ts), which holds the state machine.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { initialState, type PolicyState } from '../domain/state.js';
import * as msg from './messages.js';
import { receiveAlerts } from './policy-alerts.js';
import { PolicyRun } from './policy-run.js';
import { KubeSkippyCluster, KubeSkippyNamespace, KubeSkippyPolicy } from './search-attributes.js';

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
 * runs of the chain carry `seq` in their state.
 */
function firstState(): PolicyState {
  return { ...initialState(), seq: workflowInfo().startTime.getTime() };
}

/** Backstop when the server never suggests continue-as-new. */
const DEFAULT_MAX_HISTORY = 10_000;

function wire(run: PolicyRun): void {
  setHandler(msg.pauseSignal, (p) => run.pause(p));
  setHandler(msg.resumeSignal, () => run.resume());
  setHandler(msg.setModeSignal, (mode) => run.setMode(mode));
  setHandler(msg.evaluateNowSignal, () => void (run.wake = true));
  setHandler(msg.actionFinishedSignal, (done) => run.actionFinished(done));
  setHandler(msg.actionRetargetedSignal, (r) => run.actionRetargeted(r));
  setHandler(msg.alertsSignal, (notices) => receiveAlerts(run, notices));
  setHandler(msg.updatePolicyUpdate, (next) => run.updatePolicy(next), {
    validator: (next) => run.validateUpdate(next),
  });
  setHandler(msg.clearHoldUpdate, (arg) => run.clearHold(arg));
  setHandler(msg.policyStatusQuery, () => run.status());
}

export async function policyWorkflow(input: PolicyWorkflowInput): Promise<void> {
  const run = new PolicyRun(input.policy, input.state ?? firstState(), {
    fresh: input.state === undefined,
    ...(input.lastActionMs !== undefined ? { lastActionMs: input.lastActionMs } : {}),
  });
  // Set at start by the controller too; upserted for runs started by continue-as-new.
  upsertSearchAttributes([
    ...(run.ref.cluster !== undefined ? [{ key: KubeSkippyCluster, value: run.ref.cluster }] : []),
    { key: KubeSkippyPolicy, value: run.ref.name },
    { key: KubeSkippyNamespace, value: run.ref.namespace },
  ]);
  run.publishMode();
  wire(run);
  // Runs until the CR is deleted: the controller cancels the workflow, the cancellation propagates
  // out of the wait and the run ends Cancelled, so the Web UI and `temporal workflow list` say what
  // happened. Open actions were abandoned on purpose and finish alone.
  for (;;) {
    await condition(() => run.wake, run.policy.evaluationIntervalMs);
    run.wake = false;
    if (run.warningsPending) await run.reportWarnings();
    await run.tick();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.maxHistoryLength ?? DEFAULT_MAX_HISTORY)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof policyWorkflow>({
        ...input,
        policy: run.ref,
        state: run.state,
        ...(run.last.lastActionMs !== undefined ? { lastActionMs: run.last.lastActionMs } : {}),
      });
    }
  }
}
