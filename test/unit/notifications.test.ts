// Notifications, the pure parts: which message each phase calls for (once per incident, Slack only
// at the start and the end), the JSON body and the Slack text built from a real planned action,
// the approve commands, spec.notifications through the real schema, the Secret's keys, the
// operator-wide default's setting, and the allow-list on a policy's Secret (a fake API read).
import { describe, expect, it } from 'vitest';
import type { ActionPhase, HealingActionStatus } from '../../crds/healing-action.js';
import { parseHealingPolicySpec } from '../../crds/validate.js';
import {
  incidentNotice,
  messageFor,
  NOTIFY_PHASES,
  parseNotificationSecret,
  slackMessage,
  type NotificationEvent,
} from '../../domain/notifications.js';
import type { PlannedAction } from '../../domain/plan-types.js';
import { blastRadiusOf } from '../../domain/blast-radius.js';
import type { Kube } from '../../activities/kube/clients.js';
import { readEndpoints, routeFor } from '../../activities/notify.js';
import { loadConfig } from '../../operator/config.js';
import { Driver } from '../fixtures/domain-run.js';
import {
  memoryTrigger,
  pod,
  policy,
  policySpec,
  restartAction,
  snapshot,
  withMemory,
} from '../fixtures/domain-builders.js';

const T0 = 10_000_000;

/** One real planned action: a leaking pod, through normalizePolicy and evaluatePolicy. */
function planned(spec: Record<string, unknown> = {}): PlannedAction {
  const d = new Driver(policy({ triggers: [memoryTrigger(85)], actions: [restartAction()], ...spec }));
  const r = d.tick(snapshot(T0, [pod('a', withMemory(0.9)), pod('b')]));
  expect(r.planned).toHaveLength(1);
  return r.planned[0]!;
}

/** The events a run of phases produces, per channel, like the workflow's notifier sees them. */
function conversation(
  phases: ActionPhase[],
  on: readonly string[] = NOTIFY_PHASES,
): Record<string, NotificationEvent[]> {
  const progress = { opened: false, resolved: false };
  const out: Record<string, NotificationEvent[]> = { slack: [], webhook: [] };
  for (const phase of phases) {
    const m = messageFor(phase, on, progress);
    if (!m) continue;
    if (m.event === 'opened') progress.opened = true;
    if (m.event === 'resolved') progress.resolved = true;
    for (const c of m.channels) out[c]!.push(m.event);
  }
  return out;
}

describe('messageFor: one conversation per incident', () => {
  it.each<[string, ActionPhase[], string[] | undefined, NotificationEvent[], NotificationEvent[]]>([
    [
      'automatic',
      ['Pending', 'Executing', 'Verifying', 'Succeeded'],
      undefined,
      ['opened', 'updated', 'resolved'],
      ['opened', 'resolved'],
    ],
    [
      'approved',
      ['Pending', 'AwaitingApproval', 'Executing', 'Verifying', 'Failed'],
      undefined,
      ['opened', 'updated', 'updated', 'resolved'],
      ['opened', 'resolved'],
    ],
    ['skipped at the safety check', ['Pending', 'Skipped'], undefined, ['resolved'], ['resolved']],
    [
      'only failures asked for, and it succeeded',
      ['Pending', 'Executing', 'Verifying', 'Succeeded'],
      ['Failed'],
      [],
      [],
    ],
    [
      'only failures asked for, and it failed',
      ['Pending', 'Executing', 'Verifying', 'Failed'],
      ['Failed'],
      ['resolved'],
      ['resolved'],
    ],
    [
      'opened by approval: the end is told even if not asked for',
      ['Pending', 'AwaitingApproval', 'Rejected'],
      ['AwaitingApproval'],
      ['opened', 'resolved'],
      ['opened', 'resolved'],
    ],
    [
      'nothing after the end',
      ['Executing', 'Succeeded', 'Succeeded'],
      undefined,
      ['opened', 'resolved'],
      ['opened', 'resolved'],
    ],
  ])('%s', (_name, phases, on, webhook, slack) => {
    expect(conversation(phases, on)).toEqual({ webhook, slack });
  });
});

