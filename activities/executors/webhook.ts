// The webhook action: one POST of the incident as JSON to an allow-listed URL.
//
// Idempotent for the receiver: every attempt carries `Idempotency-Key: <action id>`, so a retry
// after a lost answer (or a 5xx) is recognisably the same delivery. Success is any 2xx. A 4xx
// other than 408/429 cannot change on a retry and fails at once; 5xx, 408, 429, timeouts and
// network errors are retried by the activity's policy. Dry run sends nothing.
import { ApplicationFailure } from '@temporalio/common';
import { renderWebhookBody, webhookUrlRefusal, type WebhookValues } from '../../domain/webhook.js';
import type { ActionOf, ExecuteActionInput, ExecuteActionResult } from './types.js';

export interface WebhookDeps {
  /** URL prefixes the operator may POST to (KUBESKIPPY_WEBHOOK_ALLOW); empty: none. */
  allow: readonly string[];
}

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

function valuesOf(input: ExecuteActionInput, action: ActionOf<'webhook'>): WebhookValues {
  return {
    policy: input.incident?.policy ?? '',
    namespace: input.target.namespace,
    'target.kind': input.target.kind,
    'target.name': input.target.name,
    'target.namespace': input.target.namespace,
    trigger: input.incident?.trigger ?? '',
    action: action.name,
    actionId: input.actionId,
  };
}

export async function callWebhook(
  deps: WebhookDeps,
  input: ExecuteActionInput,
  action: ActionOf<'webhook'>,
): Promise<ExecuteActionResult> {
  const { url, body: template, timeoutSeconds } = action.webhookAction;
  // Checked again here, not only when the policy is read: the allow-list may have shrunk since.
  const refusal = webhookUrlRefusal(url, deps.allow);
  if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'WebhookNotAllowed');
  const rendered = renderWebhookBody(template, valuesOf(input, action));
  if (!rendered.ok) throw ApplicationFailure.nonRetryable(rendered.message, 'WebhookBadBody');
  if (input.dryRun)
    return { outcome: 'dry-run', message: `would POST ${rendered.body.length} bytes to ${url}`, changes: [] };
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDEMPOTENCY_HEADER]: input.actionId },
      body: rendered.body,
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
      redirect: 'manual', // a redirect could leave the allow-list
    });
  } catch (err) {
    throw new Error(`webhook POST to ${url} failed: ${(err as Error).message}`);
  }
  const answer = (await res.text().catch(() => '')).slice(0, 200);
  if (res.status >= 200 && res.status < 300) {
    return {
      outcome: 'applied',
      message: `POST ${url} answered ${res.status}`,
      changes: [],
      details: { url, status: String(res.status), idempotencyKey: input.actionId },
    };
  }
  const message = `webhook POST to ${url} answered ${res.status}${answer ? `: ${answer}` : ''}`;
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  if (retryable) throw new Error(message);
  throw ApplicationFailure.nonRetryable(message, 'WebhookRejected');
}
