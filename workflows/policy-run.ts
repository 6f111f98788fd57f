// The policy workflow's state machine, shaped like Temporal's safe-message-handlers sample: one
// object holds what the run knows; each message is a small method (pure domain functions do the
// work); `tick` is the one step that talks to the cluster. policy-workflow.ts only wires them.
//
//   message handlers ──▶ state (domain/state.ts) ◀── tick: collectSnapshot ─▶ evaluatePolicy ─▶ start children
//                        wake = true ─────────────────▶ the loop evaluates early
import { log, upsertSearchAttributes } from '@temporalio/workflow';
import type { PolicyMode } from '../crds/healing-policy.js';
import { policyWarningsEvent } from '../domain/events.js';
import { normalizePolicyRef, policyUpdateProblem } from '../domain/policy.js';
import type { NormalizedPolicy } from '../domain/policy-types.js';
import { policyStatusView, type LastEvaluation, type PolicyStatusView } from '../domain/policy-view.js';
import {
  clearHold,
  effectiveMode,
  heldKeys,
  isPolicyMode,
  onPolicyChanged,
  pause,
  recordActionOutcome,
  resume,
  retargetOpenAction,
  setModeOverride,
  type ActionRetarget,
  type PolicyState,
} from '../domain/state.js';
import type * as msg from './messages.js';
import { emitEvents, tick } from './policy-tick.js';
import { KubeSkippyMode } from './search-attributes.js';

export class PolicyRun {
  ref: msg.PolicyRefInput;
  policy: NormalizedPolicy;
  state: PolicyState;
  /** Evaluate at once instead of waiting for the interval; the first evaluation runs at once. */
  wake = true;
  /** A new generation's warnings are still to be written as an Event. */
  warningsPending: boolean;
  last: LastEvaluation;
  /** Child starts in flight: a signal to one of them must wait until it exists. */
  starting = 0;

  constructor(ref: msg.PolicyRefInput, state: PolicyState, opts: { lastActionMs?: number; fresh: boolean }) {
    this.ref = ref;
    this.policy = normalizePolicyRef(ref);
    this.state = state;
    this.warningsPending = opts.fresh;
    this.last = { activeTriggers: [], refusals: [], errors: [], lastActionMs: opts.lastActionMs };
  }

  publishMode(): void {
    upsertSearchAttributes([{ key: KubeSkippyMode, value: effectiveMode(this.policy, this.state) }]);
  }

  // ── messages ───────────────────────────────────────────────────────────────────────────────

  pause(p?: msg.PauseInput): void {
    this.state = pause(this.state);
    log.info('policy paused', { by: p?.by, reason: p?.reason });
  }

  resume(): void {
    this.state = resume(this.state);
    this.publishMode();
    this.wake = true;
  }

  setMode(mode: PolicyMode): void {
    if (!isPolicyMode(mode)) {
      log.warn('setMode ignored: unknown mode', { mode });
      return;
    }
    this.state = setModeOverride(this.state, mode);
    this.publishMode();
  }

  actionFinished(done: msg.ActionFinished): void {
    this.state = recordActionOutcome(this.state, {
      workflowId: done.workflowId,
      outcome: done.phase,
      nowMs: Date.now(),
      targetKey: done.targetKey,
      policy: this.policy,
      ...(done.action ? { action: done.action } : {}),
    });
    this.wake = true; // a closed action may unblock the next rung of a ladder
  }

  actionRetargeted(r: ActionRetarget): void {
    this.state = retargetOpenAction(this.state, r);
  }

  validateUpdate(next: msg.PolicyRefInput): void {
    const problem = policyUpdateProblem(this.ref, next);
    if (problem) throw new Error(problem);
  }

  updatePolicy(next: msg.PolicyRefInput): msg.UpdatePolicyResult {
    const current = this.ref.generation;
    if (next.generation !== undefined && current !== undefined && next.generation <= current) {
      return {
        accepted: false,
        generation: current,
        message: `generation ${next.generation} is not newer than ${current}`,
      };
    }
    this.ref = next;
    this.policy = normalizePolicyRef(next);
    this.state = onPolicyChanged(this.state);
    this.warningsPending = true;
    this.publishMode();
    this.wake = true;
    const generation = next.generation;
    return { accepted: true, ...(generation !== undefined ? { generation } : {}), message: 'policy updated' };
  }

  clearHold(arg?: { subjectKey?: string }): { cleared: string[] } {
    const before = heldKeys(this.state, Date.now());
    this.state = clearHold(this.state, arg?.subjectKey);
    this.wake = true;
    const still = new Set(heldKeys(this.state, Date.now()));
    return { cleared: before.filter((k) => !still.has(k)) };
  }

  status(): PolicyStatusView {
    return policyStatusView({ policy: this.policy, state: this.state, last: this.last, nowMs: Date.now() });
  }

  // ── steps (policy-tick.ts) ────────────────────────────────────────────────────────────────

  /** One evaluation: collect, decide (pure), start the children, report what monitor mode saw. */
  tick(): Promise<void> {
    return tick(this);
  }

  /** Writes the Warning Event for a generation whose spec normalizing had something to say about. */
  reportWarnings(): Promise<void> {
    this.warningsPending = false;
    return emitEvents(
      policyWarningsEvent({ policy: this.ref, warnings: this.policy.warnings, nowMs: Date.now() }),
      'PolicyWarnings',
    );
  }
}