describe('the messages, from a real planned action', () => {
  const status = (s: Partial<HealingActionStatus>): HealingActionStatus => ({ phase: 'Executing', ...s });

  it('the JSON body names the incident, the target and the trigger; the end carries the figures', () => {
    const p = planned();
    const end = incidentNotice(
      p,
      status({
        phase: 'Succeeded',
        reason: 'Healed',
        message: 'replacement ready',
        result: { success: true, before: { memory: '461Mi (90%)' }, after: { memory: '120Mi (23%)' } },
      }),
      { event: 'resolved', sequence: 3, nowMs: T0 + 5000, workflowId: p.workflowId },
    );
    expect(end).toMatchObject({
      incidentId: p.workflowId,
      sequence: 3,
      event: 'resolved',
      at: new Date(T0 + 5000).toISOString(),
      phase: 'Succeeded',
      policy: { namespace: 'demo', name: 'heal' },
      healingAction: { namespace: 'demo', name: p.healingActionName },
      target: { kind: 'Pod', namespace: 'demo', name: 'a' },
      trigger: { name: 'high-memory', type: 'metric', threshold: '> 85' },
      action: { name: 'restart', type: 'restart' },
      outcome: { success: true, before: { memory: '461Mi (90%)' }, after: { memory: '120Mi (23%)' } },
    });
    expect(end.approval).toBeUndefined();
    const text = slackMessage(end).text;
    expect(text).toContain('*demo/heal*: high-memory');
    expect(text).toContain('ended *Succeeded* (Healed)');
    expect(text).toContain('before: memory 461Mi (90%)');
    expect(text).toContain('after: memory 120Mi (23%)');
    // Plain JSON: what crosses Temporal and goes on the wire.
    expect(JSON.parse(JSON.stringify(end))).toEqual(end);
  });

  it('an action waiting for approval carries the commands that decide it', () => {
    const p = planned({ mode: 'manual' });
    expect(p.requiresApproval).toBe(true);
    const n = incidentNotice(
      p,
      status({
        phase: 'AwaitingApproval',
        approval: { required: true, expiresAt: '2026-01-01T01:00:00.000Z' },
      }),
      { event: 'opened', sequence: 1, nowMs: T0, workflowId: p.workflowId },
    );
    expect(n.approval).toEqual({
      expiresAt: '2026-01-01T01:00:00.000Z',
      commands: {
        approve: [
          `kubectl annotate healingaction -n demo ${p.healingActionName} kubeskippy.io/approve=true`,
          `kubeskippy action approve demo/${p.healingActionName}`,
          `temporal workflow update execute --workflow-id ${p.workflowId} --name approveAction --input '{"decision":"approve","by":"YOUR-NAME"}'`,
        ],
        reject: [
          `kubectl annotate healingaction -n demo ${p.healingActionName} kubeskippy.io/approve=reject`,
          `kubeskippy action reject demo/${p.healingActionName}`,
          `temporal workflow update execute --workflow-id ${p.workflowId} --name approveAction --input '{"decision":"reject","by":"YOUR-NAME"}'`,
        ],
      },
    });
    expect(n.outcome).toBeUndefined();
    const text = slackMessage(n).text;
    expect(text).toContain('*waits for approval* (until 2026-01-01T01:00:00.000Z)');
    for (const c of n.approval!.commands.approve) expect(text).toContain(c);
    expect(text).toContain(`kubeskippy action reject demo/${p.healingActionName}`);
  });
});

describe('the blast radius in the messages', () => {
  it('the JSON body carries status.blastRadius and Slack says it in a line', () => {
    const p = planned({ mode: 'manual' });
    const snap = snapshot(T0, [pod('a', withMemory(0.9)), pod('b')]);
    // The Service web selects both pods; its slice has both ready (keys: the pods' uids).
    snap.services = [{ namespace: 'demo', name: 'web', selector: { app: 'web' } }];
    snap.endpointSlices = [
      {
        namespace: 'demo',
        name: 'web-x',
        service: 'web',
        ready: snap.pods.map((q) => q.ref.uid),
        notReady: [],
      },
    ];
    const blastRadius = blastRadiusOf(p, snap);
    const n = incidentNotice(
      p,
      { phase: 'AwaitingApproval', approval: { required: true }, blastRadius },
      { event: 'opened', sequence: 1, nowMs: T0, workflowId: p.workflowId },
    );
    expect(n.blastRadius?.services).toEqual([{ name: 'web', endpoints: 2, readyBefore: 2, readyAfter: 1 }]);
    expect(slackMessage(n).text).toContain(
      'blast radius: restart takes 1 ready pod out of service: Deployment web 2 → 1 ready of 2; Service web 2 → 1 ready endpoints of 2',
    );
    // Before the safety check has run there is none to tell.
    const early = incidentNotice(
      p,
      { phase: 'Executing' },
      { event: 'opened', sequence: 1, nowMs: T0, workflowId: p.workflowId },
    );
    expect(early.blastRadius).toBeUndefined();
    expect(slackMessage(early).text).not.toContain('blast radius');
  });
});

describe('spec.notifications', () => {
  it('absent: enabled, every phase, the operator Secret, 2m of retries', () => {
    expect(planned().notifications).toEqual({ enabled: true, on: [...NOTIFY_PHASES], retryForMs: 120_000 });
  });

  it("a secretRef is a Secret in the policy's namespace; on and retryFor are carried", () => {
    const p = planned({
      notifications: { secretRef: { name: 'hooks' }, on: ['AwaitingApproval', 'Failed'], retryFor: '30s' },
    });
    expect(p.notifications).toEqual({
      enabled: true,
      secret: { namespace: 'demo', name: 'hooks' },
      on: ['AwaitingApproval', 'Failed'],
      retryForMs: 30_000,
    });
  });

  it.each([
    [{ on: ['Pending'] }, 'spec.notifications.on[0]'],
    [{ on: [] }, 'spec.notifications.on'],
    [{ retryFor: '0s' }, 'spec.notifications.retryFor'],
    [{ secretRef: { name: 'Not_A_Name' } }, 'spec.notifications.secretRef.name'],
  ])('refuses %j, naming %s', (notifications, field) => {
    const parsed = parseHealingPolicySpec({ ...policySpec(), notifications });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.field).join(' ')).toContain(field);
  });
});

