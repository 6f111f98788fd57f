// The backtest: the pure policy evaluation run over a recorded timeline, with the timeline's own
// clock (each snapshot's observedAtMs is "now"). No server, no cluster, no actions.
//
//   for each timeline entry, oldest first:
//     error line            ─▶ nothing evaluated (as in the workflow: windows neither start nor reset)
//     snapshot at t         ─▶ close the assumed-finished actions due by t (recordActionOutcome)
//                           ─▶ evaluatePolicy(policy, snapshot, state, t) ─▶ rows
//
// Nothing really runs, so how an open action closes is an assumption, stated in every report:
// each planned action ends with `outcome` (default Succeeded) `closeAfterMs` after it started
// (default: the policy's verification delay, i.e. the earliest a real one could end), and the
// close is applied before the first evaluation at or after that time. The live workflow also
// re-evaluates at once when an action closes; the backtest waits for the next snapshot.
import { formatDuration } from '../../domain/duration.js';
import { targetKey } from '../../domain/ids.js';
import { evaluatePolicy } from '../../domain/plan.js';
import type { EvaluatePolicyResult } from '../../domain/plan-types.js';
import type { NormalizedPolicy } from '../../domain/policy-types.js';
import type { ClusterSnapshot } from '../../domain/snapshot.js';
import { initialState, recordActionOutcome, type PolicyState } from '../../domain/state.js';
import type { PolicyFile } from './policy-file.js';
import { entryTime, type Timeline } from './timeline.js';

export type AssumedOutcome = 'Succeeded' | 'Failed';

export interface BacktestAssumption {
  outcome: AssumedOutcome;
  closeAfterMs: number;
  /** The assumption in words, for the report. */
  text: string;
}

export type RowKind = 'action' | 'refused' | 'pending' | 'closed' | 'no-snapshot';

export interface BacktestRow {
  atMs: number;
  kind: RowKind;
  trigger?: string;
  /** The pod the trigger fired on. */
  targetKey?: string;
  action?: string;
  /** The object the action changes (or would change). */
  actionTargetKey?: string;
  reason?: string;
  message: string;
  workflowId?: string;
  /** For actions: when the trigger's window started holding on the target. */
  firstTrueMs?: number;
  /** Identical refusals in consecutive evaluations are one row: how many, and the last time. */
  count?: number;
  untilMs?: number;
}

export interface BacktestReport {
  policy: string;
  file: string;
  mode: string;
  assumption: string;
  rows: BacktestRow[];
  summary: {
    evaluations: number;
    fires: number;
    actions: number;
    refusals: Record<string, number>;
    firstActionMs?: number;
  };
}

export function assumption(
  policy: PolicyFile,
  opts: { outcome?: AssumedOutcome; closeAfterMs?: number } = {},
): BacktestAssumption {
  const outcome = opts.outcome ?? 'Succeeded';
  const v = policy.policy.verification;
  const closeAfterMs = opts.closeAfterMs ?? (v.enabled ? v.delayMs : 0);
  const why = opts.closeAfterMs !== undefined ? '--action-duration' : 'the verification delay';
  return {
    outcome,
    closeAfterMs,
    text:
      `each planned action is assumed to end ${outcome} ${formatDuration(closeAfterMs)} after it starts ` +
      `(${why}); it closes before the first evaluation at or after that time`,
  };
}

/** One backtest: the policy's state walked through the timeline, and the rows it produced. */
class BacktestRun {
  state: PolicyState = initialState();
  readonly rows: BacktestRow[] = [];
  readonly summary: BacktestReport['summary'] = { evaluations: 0, fires: 0, actions: 0, refusals: {} };
  private readonly closes: { workflowId: string; targetKey: string; atMs: number; action: string }[] = [];
  private readonly lastRefusal = new Map<string, { row: BacktestRow; evaluation: number }>();
  private pending = new Set<string>();

  constructor(
    private readonly policy: NormalizedPolicy,
    private readonly assumed: BacktestAssumption,
  ) {}

  evaluate(snapshot: ClusterSnapshot, now: number): void {
    this.closeDue(now);
    const result = evaluatePolicy({ policy: this.policy, snapshot, state: this.state, nowMs: now });
    this.state = result.state;
    this.summary.evaluations += 1;
    this.summary.fires += result.fires.length;
    this.pendingRows(result, now);
    this.actionRows(result, now);
    this.refusalRows(result, now);
  }

