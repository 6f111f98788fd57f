// The webhook action's pure decisions (domain/webhook.ts) and its policy-level checks: where the
// operator may POST (the allow-list), and a body template that can never become code or bad JSON.
import { describe, expect, it } from 'vitest';
import { formatErrors, parseHealingPolicySpec } from '../../crds/index.js';
import { loadConfig } from '../../operator/config.js';
import {
  DEFAULT_WEBHOOK_BODY,
  renderWebhookBody,
  webhookUrlAllowed,
  webhookUrlRefusal,
  WEBHOOK_PLACEHOLDERS,
  type WebhookValues,
} from '../../domain/webhook.js';
import { normalizedAction, policySpec } from '../fixtures/domain-builders.js';

const values = (over: Partial<WebhookValues> = {}): WebhookValues => ({
  ...(Object.fromEntries(WEBHOOK_PLACEHOLDERS.map((p) => [p, `v-${p}`])) as WebhookValues),
  ...over,
});

describe('webhook URL allow-list', () => {
  const allow = ['https://hooks.example.com', 'http://10.0.0.5:8080/heal/'];
  it.each([
    ['https://hooks.example.com', true],
    ['https://hooks.example.com/a/b?x=1', true],
    ['https://hooks.example.com.evil.io/a', false],
    ['https://hooks.example.comx', false],
    ['http://hooks.example.com/a', false],
    ['http://10.0.0.5:8080/heal/run', true],
    ['http://10.0.0.5:8080/other', false],
  ])('%s → %s', (url, ok) => {
    expect(webhookUrlAllowed(url, allow)).toBe(ok);
  });

  it('allows nothing when empty, and says how to allow', () => {
    expect(webhookUrlRefusal('https://hooks.example.com/x', [])).toMatch(
      /allows no webhook URLs \(set KUBESKIPPY_WEBHOOK_ALLOW\)/,
    );
    expect(webhookUrlRefusal('https://x.io', allow)).toMatch(
      /starts with none of https:\/\/hooks.example.com/,
    );
  });

  it('is read from KUBESKIPPY_WEBHOOK_ALLOW, and a prefix without scheme and host is refused', () => {
    expect(loadConfig({}, { KUBESKIPPY_WEBHOOK_ALLOW: 'https://a.io, http://b:1/x/' }).webhookAllow).toEqual([
      'https://a.io',
      'http://b:1/x/',
    ]);
    expect(loadConfig({}, {}).webhookAllow).toEqual([]);
    expect(() => loadConfig({}, { KUBESKIPPY_WEBHOOK_ALLOW: 'a.io' })).toThrow(
      /KUBESKIPPY_WEBHOOK_ALLOW.*must start http:\/\/ or https:\/\/.*"a.io"/,
    );
  });
});

describe('webhook body template', () => {
  it('fills placeholders as JSON string content: a value cannot break out of its string', () => {
    const r = renderWebhookBody(
      '{"target":"{{target.name}}","id":"{{actionId}}"}',
      values({ 'target.name': 'a"},"x":"y' }),
    );
    expect(r.ok).toBe(true);
    expect(JSON.parse((r as { body: string }).body)).toEqual({ target: 'a"},"x":"y', id: 'v-actionId' });
  });

  it('the default body carries every placeholder', () => {
    const r = renderWebhookBody(DEFAULT_WEBHOOK_BODY, values());
    expect(Object.keys(JSON.parse((r as { body: string }).body)).sort()).toEqual(
      [...WEBHOOK_PLACEHOLDERS].sort(),
    );
  });

  it('refuses an unknown placeholder and a body that is not JSON once filled in, naming the field', () => {
    const bad = (body: string): string => {
      const parsed = parseHealingPolicySpec({
        ...policySpec(),
        actions: [
          { name: 'tell', type: 'webhook', webhookAction: { url: 'https://hooks.example.com/x', body } },
        ],
      });
      expect(parsed.ok).toBe(false);
      return formatErrors((parsed as { errors: { field: string; message: string }[] }).errors);
    };
    expect(bad('{"p":"{{process.env}}"}')).toMatch(
      /spec\.actions\[0\]\.webhookAction\.body: unknown placeholder \{\{process\.env\}\}/,
    );
    expect(bad('{"p": {{policy}} }')).toMatch(
      /spec\.actions\[0\]\.webhookAction\.body: the body is not JSON once filled in/,
    );
  });

  it('is required for type webhook, and normalizes with the default body and timeout', () => {
    const parsed = parseHealingPolicySpec({ ...policySpec(), actions: [{ name: 'tell', type: 'webhook' }] });
    expect(parsed.ok).toBe(false);
    expect(formatErrors((parsed as { errors: { field: string; message: string }[] }).errors)).toMatch(
      /webhookAction.*required when type is "webhook"/,
    );
    const a = normalizedAction('webhook', { webhookAction: { url: 'https://hooks.example.com/x' } });
    expect(a.webhookAction).toEqual({
      url: 'https://hooks.example.com/x',
      body: DEFAULT_WEBHOOK_BODY,
      timeoutSeconds: 5,
    });
  });
});
