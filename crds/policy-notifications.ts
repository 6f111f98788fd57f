// spec.notifications: where a policy's incidents are told to people. The endpoints and their
// credentials are never in the policy: a Secret holds them (domain/notifications.ts reads its
// keys), so a policy can be shared or shown without leaking a webhook URL.
import { z } from 'zod';
import { NOTIFY_PHASES } from '../domain/notifications.js';
import { PositiveDuration } from './common.js';

/** The phases a notification can start at (Pending is not one: nothing has been checked yet). */
export const NotifyPhase = z.enum(NOTIFY_PHASES);
export type NotifyPhase = z.infer<typeof NotifyPhase>;

export const Notifications = z.object({
  enabled: z
    .boolean()
    .default(true)
    .describe("false: no notifications for this policy, not even to the operator's default Secret."),
  secretRef: z
    .object({
      name: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Secret name (DNS subdomain)')
        .describe("Name of a Secret in the policy's namespace."),
    })
    .optional()
    .describe(
      'Secret with the endpoints: slackWebhookUrl (a Slack-compatible incoming webhook) and/or ' +
        "webhookUrl (a JSON webhook), optional token (bearer for webhookUrl). Default: the operator's " +
        'Secret (KUBESKIPPY_NOTIFICATIONS_SECRET).',
    ),
  on: z
    .array(NotifyPhase)
    .min(1)
    .max(8)
    .optional()
    .describe(
      'Phases that start a notification (default: all). Once an incident is notified, its later ' +
        'phases and its end are always sent, so no receiver keeps an incident open for ever.',
    ),
  retryFor: PositiveDuration.default('2m').describe(
    'How long one message is retried before it counts as failed (the healing never waits for it).',
  ),
});
export type Notifications = z.infer<typeof Notifications>;
