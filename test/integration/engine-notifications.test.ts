// Notifications end to end, at a local receiver (node:http): the endpoints come from a Secret in the
// policy's namespace, read by the operator through client-node. One incident is one conversation:
// the JSON webhook gets opened … updated … resolved with one incidentId and a rising sequence, the
// outcome and the before/after figures last; Slack gets exactly two messages. A manual action's
// first message carries the approve commands. A receiver that answers 500 for a while is retried
// while the healing goes on; one that is down throughout never holds the action up, and the
// HealingAction records the failure, as it does for a Secret that is not there.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import type { IncidentNotice } from '../../domain/notifications.js';
import type { KObject } from '../../sim/contract.js';
import { approveActionUpdate } from '../../workflows/messages.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, alwaysTrue, describeActions, healingPolicy } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

interface Delivery {
  path: string;
  key: string | undefined;
  auth: string | undefined;
  body: Record<string, unknown>;
  status: number;
  atMs: number;
}

let server: Server;
let base = '';
let downUrl = '';
const deliveries: Delivery[] = [];
/** The first N requests to a path answer 500. */
const failFirst = new Map<string, number>();

async function read(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** A URL where nothing listens: a port bound, then closed. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/down`;
}

let engine: Engine;
beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((text) => {
      const path = req.url ?? '';
      const left = failFirst.get(path) ?? 0;
      if (left > 0) failFirst.set(path, left - 1);
      const status = left > 0 ? 500 : 200;
      deliveries.push({
        path,
        key: req.headers['idempotency-key'] as string | undefined,
        auth: req.headers['authorization'],
        body: JSON.parse(text) as Record<string, unknown>,
        status,
        atMs: Date.now(),
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  downUrl = await closedPortUrl();
  engine = await startEngine({ timeScale: 0.1, webhookAllow: `${base}/,${new URL(downUrl).origin}/` });
});
afterAll(async () => {
  await engine?.stop();
  await new Promise((r) => server?.close(r));
});

function secret(name: string, data: Record<string, string>): KObject {
  const encoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', data: encoded } as KObject;
}

/** One incident per policy: one action an hour, on one of two replicas, healed once restarted. */
const policy = (app: string, extra: Record<string, unknown> = {}): KObject =>
  healingPolicy(engine.namespace, app, app, {
    mode: 'automatic',
    triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    safetyRules: { maxActionsPerHour: 1, maxConcurrentActions: 1, minReadyReplicas: 0 },
    verification: { delay: '1s', timeout: '20s', interval: '1s', requireTriggerCleared: false },
    notifications: { secretRef: { name: `${app}-hooks` } },
    ...extra,
  });

const app = (name: string): KObject => deployment(name, { replicas: 2, behaviour: { behavior: 'healthy' } });

/** The HealingAction once its notifications are recorded (they settle after the outcome). */
const notified = (name: string, timeoutMs = 60_000): Promise<HealingAction> =>
  eventually(
    () => `${name}'s status.notifications: ${JSON.stringify(actionsOf(engine, name)[0]?.status)}`,
    () => actionsOf(engine, name).find((a) => a.status?.notifications),
    timeoutMs,
  );

const at = (path: string): Delivery[] => deliveries.filter((d) => d.path === path);
const notices = (path: string): IncidentNotice[] =>
  at(path)
    .filter((d) => d.status === 200)
    .map((d) => d.body as unknown as IncidentNotice);

