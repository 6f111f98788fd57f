// The policy workflow's alerts handler: episodes are recorded at once (durably, with the signal
// that carried them); a new episode wakes the loop to evaluate now, and a resolution is passed on
// to the action answering it (which then ends Skipped while it waits, or may verify as healed).
import { condition, log } from '@temporalio/workflow';
import { recordAlerts, type AlertNotice } from '../domain/alerts.js';
import { alertResolvedSignal } from './messages.js';
import type { PolicyRun } from './policy-run.js';
import { metricsSink } from './sinks.js';
import { tellPolicy as tell } from './tell-policy.js';

export async function receiveAlerts(run: PolicyRun, notices: AlertNotice[]): Promise<void> {
  const episodes = (run.state.alerts ??= {});
  const r = recordAlerts(episodes, run.policy, notices, Date.now());
  metricsSink.alertsRecorded({ policy: run.ref.name, namespace: run.ref.namespace, counts: r.counts });
  log.info('alerts recorded', { ...r.counts });
  if (r.counts.opened > 0) run.wake = true;
  // An action planned in the tick now running may not exist yet: tell it once it does.
  if (r.resolvedActions.length) await condition(() => run.starting === 0);
  await Promise.all(
    r.resolvedActions.map((a) =>
      tell(a.workflowId, alertResolvedSignal, { episode: a.episode, resolvedMs: a.resolvedMs }),
    ),
  );
}
