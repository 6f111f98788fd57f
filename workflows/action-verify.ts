// The verify step of a healing action: after the delay, check every interval until the timeout
// whether the target healed (the pure assessHealed and stabilityStep decide), and revert a patch
// that did not heal when the policy asks for it.
import { isCancellation, sleep } from '@temporalio/workflow';
import type { ResourceChange } from '../crds/healing-action.js';
import { ActionReason, podsOfInterest, usageOf } from '../domain/action-record.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { actionSnapshotRequest } from '../domain/targets.js';
import { failureMessage } from '../domain/error-types.js';
import { assessHealed, stabilityStep } from '../domain/verify.js';
import type { ActionRecorder } from './action-recorder.js';
import type { AlertWatch } from './alert-watch.js';
import type { Executed, Finish } from './action-steps.js';
import { executeActivities, kubeReads } from './proxies.js';

type Usage = Record<string, string>;

const seconds = (ms: number): number => Math.round(ms / 1000);

/**
 * Waits `delay`, then checks every `interval` until `timeout`: healed (and, with a stabilityPeriod,
 * still healed that long later) → Succeeded; otherwise Failed, with a patch reverted if asked.
 */
export async function verify(
  planned: PlannedAction,
  rec: ActionRecorder,
  executed: Executed,
  before: Usage,
  alert?: AlertWatch,
): Promise<Finish> {
  const { result, changes } = executed;
  const inverse = result.inversePatch ? { inversePatch: result.inversePatch } : {};
  const v = planned.verification;
  // The Verifying record is written while the delay runs: the delay is the pod's time to settle,
  // not ours, so the write need not come before it.
  await Promise.all([
    rec.transition('Verifying', ActionReason.Verifying, result.message, {
      result: { success: false, message: result.message, changes, before, ...inverse },
    }),
    v.enabled ? sleep(v.delayMs) : undefined,
  ]);
  const deadline = Date.now() + v.timeoutMs;
  // Absent in actions planned before stabilityPeriod existed: 0 keeps their recorded path.
  const stabilityMs = v.enabled ? (v.stabilityMs ?? 0) : 0;
  let healedSinceMs: number | undefined;
  let relapses = 0;
  let after: Usage = {};
  for (;;) {
    const read = await readForVerify(planned);
    const verdict =
      'failed' in read
        ? { healed: false, message: read.failed, reason: ActionReason.NotHealed, checked: [] }
        : assessHealed({
            action: planned,
            snapshot: read.snapshot,
            nowMs: Date.now(),
            alertResolved: alert?.resolved ?? false,
          });
    if ('snapshot' in read) after = usageOf(podsOfInterest(planned, read.snapshot, verdict.checked));
    const step = stabilityStep(healedSinceMs, verdict.healed, Date.now(), stabilityMs);
    healedSinceMs = step.healedSinceMs;
    if (step.relapsed) relapses++;
    if (step.stable) {
      const held = stabilityMs > 0 ? `, and stayed so for ${seconds(stabilityMs)}s` : '';
      const message = `${result.message}; ${verdict.message}${held}`;
      const record = { success: true, message, changes, before, after, ...inverse };
      return { phase: 'Succeeded', reason: verdict.reason, message, extra: { result: record } };
    }
    if (Date.now() + v.intervalMs > deadline) {
      const unstable = verdict.healed
        ? `healed for ${seconds(Date.now() - healedSinceMs!)}s of the ${seconds(stabilityMs)}s stabilityPeriod`
        : verdict.message;
      const relapsed = relapses > 0 ? ` (relapsed ${relapses}× after looking healed)` : '';
      return notHealed(planned, { executed, before, after, why: `${unstable}${relapsed}` });
    }
    await sleep(v.intervalMs);
  }
}

/** A failed read is a round that did not show healing, not the end: the deadline still decides,
 * and a failed workflow would leave the record at Verifying for ever. */
async function readForVerify(
  planned: PlannedAction,
): Promise<{ snapshot: Awaited<ReturnType<typeof kubeReads.collectSnapshot>> } | { failed: string }> {
  try {
    return { snapshot: await kubeReads.collectSnapshot(actionSnapshotRequest(planned)) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { failed: `could not read the cluster: ${failureMessage(err)}` };
  }
}

async function notHealed(
  planned: PlannedAction,
  o: { executed: Executed; before: Usage; after: Usage; why: string },
): Promise<Finish> {
  const { result, changes } = o.executed;
  const v = planned.verification;
  let reverted: ResourceChange[] = [];
  if (result.inversePatch && v.rollbackOnFailure) {
    reverted = await executeActivities(planned).revertPatch({
      target: planned.target,
      inversePatch: result.inversePatch,
    });
  }
  const message = `not healed within ${seconds(v.timeoutMs)}s: ${o.why}${reverted.length ? '; patch reverted' : ''}`;
  const inverse = result.inversePatch ? { inversePatch: result.inversePatch } : {};
  const record = {
    success: false,
    message,
    changes: [...changes, ...reverted],
    before: o.before,
    after: o.after,
  };
  return {
    phase: 'Failed',
    reason: reverted.length ? ActionReason.NotHealedReverted : ActionReason.NotHealed,
    message,
    extra: { result: { ...record, ...inverse } },
  };
}
