// Alertmanager's webhook payload (version 4), checked at the edge: a malformed one is answered 400
// with the field named, never half-read. Extra fields are allowed (Alertmanager adds some).
import { z } from 'zod';
import type { AlertNotice } from '../../domain/alerts.js';

const Labels = z.record(z.string(), z.string());
/** Alertmanager writes the zero time (0001-01-01T00:00:00Z) for "not ended". */
const Time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be an RFC 3339 time');

export const WebhookAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels.refine((l) => Boolean(l['alertname']), 'must have an alertname'),
  annotations: Labels.optional(),
  startsAt: Time,
  endsAt: Time.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(64),
});

export const WebhookPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: Labels.optional(),
  commonLabels: Labels.optional(),
  commonAnnotations: Labels.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(WebhookAlert).min(1).max(1000),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** The payload's alerts, one notice each (a grouped notification is split here). */
export function noticesOf(payload: WebhookPayload): AlertNotice[] {
  return payload.alerts.map((a) => {
    const endsAtMs = a.endsAt ? Date.parse(a.endsAt) : NaN;
    return {
      fingerprint: a.fingerprint,
      status: a.status,
      labels: { ...a.labels },
      startsAtMs: Date.parse(a.startsAt),
      ...(endsAtMs > 0 ? { endsAtMs } : {}),
    };
  });
}

/** The payload, or the first problem with a field named (`alerts[2].fingerprint: ...`). */
export function parsePayload(
  body: unknown,
): { ok: true; payload: WebhookPayload } | { ok: false; error: string } {
  const r = WebhookPayload.safeParse(body);
  if (r.success) return { ok: true, payload: r.data };
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return { ok: false, error: `${path.replace(/^\./, '') || 'body'}: ${issue.message}` };
}
