// Metrics from workflow code go through a sink: the worker records them outside the sandbox, and
// (callDuringReplay: false) a replayed history does not count twice.
import { proxySinks, type Sinks } from '@temporalio/workflow';

export interface EvaluationReport {
  policy: string;
  namespace: string;
  fires: { trigger: string }[];
  refusals: { reason: string }[];
}

/** A healing action its live safety check refused (Skipped): counted with the planner's refusals. */
export interface RefusalReport {
  policy: string;
  namespace: string;
  reason: string;
}

export interface ActionReport {
  policy: string;
  namespace: string;
  action: string;
  phase: string;
  /** From the trigger condition first holding to the change being made (executions only). */
  detectionToActionSeconds?: number;
  /** From the action workflow's start to its end. */
  durationSeconds?: number;
}

export interface AiReport {
  policy: string;
  namespace: string;
  provider: string;
  mode: string;
  /** Whether the recommendation was followed (advise mode: whether it agreed with the rule). */
  followed: boolean;
  /** The reason code: Followed, AdviseOnly, BelowMinConfidence, NotAllowed, AiUnavailable, ... */
  reason: string;
  confidence?: number;
}

/** One batch of alerts a policy recorded (domain/alerts.ts recordAlerts counts). */
export interface AlertsReport {
  policy: string;
  namespace: string;
  counts: Record<'opened' | 'repeated' | 'stale' | 'resolved', number>;
}

/** One notification that settled: delivered, or failed after its retries. */
export interface NotificationReport {
  policy: string;
  namespace: string;
  channel: string;
  outcome: 'sent' | 'failed';
}

/** An action refused at its last moment by a safety rule (RolloutInProgress, GitOpsManaged, ...): kubeskippy_safety_refusals_total{reason}. */
export interface RefusalReport {
  policy: string;
  namespace: string;
  reason: string;
}

export interface KubeSkippySinks extends Sinks {
  kubeskippy: {
    evaluated(report: EvaluationReport): void;
    actionExecuting(report: ActionReport): void;
    actionFinished(report: ActionReport): void;
    aiAnalyzed(report: AiReport): void;
    alertsRecorded(report: AlertsReport): void;
    notified(report: NotificationReport): void;
    safetyRefused(report: RefusalReport): void;
  };
}

export const { kubeskippy: metricsSink } = proxySinks<KubeSkippySinks>();
