// The AI step of a healing action, before anything is recorded or done: read the target afresh,
// ask the model (an activity, so its answer is in history and a replay never asks again), and let
// the pure applyAiAnswer decide what the answer may change. Every failure falls back to the rule.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { incidentContext } from '../domain/ai-context.js';
import type { AiSettings } from '../domain/ai-plan.js';
import {
  aiEventMessage,
  aiReasonCode,
  applyAiAnswer,
  type AiOutcome,
  type AiVerdict,
} from '../domain/ai-verdict.js';
import type { PlannedAction } from '../domain/plan-types.js';
import { actionSnapshotRequest } from '../domain/targets.js';
import type { ActionRecorder } from './action-recorder.js';
import { aiActivities, kubeReads } from './proxies.js';
import { metricsSink } from './sinks.js';

/** Events of the last 15 minutes give the model the story, whatever the trigger's own window. */
const EVENT_LOOKBACK_MS = 15 * 60_000;

function failureOf(err: unknown): { reason: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type)
    return { reason: cause.type, message: cause.message };
  if (cause instanceof TimeoutFailure)
    return { reason: 'AiTimeout', message: 'the model did not answer in time' };
  return { reason: 'AiUnavailable', message: (cause as Error | undefined)?.message ?? String(err) };
}

export async function analyzeStep(planned: PlannedAction): Promise<AiVerdict | undefined> {
  const ai = planned.ai;
  if (!ai) return undefined;
  const req = actionSnapshotRequest(planned);
  let snapshot;
  try {
    snapshot = await kubeReads.collectSnapshot({
      ...req,
      eventLookbackMs: Math.max(req.eventLookbackMs, EVENT_LOOKBACK_MS),
    });
  } catch (err) {
    const message = `could not read the target for the analysis: ${(err as Error).message}`;
    return {
      planned,
      record: { followed: false, reason: `SnapshotFailed: ${message}; the rule's action runs` },
    };
  }
  let outcome: AiOutcome;
  try {
    const context = incidentContext(planned, snapshot, Date.now());
    const r = await aiActivities(ai.settings.timeoutMs).analyzeIncident({ settings: ai.settings, context });
    outcome = { ok: true, model: r.model, answer: r.answer };
  } catch (err) {
    outcome = { ok: false, ...failureOf(err), ...(ai.settings.model ? { model: ai.settings.model } : {}) };
  }
  return applyAiAnswer({ planned, outcome, snapshot });
}

/** Counts the analysis in the metrics and tells it in an AiAnalysis Event on the target and the policy. */
export async function recordAnalysis(
  rec: ActionRecorder,
  planned: PlannedAction,
  settings: AiSettings,
  verdict: AiVerdict,
): Promise<void> {
  const { record } = verdict;
  metricsSink.aiAnalyzed({
    policy: planned.policyRef.name,
    namespace: planned.policyRef.namespace,
    provider: settings.provider,
    mode: settings.mode,
    followed: record.followed ?? false,
    reason: aiReasonCode(record),
    ...(record.confidence !== undefined ? { confidence: record.confidence } : {}),
  });
  const answered = record.confidence !== undefined;
  await rec.event(answered ? 'Normal' : 'Warning', 'AiAnalysis', aiEventMessage(record));
}
