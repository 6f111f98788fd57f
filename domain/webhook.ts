// The webhook action's two decisions, pure so the controller, the executor and tests share them:
//
// - Is the URL allowed? Only URLs starting with one of the operator-wide prefixes
//   (KUBESKIPPY_WEBHOOK_ALLOW). A policy author can name any URL; the operator's owner decides
//   where the operator may send requests, so an empty list allows nothing.
// - The body: a JSON template with named placeholders, substituted as JSON string content. No
//   expression is evaluated; an unknown name is an error, and the result must parse as JSON.

/** The placeholders a body may use. */
export const WEBHOOK_PLACEHOLDERS = [
  'policy',
  'namespace',
  'target.kind',
  'target.name',
  'target.namespace',
  'trigger',
  'action',
  'actionId',
] as const;
export type WebhookPlaceholder = (typeof WEBHOOK_PLACEHOLDERS)[number];
export type WebhookValues = Record<WebhookPlaceholder, string>;

/** The body when the policy gives none: every placeholder, under its own name. */
export const DEFAULT_WEBHOOK_BODY = JSON.stringify(
  Object.fromEntries(WEBHOOK_PLACEHOLDERS.map((p) => [p, `{{${p}}}`])),
);

const PLACEHOLDER = /\{\{\s*([A-Za-z.]+)\s*\}\}/g;

/**
 * True when `url` starts with an allowed prefix. A prefix that is a bare origin
 * (`https://hooks.example.com`) is matched up to a `/`, `?` or the end, so
 * `https://hooks.example.com.evil.io` is not inside it.
 */
export function webhookUrlAllowed(url: string, allow: readonly string[]): boolean {
  return allow.some((prefix) => {
    if (!prefix || !url.startsWith(prefix)) return false;
    if (/[/?#]$/.test(prefix)) return true;
    const next = url.charAt(prefix.length);
    return next === '' || next === '/' || next === '?' || next === '#';
  });
}

/** Why the URL is refused, in words naming the allow-list; undefined when it is allowed. */
export function webhookUrlRefusal(url: string, allow: readonly string[]): string | undefined {
  if (webhookUrlAllowed(url, allow)) return undefined;
  return allow.length === 0
    ? `webhook URL ${url} is not allowed: the operator allows no webhook URLs (set KUBESKIPPY_WEBHOOK_ALLOW)`
    : `webhook URL ${url} is not allowed: it starts with none of ${allow.join(', ')}`;
}

export type RenderedBody = { ok: true; body: string } | { ok: false; message: string };

/** The body with every placeholder replaced by its value, escaped as JSON string content. */
export function renderWebhookBody(template: string, values: WebhookValues): RenderedBody {
  const unknown: string[] = [];
  const body = template.replace(PLACEHOLDER, (_m, name: string) => {
    if (!(WEBHOOK_PLACEHOLDERS as readonly string[]).includes(name)) {
      unknown.push(name);
      return '';
    }
    // Escaped as the inside of a JSON string: a value can never close the string it sits in.
    return JSON.stringify(values[name as WebhookPlaceholder]).slice(1, -1);
  });
  if (unknown.length > 0)
    return {
      ok: false,
      message: `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')} (known: ${WEBHOOK_PLACEHOLDERS.join(', ')})`,
    };
  try {
    JSON.parse(body);
  } catch (err) {
    return { ok: false, message: `the body is not JSON once filled in: ${(err as Error).message}` };
  }
  return { ok: true, body };
}

/** The template checked with sample values, as the policy is read (same rules as at run time). */
export function webhookBodyProblem(template: string): string | undefined {
  const sample = Object.fromEntries(WEBHOOK_PLACEHOLDERS.map((p) => [p, 'x'])) as WebhookValues;
  const r = renderWebhookBody(template, sample);
  return r.ok ? undefined : r.message;
}