  /** Planned actions whose assumed end has come close before this evaluation, as the policy would see. */
  private closeDue(now: number): void {
    const { closes, assumed } = this;
    closes.sort((a, b) => a.atMs - b.atMs);
    while (closes.length && closes[0]!.atMs <= now) {
      const c = closes.shift()!;
      this.state = recordActionOutcome(this.state, {
        ...c,
        outcome: assumed.outcome,
        nowMs: c.atMs,
        policy: this.policy,
      });
      this.rows.push({
        atMs: c.atMs,
        kind: 'closed',
        action: c.action,
        actionTargetKey: c.targetKey,
        reason: assumed.outcome,
        message: `assumed ${assumed.outcome}`,
        workflowId: c.workflowId,
      });
    }
  }

  private pendingRows(result: EvaluatePolicyResult, now: number): void {
    const next = new Set<string>();
    for (const ev of result.evaluations) {
      if (!ev.holds || ev.fired) continue;
      const key = `${ev.trigger}|${ev.targetKey}`;
      next.add(key);
      if (this.pending.has(key)) continue; // one row per episode, when the window starts holding
      this.rows.push({
        atMs: now,
        kind: 'pending',
        trigger: ev.trigger,
        targetKey: ev.targetKey,
        reason: 'WindowNotYetHeld',
        message: `${ev.reason}; fires once it has held for ${formatDuration(ev.forMs)}`,
      });
    }
    this.pending = next;
  }

  private actionRows(result: EvaluatePolicyResult, now: number): void {
    for (const a of result.planned) {
      this.summary.actions += 1;
      this.summary.firstActionMs ??= now;
      this.rows.push({
        atMs: now,
        kind: 'action',
        trigger: a.trigger.name,
        targetKey: targetKey(a.firingPod),
        action: a.action.name,
        actionTargetKey: a.targetKey,
        message: `${a.trigger.reason}${a.dryRun ? ' (dry run)' : ''}${a.requiresApproval ? ' (waits for approval)' : ''}`,
        workflowId: a.workflowId,
        firstTrueMs: a.trigger.firstTrueMs,
      });
      const atMs = now + this.assumed.closeAfterMs;
      this.closes.push({ workflowId: a.workflowId, targetKey: a.targetKey, atMs, action: a.action.name });
    }
  }

  /** One row per refusal episode: the same refusal on consecutive evaluations extends the row. */
  private refusalRows(result: EvaluatePolicyResult, now: number): void {
    const evaluation = this.summary.evaluations;
    for (const r of result.refusals) {
      this.summary.refusals[r.reason] = (this.summary.refusals[r.reason] ?? 0) + 1;
      const key = `${r.trigger}|${r.targetKey}|${r.reason}|${r.action ?? ''}`;
      const last = this.lastRefusal.get(key);
      if (last && last.evaluation === evaluation - 1) {
        last.row.count = (last.row.count ?? 1) + 1;
        last.row.untilMs = now;
        last.evaluation = evaluation;
        continue;
      }
      const row: BacktestRow = {
        atMs: now,
        kind: 'refused',
        trigger: r.trigger,
        targetKey: r.targetKey,
        ...(r.action ? { action: r.action } : {}),
        ...(r.actionTargetKey ? { actionTargetKey: r.actionTargetKey } : {}),
        reason: r.reason,
        message: r.message,
      };
      this.rows.push(row);
      this.lastRefusal.set(key, { row, evaluation });
    }
  }
}

export function backtest(
  policy: PolicyFile,
  timeline: Timeline,
  assumed: BacktestAssumption,
): BacktestReport {
  const p = policy.policy;
  const run = new BacktestRun(p, assumed);
  for (const entry of timeline.entries) {
    const now = entryTime(entry);
    if (entry.kind === 'error')
      run.rows.push({ atMs: now, kind: 'no-snapshot', message: `collection failed: ${entry.message}` });
    else run.evaluate(entry.snapshot, now);
  }
  run.rows.sort((a, b) => a.atMs - b.atMs);
  return {
    policy: `${policy.namespace}/${policy.name}`,
    file: policy.file,
    mode: p.mode,
    assumption: assumed.text,
    rows: run.rows,
    summary: run.summary,
  };
}
