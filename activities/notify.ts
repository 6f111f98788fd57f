// Notifications I/O: read the Secret that holds the endpoints, and POST one message.
//
// The endpoints come only from a Secret (the policy's secretRef in its own namespace, or the
// operator's KUBESKIPPY_NOTIFICATIONS_SECRET), read at every post so a rotated URL or token applies
// at once. A policy's Secret is written by whoever owns that namespace, so its URLs must pass the
// operator's allow-list (KUBESKIPPY_WEBHOOK_ALLOW), as webhook actions do; the operator's own
// Secret is its owner's choice and is not checked. A 5xx, 408, 429, timeout or network error is
// retried by the workflow's retry policy with the same Idempotency-Key; another 4xx, a missing
// Secret or key, or a refused URL cannot change on a retry and fails at once.
import { ApplicationFailure } from '@temporalio/common';
import {
  idempotencyKey,
  parseNotificationSecret,
  SECRET_KEYS,
  slackMessage,
  type IncidentNotice,
  type NotificationChannel,
  type NotificationEndpoints,
} from '../domain/notifications.js';
import { NotifyError } from '../domain/error-types.js';
import { webhookUrlAllowed } from '../domain/webhook.js';
import { IDEMPOTENCY_HEADER } from './executors/webhook.js';
import type { Kube } from './kube/clients.js';
import { kubeCall } from './kube/errors.js';

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface NotifyDeps {
  kube: Kube;
  /** The operator-wide Secret (KUBESKIPPY_NOTIFICATIONS_SECRET), for policies that name none. */
  defaultSecret?: SecretRef;
  /** URL prefixes a policy's Secret may name (KUBESKIPPY_WEBHOOK_ALLOW). */
  allow: readonly string[];
}

/** Where one incident's messages go: the Secret to read and whether it is the policy's own. */
export interface NotifyRoute {
  secret: SecretRef;
  policySecret: boolean;
}

/** The policy's Secret, else the operator's; undefined when neither is set. */
export function routeFor(
  deps: Pick<NotifyDeps, 'defaultSecret'>,
  secret?: SecretRef,
): NotifyRoute | undefined {
  if (secret) return { secret, policySecret: true };
  return deps.defaultSecret ? { secret: deps.defaultSecret, policySecret: false } : undefined;
}

const refOf = (s: SecretRef): string => `${s.namespace}/${s.name}`;

/** The Secret's endpoints, checked: a missing key or a refused URL is a non-retryable failure. */
export async function readEndpoints(deps: NotifyDeps, route: NotifyRoute): Promise<NotificationEndpoints> {
  const { namespace, name } = route.secret;
  const what = `read the notification Secret ${refOf(route.secret)}`;
  const secret = await kubeCall(what, () => deps.kube.core.readNamespacedSecret({ name, namespace }));
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] ??= v;
  const parsed = parseNotificationSecret(refOf(route.secret), data);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.message, NotifyError.BadSecret);
  if (route.policySecret) {
    for (const key of [SECRET_KEYS.slack, SECRET_KEYS.webhook] as const) {
      const url = parsed.endpoints[key];
      // The message never repeats the URL: a Slack webhook URL is its own credential.
      if (url !== undefined && !webhookUrlAllowed(url, deps.allow))
        throw ApplicationFailure.nonRetryable(
          `Secret ${refOf(route.secret)}: key ${key} names a URL outside the operator's allow-list ` +
            `(KUBESKIPPY_WEBHOOK_ALLOW${deps.allow.length ? '' : ', which is empty'})`,
          NotifyError.NotAllowed,
        );
    }
  }
  return parsed.endpoints;
}

/** The channels the Secret configures (the workflow asks once per incident). */
export async function notificationChannels(
  deps: NotifyDeps,
  route: NotifyRoute,
): Promise<NotificationChannel[]> {
  const e = await readEndpoints(deps, route);
  return [...(e.slackWebhookUrl ? ['slack' as const] : []), ...(e.webhookUrl ? ['webhook' as const] : [])];
}

/** One message to one channel; resolves on a 2xx. */
export async function postNotification(
  deps: NotifyDeps,
  input: { route: NotifyRoute; channel: NotificationChannel; notice: IncidentNotice },
): Promise<{ status: number }> {
  const e = await readEndpoints(deps, input.route);
  const url = input.channel === 'slack' ? e.slackWebhookUrl : e.webhookUrl;
  if (!url)
    throw ApplicationFailure.nonRetryable(
      `Secret ${refOf(input.route.secret)} no longer has a URL for ${input.channel}`,
      NotifyError.BadSecret,
    );
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (input.channel === 'webhook') {
    headers[IDEMPOTENCY_HEADER] = idempotencyKey(input.notice);
    if (e.token) headers['authorization'] = `Bearer ${e.token}`;
  }
  const body = JSON.stringify(input.channel === 'slack' ? slackMessage(input.notice) : input.notice);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual', // a redirect could leave the allow-list
    });
  } catch (err) {
    // The URL is a secret (a Slack webhook URL is its own credential): name the channel, not the URL.
    throw new Error(`${input.channel} notification failed: ${(err as Error).message}`);
  }
  const answer = (await res.text().catch(() => '')).slice(0, 200);
  if (res.status >= 200 && res.status < 300) return { status: res.status };
  const message = `${input.channel} notification answered ${res.status}${answer ? `: ${answer}` : ''}`;
  if (res.status >= 500 || res.status === 408 || res.status === 429) throw new Error(message);
  throw ApplicationFailure.nonRetryable(message, NotifyError.Rejected);
}
