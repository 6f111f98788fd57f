// Prometheus metrics (prom-client). Workflow code reports through the `kubeskippy` sink
// (workflows/sinks.ts); this file turns reports into series. The Temporal SDK's own worker
// metrics are served by the SDK runtime and appended to /metrics by operator/health.ts.
import type { InjectedSinks } from '@temporalio/worker';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { KubeSkippySinks } from '../workflows/sinks.js';

export interface OperatorMetrics {
  sinks: InjectedSinks<KubeSkippySinks>;
}

type Series = ReturnType<typeof createSeries>;

/** The series, registered once per registry. */
function createSeries(registry: Registry) {
  const evaluations = new Counter({
    name: 'kubeskippy_trigger_evaluations_total',
    help: 'Policy evaluations (one per policy per interval)',
    labelNames: ['policy', 'namespace'],
    registers: [registry],
  });
  const fires = new Counter({
    name: 'kubeskippy_trigger_fires_total',
    help: 'Triggers that held for their whole window on a target',
    labelNames: ['policy', 'namespace', 'trigger'],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'kubeskippy_safety_refusals_total',
    help: 'Fires that did not become actions, and actions refused before acting, by reason (Cooldown, BudgetExhausted, Protected, MaxUnavailable, RolloutInProgress, GitOpsManaged, ...)',
    labelNames: ['policy', 'namespace', 'reason'],
    registers: [registry],
  });
  const actions = new Counter({
    name: 'kubeskippy_healing_actions_total',
    help: 'Healing actions that ended, by final phase',
    labelNames: ['policy', 'namespace', 'action', 'phase'],
    registers: [registry],
  });
  const detection = new Histogram({
    name: 'kubeskippy_detection_to_action_seconds',
    help: 'From the trigger condition first holding to the remediation being executed',
    labelNames: ['policy', 'action'],
    // Sub-second buckets: event-driven detection acts within a second or two of the change.
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 180, 300, 600, 1800],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kubeskippy_action_duration_seconds',
    help: 'Healing action duration, start to final phase',
    labelNames: ['policy', 'action', 'phase'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const ai = new Counter({
    name: 'kubeskippy_ai_analyses_total',
    help: 'AI analyses of incidents, by whether the recommendation was followed and why (the reason code)',
    labelNames: ['policy', 'namespace', 'provider', 'mode', 'followed', 'reason'],
    registers: [registry],
  });
  const confidence = new Histogram({
    name: 'kubeskippy_ai_confidence',
    help: "The model's stated confidence in its recommendation (answered analyses only)",
    labelNames: ['policy', 'provider'],
    buckets: [0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'kubeskippy_alert_episodes_total',
    help: 'Alerts a policy recorded: opened (a new episode), repeated (joined a known one), stale, resolved',
    labelNames: ['policy', 'namespace', 'outcome'],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'kubeskippy_notifications_total',
    help: 'Notification messages about incidents, by channel (slack, webhook) and outcome (sent, failed after retries)',
    labelNames: ['policy', 'namespace', 'channel', 'outcome'],
    registers: [registry],
  });
  return {
    evaluations,
    fires,
    refusals,
    actions,
    detection,
    duration,
    ai,
    confidence,
    alerts,
    notifications,
  };
}

export function createMetrics(registry: Registry): OperatorMetrics {
  return { sinks: { kubeskippy: sinksFor(createSeries(registry)) } };
}

/** Workflow reports (the `kubeskippy` sink) turned into series; never called during replay. */
function sinksFor(m: Series): InjectedSinks<KubeSkippySinks>['kubeskippy'] {
  const {
    evaluations,
    fires,
    refusals,
    actions,
    detection,
    duration,
    ai,
    confidence,
    alerts,
    notifications,
  } = m;
  return {
    evaluated: {
      fn: (_info, r): void => {
        evaluations.inc({ policy: r.policy, namespace: r.namespace });
        for (const f of r.fires) fires.inc({ policy: r.policy, namespace: r.namespace, trigger: f.trigger });
        for (const x of r.refusals)
          refusals.inc({ policy: r.policy, namespace: r.namespace, reason: x.reason });
      },
      callDuringReplay: false,
    },
    actionExecuting: {
      fn: (_info, r): void => {
        if (r.detectionToActionSeconds !== undefined) {
          detection.observe({ policy: r.policy, action: r.action }, r.detectionToActionSeconds);
        }
      },
      callDuringReplay: false,
    },
    actionFinished: {
      fn: (_info, r): void => {
        actions.inc({ policy: r.policy, namespace: r.namespace, action: r.action, phase: r.phase });
        if (r.durationSeconds !== undefined)
          duration.observe({ policy: r.policy, action: r.action, phase: r.phase }, r.durationSeconds);
      },
      callDuringReplay: false,
    },
    aiAnalyzed: {
      fn: (_info, r): void => {
        const { policy, namespace, provider, mode, reason } = r;
        ai.inc({ policy, namespace, provider, mode, followed: String(r.followed), reason });
        if (r.confidence !== undefined) confidence.observe({ policy, provider }, r.confidence);
      },
      callDuringReplay: false,
    },
    alertsRecorded: {
      fn: (_info, r): void => {
        for (const [outcome, n] of Object.entries(r.counts))
          if (n > 0) alerts.inc({ policy: r.policy, namespace: r.namespace, outcome }, n);
      },
      callDuringReplay: false,
    },
    safetyRefused: {
      fn: (_info, r): void =>
        void refusals.inc({ policy: r.policy, namespace: r.namespace, reason: r.reason }),
      callDuringReplay: false,
    },
    notified: {
      fn: (_info, r): void => {
        const { policy, namespace, channel, outcome } = r;
        notifications.inc({ policy, namespace, channel, outcome });
      },
      callDuringReplay: false,
    },
  };
}