describe('notifications', () => {
  it('one conversation per incident: JSON opened…resolved, two Slack messages, approve commands, retries, a receiver down', async () => {
    const started = Date.now();
    failFirst.set('/json/flaky', 4);
    engine.apply([
      secret('nt-ok-hooks', {
        webhookUrl: `${base}/json/ok`,
        slackWebhookUrl: `${base}/slack/ok`,
        token: 's3cret',
      }),
      secret('nt-manual-hooks', {
        webhookUrl: `${base}/json/manual`,
        slackWebhookUrl: `${base}/slack/manual`,
      }),
      secret('nt-flaky-hooks', { webhookUrl: `${base}/json/flaky` }),
      secret('nt-down-hooks', { webhookUrl: downUrl }),
      ...['nt-ok', 'nt-manual', 'nt-flaky', 'nt-down'].map(app),
      policy('nt-ok'),
      policy('nt-manual', { mode: 'manual' }),
      policy('nt-flaky'),
      policy('nt-down', { notifications: { secretRef: { name: 'nt-down-hooks' }, retryFor: '5s' } }),
      app('nt-missing'),
      policy('nt-missing'), // its Secret nt-missing-hooks is never created
    ]);

    // Manual: the first message says it waits, with the commands that decide; approve by update.
    const opened = await eventually(
      'the manual action opened at the receiver',
      () => notices('/json/manual')[0],
      45_000,
    );
    const waiting = actionsOf(engine, 'nt-manual')[0]!;
    const ref = `${engine.namespace}/${waiting.metadata.name}`;
    expect(opened).toMatchObject({ event: 'opened', sequence: 1, phase: 'AwaitingApproval' });
    expect(opened.incidentId).toBe(waiting.status!.workflowId);
    expect(opened.approval!.commands.approve).toEqual(
      expect.arrayContaining([
        `kubeskippy action approve ${ref} --cluster-name ${engine.config.clusterName}`,
        expect.stringContaining(
          `temporal workflow update execute --workflow-id ${waiting.status!.workflowId} --name approveAction`,
        ),
        expect.stringContaining(
          `kubectl annotate healingaction -n ${engine.namespace} ${waiting.metadata.name} kubeskippy.io/approve=true`,
        ),
      ]),
    );
    const slackOpened = await eventually(
      'the Slack message of the manual action',
      () => at('/slack/manual')[0],
    );
    expect(slackOpened.body.text).toContain('waits for approval');
    expect(slackOpened.body.text).toContain(`kubeskippy action approve ${ref}`);
    await engine.client.workflow
      .getHandle(waiting.status!.workflowId!)
      .executeUpdate(approveActionUpdate, { args: [{ decision: 'approve', by: 'alice' }] });

    const [ok, manual, flaky, down] = await Promise.all(
      ['nt-ok', 'nt-manual', 'nt-flaky', 'nt-down'].map((n) => notified(n)),
    );
    for (const a of [ok, manual, flaky, down])
      expect(a!.status!.phase, describeActions(engine, a!.spec.policyRef.name)).toBe('Succeeded');

    // The JSON webhook: one incidentId, sequence 1, 2, 3…, opened first, resolved last with the figures.
    for (const [a, path] of [
      [ok!, '/json/ok'],
      [manual!, '/json/manual'],
      [flaky!, '/json/flaky'],
    ] as const) {
      const got = notices(path);
      expect(new Set(got.map((n) => n.incidentId))).toEqual(new Set([a.status!.workflowId]));
      expect(got.map((n) => n.sequence)).toEqual(got.map((_n, i) => i + 1));
      expect(got[0]!.event).toBe('opened');
      expect(got.at(-1)).toMatchObject({
        event: 'resolved',
        phase: 'Succeeded',
        outcome: { success: true, before: a.status!.result!.before, after: a.status!.result!.after },
      });
      expect(got.slice(1, -1).every((n) => n.event === 'updated')).toBe(true);
      expect(Object.keys(got.at(-1)!.outcome!.before).length).toBeGreaterThan(0);
      expect(Object.keys(got.at(-1)!.outcome!.after).length).toBeGreaterThan(0);
      expect(a.status!.notifications).toMatchObject({ failed: 0 });
    }
    const okPosts = at('/json/ok');
    expect(okPosts.map((d) => d.key)).toEqual(
      notices('/json/ok').map((n) => `${n.incidentId}#${n.sequence}`),
    );
    expect(okPosts.every((d) => d.auth === 'Bearer s3cret')).toBe(true);
    expect(notices('/json/manual').map((n) => n.phase)).toEqual(
      expect.arrayContaining(['AwaitingApproval', 'Executing', 'Succeeded']),
    );

    // Slack: exactly two messages per incident, the second with the outcome and the figures.
    for (const path of ['/slack/ok', '/slack/manual']) {
      const texts = at(path).map((d) => String(d.body.text));
      expect(texts, path).toHaveLength(2);
      expect(texts[1]).toMatch(/ended \*Succeeded\*/);
      expect(texts[1]).toMatch(/before: .*cpu/);
      expect(texts[1]).toMatch(/after: .*cpu/);
    }
    expect(ok!.status!.notifications).toEqual({ sent: notices('/json/ok').length + 2, failed: 0 });

    // 500 four times, then 200: the same key retried, and the healing never waited for it.
    const flakyPosts = at('/json/flaky');
    expect(flakyPosts.slice(0, 5).map((d) => d.status)).toEqual([500, 500, 500, 500, 200]);
    expect(new Set(flakyPosts.slice(0, 5).map((d) => d.key)).size).toBe(1);
    const firstAccepted = flakyPosts.find((d) => d.status === 200)!.atMs;
    expect(Date.parse(flaky!.status!.completionTime!)).toBeLessThan(firstAccepted);

    // Down throughout: the action succeeded all the same; the record says the messages failed.
    expect(down!.status!.notifications!.sent).toBe(0);
    expect(down!.status!.notifications!.failed).toBeGreaterThanOrEqual(2);
    expect(down!.status!.notifications!.lastError).toMatch(/webhook notification failed/);
    expect(down!.status!.notifications!.lastError).not.toContain(downUrl);

    // A Secret that is not there: healed all the same, each message failed once, naming the Secret.
    const missing = await notified('nt-missing');
    expect(missing.status!.phase).toBe('Succeeded');
    // opened, resolved, and the Verifying update unless the end replaced it while it waited.
    expect(missing.status!.notifications!.sent).toBe(0);
    expect([2, 3]).toContain(missing.status!.notifications!.failed);
    expect(missing.status!.notifications!.lastError).toMatch(
      new RegExp(`read the notification Secret ${engine.namespace}/nt-missing-hooks: .*not found`),
    );

    const metrics = await (await fetch(`http://127.0.0.1:${engine.operator!.metricsPort}/metrics`)).text();
    const cluster = `cluster="${engine.config.clusterName}"`;
    expect(metrics).toMatch(
      new RegExp(
        `kubeskippy_notifications_total\\{policy="nt-down",[^}]*outcome="failed",${cluster}\\} [1-9]`,
      ),
    );
    expect(metrics).toMatch(
      new RegExp(
        `kubeskippy_notifications_total\\{policy="nt-ok",[^}]*channel="slack",outcome="sent",${cluster}\\} 2`,
      ),
    );
    console.log(
      `notifications: ${deliveries.length} posts for 5 incidents in ${Math.round((Date.now() - started) / 1000)}s ` +
        `(json ok ${notices('/json/ok')
          .map((n) => n.event)
          .join('/')}, slack ok ${at('/slack/ok').length}, ` +
        `flaky ${flakyPosts.map((d) => d.status).join(',')}, down ${JSON.stringify(down!.status!.notifications)})`,
    );
  });
});
