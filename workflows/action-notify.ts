// Tells people about one incident (this healing action) without ever holding it up. Each phase the
// recorder writes is offered here; domain/notifications.ts decides which message it calls for.
// Messages go out in the background, one lane per channel, in order:
//
//   phase ─▶ lane (slack | webhook): one post in flight, at most one waiting
//
// A newer message replaces the one waiting (an update or the end supersedes an older update; the
// receiver keeps one record per incidentId), so a receiver that is down costs at most two retry
// periods after the last phase, not one per phase. Posts retry for `retryFor`; a post that still
// fails is counted and recorded, never thrown. The workflow waits for the lanes at its very end
// (after the outcome is recorded and the policy told), bounded, so no message is dropped by the
// workflow closing under it.
import { condition, isCancellation, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { HealingActionStatus, NotificationRecord } from '../crds/healing-action.js';
import { failureMessage, NON_RETRYABLE_NOTIFY_ERRORS } from '../domain/error-types.js';
import {
  incidentNotice,
  messageFor,
  NOTIFY_PHASES,
  type NotificationChannel,
  type NotificationEvent,
} from '../domain/notifications.js';
import type { PlannedAction } from '../domain/plan-types.js';
import type { NormalizedNotifications } from '../domain/policy-types.js';
import { metricsSink } from './sinks.js';

/** Histories from before notifications replay without them. */
const PATCH = 'kubeskippy-notifications';
/** Actions planned before notifications existed: the defaults a policy without the section gets. */
const DEFAULTS: NormalizedNotifications = { enabled: true, on: [...NOTIFY_PHASES], retryForMs: 120_000 };

type Route = Awaited<ReturnType<Activities['resolveNotifications']>>;
type Message = { event: NotificationEvent; status: HealingActionStatus };
/** One post in flight (`running`), at most one waiting (`next`); `sequence` numbers the posts. */
type Lane = { running: boolean; next?: Message; sequence: number };

export class ActionNotifier {
  private readonly settings: NormalizedNotifications;
  private readonly enabled: boolean;
  private readonly progress = { opened: false, resolved: false };
  private readonly lanes: Record<NotificationChannel, Lane> = {
    slack: { running: false, sequence: 0 },
    webhook: { running: false, sequence: 0 },
  };
  private route: Promise<Route> | undefined;
  private routeError: string | undefined;
  private readonly record: NotificationRecord = { sent: 0, failed: 0 };
  private readonly acts: Activities;

  constructor(private readonly planned: PlannedAction) {
    this.settings = planned.notifications ?? DEFAULTS;
    this.enabled = this.settings.enabled && patched(PATCH);
    this.acts = proxyActivities<Activities>({
      startToCloseTimeout: '15s',
      scheduleToCloseTimeout: Math.max(this.settings.retryForMs, 1000),
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '30s',
        nonRetryableErrorTypes: NON_RETRYABLE_NOTIFY_ERRORS,
      },
    });
  }

  /** Offered every status the recorder writes; returns at once. */
  phase(status: HealingActionStatus): void {
    if (!this.enabled || !status.phase) return;
    const m = messageFor(status.phase, this.settings.on, this.progress);
    if (!m) return;
    if (m.event === 'opened') this.progress.opened = true;
    if (m.event === 'resolved') this.progress.resolved = true;
    for (const channel of m.channels) {
      const lane = this.lanes[channel];
      lane.next = { event: m.event, status: { ...status } };
      if (!lane.running) {
        lane.running = true;
        void this.drain(channel);
      }
    }
  }

  /** Waits (bounded) for the lanes; what became of the messages, or undefined when none was due. */
  async settle(): Promise<NotificationRecord | undefined> {
    if (!this.enabled) return undefined;
    const idle = (): boolean => !this.lanes.slack.running && !this.lanes.webhook.running;
    // Two retry periods per lane (one in flight, one waiting) and the Secret read before them.
    const settled = await condition(idle, 3 * this.settings.retryForMs + 60_000);
    if (!settled) this.record.lastError = 'a message was still being retried when the action closed';
    return this.record.sent + this.record.failed > 0 || !settled ? { ...this.record } : undefined;
  }

  private async drain(channel: NotificationChannel): Promise<void> {
    const lane = this.lanes[channel];
    for (let m = lane.next; m; m = lane.next) {
      delete lane.next;
      await this.deliver(channel, m, lane);
    }
    lane.running = false;
  }

  private async deliver(channel: NotificationChannel, m: Message, lane: Lane): Promise<void> {
    const route = await (this.route ??= this.resolve());
    // An unreadable Secret fails each message once (on the webhook lane, which every message takes).
    if (this.routeError) return channel === 'webhook' ? this.failed('secret', this.routeError) : undefined;
    if (!route.route || !route.channels.includes(channel)) return; // nothing configured: no message
    const notice = incidentNotice(this.planned, m.status, {
      event: m.event,
      sequence: ++lane.sequence,
      nowMs: Date.now(),
      workflowId: workflowInfo().workflowId,
    });
    try {
      await this.acts.postNotification({ route: route.route, channel, notice });
      this.record.sent++;
      this.report(channel, 'sent');
    } catch (err) {
      // Never rethrown, cancellation included: nobody awaits a lane, so a rejection would be unhandled.
      this.failed(channel, isCancellation(err) ? 'cancelled' : failureMessage(err));
    }
  }

  /** The Secret is read once per incident for its channels; a failure fails each message due. */
  private async resolve(): Promise<Route> {
    try {
      const secret = this.settings.secret;
      return await this.acts.resolveNotifications(secret ? { secret } : {});
    } catch (err) {
      this.routeError = isCancellation(err) ? 'cancelled' : failureMessage(err);
      return { channels: [] };
    }
  }

  private failed(channel: NotificationChannel | 'secret', error: string): void {
    this.record.failed++;
    this.record.lastError = error;
    this.report(channel, 'failed');
    log.warn('notification failed', { channel, error, action: this.planned.healingActionName });
  }

  private report(channel: NotificationChannel | 'secret', outcome: 'sent' | 'failed'): void {
    const { name: policy, namespace } = this.planned.policyRef;
    metricsSink.notified({ policy, namespace, channel, outcome });
  }
}
