// The change gate, right before an action acts: while its workload rolls out, the cluster upgrades
// or a silence covers it (domain/change-gate.ts judges a fresh read each time), the action waits
// on a durable timer and re-checks, up to safetyRules.changeWaitTimeout; then it goes on, or ends
// Skipped with the reason.
//
//   check ──clear──▶ act (after a wait: the safety check again, time has passed)
//     │ change seen
//     ├─ skip, or the bound reached ──▶ Skipped (RolloutInProgress | ClusterUpgrade | Silenced)
//     └─ wait ──▶ Pending with the reason and what was seen ──timer──▶ check
//
// Waiting is visible: phase Pending, the reason and message in status, one Event when it starts.
// A refusal counts in kubeskippy_safety_refusals_total{reason} like the planner's.
import { isCancellation, sleep } from '@temporalio/workflow';
import { ActionReason, rfc3339 } from '../domain/action-record.js';
import {
  changeRequest,
  gateActive,
  judgeChanges,
  recheckIntervalMs,
  type ChangeVerdict,
} from '../domain/change-gate.js';
import { formatDuration } from '../domain/duration.js';
import { failureMessage } from '../domain/error-types.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { ActionRecorder } from './action-recorder.js';
import { safetyCheck, type SafetyCheck } from './action-steps.js';
import { kubeReads } from './proxies.js';
import { metricsSink } from './sinks.js';

type Refusal = { ok: false; reason: string; message: string };

async function check(
  planned: PlannedAction,
  req: ReturnType<typeof changeRequest>,
): Promise<ChangeVerdict | Refusal> {
  try {
    const seen = await kubeReads.collectChanges(req);
    return judgeChanges({ planned, gate: planned.safety.changeGate!, seen });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const message = `the change check could not read the cluster: ${failureMessage(err)}`;
    return { ok: false, reason: ActionReason.ClusterReadFailed, message };
  }
}

function refuse(planned: PlannedAction, refusal: Refusal): SafetyCheck {
  metricsSink.safetyRefused({
    policy: planned.policyRef.name,
    namespace: planned.policyRef.namespace,
    reason: refusal.reason,
  });
  return { ok: false, reason: refusal.reason, message: refusal.message };
}

/**
 * `prior` is the safety check already passed; the answer is it (no change seen), a fresh one
 * (after a wait), or a refusal. Actions planned before the rule existed carry no gate: unchanged.
 */
export async function changeGate(
  planned: PlannedAction,
  rec: ActionRecorder,
  prior: SafetyCheck,
): Promise<SafetyCheck> {
  const gate = planned.safety.changeGate;
  if (!prior.ok || !gateActive(gate)) return prior;
  const req = changeRequest(planned, gate);
  const deadline = Date.now() + gate.waitTimeoutMs;
  let shown = '';
  for (;;) {
    const verdict = await check(planned, req);
    if (verdict.ok) return shown ? safetyCheck(planned) : prior;
    const waiting = 'mode' in verdict && verdict.mode === 'wait' && Date.now() < deadline;
    if (!waiting) {
      const waited = shown
        ? ` (waited ${formatDuration(gate.waitTimeoutMs)}, safetyRules.changeWaitTimeout)`
        : '';
      return refuse(planned, { ...verdict, message: `${verdict.message}${waited}` });
    }
    const message = `waiting until ${rfc3339(deadline)} for the change to end: ${verdict.message}`;
    if (message !== shown) {
      const first = !shown;
      shown = message;
      await rec.transition('Pending', verdict.reason, message);
      if (first) await rec.event('Normal', 'HealingDeferred', message);
    }
    await sleep(Math.min(recheckIntervalMs(gate), Math.max(1, deadline - Date.now())));
  }
}
