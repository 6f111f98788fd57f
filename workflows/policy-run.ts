// The policy workflow's state machine, shaped like Temporal's safe-message-handlers sample: one
// object holds what the run knows; each message is a small method (pure domain functions do the
// work); `tick` is the one step that talks to the cluster. policy-workflow.ts only wires them.
//
//   message handlers ──▶ state (domain/state.ts) ◀── tick: collectSnapshot ─▶ evaluatePolicy ─▶ start children
//                        wake = true ─────────────────▶ the loop evaluates early
import {
  log,
  ParentClosePolicy,
  startChild,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { PolicyMode } from '../crds/healing-policy.js';
import { policyWarningsEvent, wouldHealEvents, type EmitEventInput } from '../domain/events.js';
import { policyWorkflowId } from '../domain/ids.js';
import { evaluatePolicy, type PlannedAction } from '../domain/plan.js';
import { normalizePolicy } from '../domain/policy.js';
import type { NormalizedPolicy } from '../domain/policy-types.js';
import { policyStatusView, type LastEvaluation, type PolicyStatusView } from '../domain/policy-view.js';
import {
  clearHold,
  effectiveMode,
  heldSubjects,
  onPolicyChanged,
  pause,
  recordActionOutcome,
  resume,
  retargetOpenAction,
  setModeOverride,
  type ActionRetarget,
  type PolicyState,
} from '../domain/state.js';
import { snapshotRequest } from '../domain/targets.js';
import { healingActionWorkflow } from './healing-action-workflow.js';
import type * as msg from './messages.js';
import { kubeReads, recordWrites } from './proxies.js';
import {
  KubeSkippyAction,
  KubeSkippyMode,
  KubeSkippyNamespace,
  KubeSkippyPolicy,
  KubeSkippyTarget,
} from './search-attributes.js';
import { metricsSink } from './sinks.js';

const MODES: readonly PolicyMode[] = ['monitor', 'dryrun', 'automatic', 'manual'];

const normalize = (ref: msg.PolicyRefInput): NormalizedPolicy =>
  normalizePolicy(ref.spec, {
    namespace: ref.namespace,
    name: ref.name,
    ...(ref.uid ? { uid: ref.uid } : {}),
    ...(ref.generation !== undefined ? { generation: ref.generation } : {}),
  });

export class PolicyRun {
  ref: msg.PolicyRefInput;
  policy: NormalizedPolicy;
  state: PolicyState;
  /** Evaluate at once instead of waiting for the interval; the first evaluation runs at once. */
  wake = true;
  /** A new generation's warnings are still to be written as an Event. */
  warningsPending: boolean;
  last: LastEvaluation;

  constructor(ref: msg.PolicyRefInput, state: PolicyState, opts: { lastActionMs?: number; fresh: boolean }) {
    this.ref = ref;
    this.policy = normalize(ref);
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
    if (!MODES.includes(mode)) {
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
    if (next.namespace !== this.ref.namespace || next.name !== this.ref.name)
      throw new Error('updatePolicy: namespace/name must not change');
    if (!next.spec || !Array.isArray(next.spec.triggers) || !Array.isArray(next.spec.actions)) {
      throw new Error(
        'updatePolicy: spec with triggers and actions is required (validate it with the CRD schema first)',
      );
    }
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
    this.policy = normalize(next);
    this.state = onPolicyChanged(this.state);
    this.warningsPending = true;
    this.publishMode();
    this.wake = true;
    const generation = next.generation;
    return { accepted: true, ...(generation !== undefined ? { generation } : {}), message: 'policy updated' };
  }

  clearHold(arg?: { subjectKey?: string }): { cleared: string[] } {
    const before = heldSubjects(this.state, Date.now()).map((h) => h.subjectKey);
    this.state = clearHold(this.state, arg?.subjectKey);
    this.wake = true;
    const still = new Set(heldSubjects(this.state, Date.now()).map((h) => h.subjectKey));
    return { cleared: before.filter((k) => !still.has(k)) };
  }

  status(): PolicyStatusView {
    return policyStatusView({ policy: this.policy, state: this.state, last: this.last, nowMs: Date.now() });
  }

  // ── steps ──────────────────────────────────────────────────────────────────────────────────

  /** One evaluation: collect, decide (pure), start the children, report what monitor mode saw. */
  async tick(): Promise<void> {
    let snapshot;
    try {
      snapshot = await kubeReads.collectSnapshot(snapshotRequest(this.policy));
    } catch (err) {
      this.last = { ...this.last, errors: [`snapshot failed: ${(err as Error).message}`] };
      return; // nothing observed: windows neither start nor reset
    }
    const result = evaluatePolicy({ policy: this.policy, snapshot, state: this.state, nowMs: Date.now() });
    this.state = result.state;
    metricsSink.evaluated({
      policy: this.ref.name,
      namespace: this.ref.namespace,
      fires: result.fires.map((f) => ({ trigger: f.trigger })),
      refusals: result.refusals.map((r) => ({ reason: r.reason })),
    });
    const { activeTriggers, refusals } = result;
    this.last = { ...this.last, activeTriggers, refusals, errors: snapshot.errors ?? [] };
    await Promise.all(result.planned.map((p) => this.startAction(p)));
    const events = wouldHealEvents({ policy: this.ref, refusals, fires: result.fires, nowMs: Date.now() });
    if (events.length) await this.emit(events, 'WouldHeal');
  }

  /** Writes the Warning Event for a generation whose spec normalizing had something to say about. */
  async reportWarnings(): Promise<void> {
    this.warningsPending = false;
    const events = policyWarningsEvent({
      policy: this.ref,
      warnings: this.policy.warnings,
      nowMs: Date.now(),
    });
    if (events.length) await this.emit(events, 'PolicyWarnings');
  }

  private async emit(events: EmitEventInput[], what: string): Promise<void> {
    try {
      await recordWrites.emitEvents(events);
    } catch (err) {
      log.warn(`${what} events not written`, { error: (err as Error).message });
    }
  }

  private async startAction(planned: PlannedAction): Promise<void> {
    const { name, namespace } = this.ref;
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
      this.last.lastActionMs = Date.now();
    } catch (err) {
      // Ids are unique (seq only grows), so "already started" means a previous run started it.
      log.warn('healing action not started', {
        workflowId: planned.workflowId,
        error: (err as Error).message,
      });
    }
  }
}