describe('parseNotificationSecret', () => {
  it('reads the URLs and the bearer token', () => {
    expect(
      parseNotificationSecret('demo/hooks', {
        slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X\n',
        webhookUrl: 'https://incidents.example.com/kubeskippy',
        token: 't0ken',
        other: 'ignored',
      }),
    ).toEqual({
      ok: true,
      endpoints: {
        slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X',
        webhookUrl: 'https://incidents.example.com/kubeskippy',
        token: 't0ken',
      },
    });
  });

  it.each([
    [{}, 'Secret demo/hooks has no key slackWebhookUrl or webhookUrl: set one (or both)'],
    [
      { slackWebhookUrl: '' },
      'Secret demo/hooks has no key slackWebhookUrl or webhookUrl: set one (or both)',
    ],
    [
      { webhookUrl: 'hooks.example.com' },
      'Secret demo/hooks: key webhookUrl must be an http:// or https:// URL',
    ],
    [
      { slackWebhookUrl: 'ftp://x' },
      'Secret demo/hooks: key slackWebhookUrl must be an http:// or https:// URL',
    ],
    [
      { slackWebhookUrl: 'https://x.io', token: 't' },
      'Secret demo/hooks: key token is the bearer for webhookUrl, which is missing',
    ],
  ])('%j: %s', (data, message) => {
    expect(parseNotificationSecret('demo/hooks', data)).toEqual({ ok: false, message });
  });
});

describe('the operator-wide default (KUBESKIPPY_NOTIFICATIONS_SECRET)', () => {
  it('is NAMESPACE/NAME; the flag wins', () => {
    expect(
      loadConfig({}, { KUBESKIPPY_NOTIFICATIONS_SECRET: 'kubeskippy-system/hooks' }).notificationsSecret,
    ).toEqual({
      namespace: 'kubeskippy-system',
      name: 'hooks',
    });
    expect(
      loadConfig({ notificationsSecret: 'ops/pager' }, { KUBESKIPPY_NOTIFICATIONS_SECRET: 'a/b' })
        .notificationsSecret,
    ).toEqual({ namespace: 'ops', name: 'pager' });
    expect(loadConfig({}, {}).notificationsSecret).toBeUndefined();
  });

  it.each(['hooks', 'a/b/c', 'Ops/hooks', '/hooks'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({}, { KUBESKIPPY_NOTIFICATIONS_SECRET: value })).toThrow(
      /KUBESKIPPY_NOTIFICATIONS_SECRET\) must be NAMESPACE\/NAME/,
    );
  });
});

describe('reading the Secret (activities/notify.ts, with a fake API)', () => {
  /** Only the one call notify.ts makes; the Secret's data base64-encoded as the API serves it. */
  const kubeWith = (data: Record<string, string>): Kube =>
    ({
      core: {
        readNamespacedSecret: async () => ({
          data: Object.fromEntries(
            Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        }),
      },
    }) as unknown as Kube;
  const slack = 'https://hooks.slack.com/services/T/B/SECRET';
  const deps = { kube: kubeWith({ slackWebhookUrl: slack }), allow: ['https://incidents.example.com'] };

  it("a policy's Secret: the policy's, else the operator's, else none", () => {
    const own = { namespace: 'shop', name: 'hooks' };
    const operator = { namespace: 'kubeskippy-system', name: 'hooks' };
    expect(routeFor({ defaultSecret: operator }, own)).toEqual({ secret: own, policySecret: true });
    expect(routeFor({ defaultSecret: operator })).toEqual({ secret: operator, policySecret: false });
    expect(routeFor({})).toBeUndefined();
  });

  it("a policy's Secret must name allowed URLs; the refusal names the key, never the URL", async () => {
    const route = { secret: { namespace: 'shop', name: 'hooks' }, policySecret: true };
    const err = await readEndpoints(deps, route).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'NotificationNotAllowed', nonRetryable: true });
    expect((err as Error).message).toContain(
      "Secret shop/hooks: key slackWebhookUrl names a URL outside the operator's allow-list",
    );
    expect((err as Error).message).not.toContain(slack);
  });

  it("the operator's own Secret is its owner's choice", async () => {
    const route = { secret: { namespace: 'kubeskippy-system', name: 'hooks' }, policySecret: false };
    expect(await readEndpoints(deps, route)).toEqual({ slackWebhookUrl: slack });
  });

  it('a Secret without a URL fails at once, naming the keys', async () => {
    const route = { secret: { namespace: 'shop', name: 'hooks' }, policySecret: true };
    await expect(readEndpoints({ ...deps, kube: kubeWith({ token: 'x' }) }, route)).rejects.toMatchObject({
      type: 'NotificationSecretInvalid',
      nonRetryable: true,
      message: expect.stringContaining('Secret shop/hooks has no key slackWebhookUrl or webhookUrl'),
    });
  });
});
