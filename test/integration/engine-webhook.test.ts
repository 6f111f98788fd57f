// The webhook action end to end, through the same safety, approval, execute, verify and record
// path as the built-ins: a local receiver (node:http) gets the incident as JSON with the action id
// as Idempotency-Key; a 500 is retried with the same key and the action still succeeds once; a URL
// outside the operator's allow-list is never called and the action ends Failed saying why; a
// protected target gets no action; dry run sends nothing.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  policyStatus,
  healingPolicy,
  isTerminal,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

interface Delivery {
  path: string;
  key: string | undefined;
  body: Record<string, unknown>;
}

let server: Server;
let base = '';
const deliveries: Delivery[] = [];
/** Answers per path: the first N requests to a path answer 500. */
const failFirst = new Map<string, number>();

async function read(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

let engine: Engine;
beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((text) => {
      const path = req.url ?? '';
      deliveries.push({
        path,
        key: req.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(text),
      });
      const left = failFirst.get(path) ?? 0;
      if (left > 0) failFirst.set(path, left - 1);
      res
        .writeHead(left > 0 ? 500 : 202, { 'content-type': 'text/plain' })
        .end(left > 0 ? 'try again' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  engine = await startEngine({ timeScale: 0.1, webhookAllow: `${base}/allowed/` });
});
afterAll(async () => {
  await engine?.stop();
  await new Promise((r) => server?.close(r));
});

const policy = (
  app: string,
  path: string,
  extra: Record<string, unknown> = {},
): ReturnType<typeof healingPolicy> =>
  healingPolicy(engine.namespace, app, app, {
    mode: 'automatic',
    triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
    actions: [
      {
        name: 'tell-oncall',
        type: 'webhook',
        webhookAction: {
          url: `${base}${path}`,
          body: '{"text":"{{policy}}: {{trigger}} on {{target.kind}}/{{target.name}}","id":"{{actionId}}"}',
        },
      },
    ],
    safetyRules: { maxActionsPerHour: 5, maxConcurrentActions: 1 },
    verification: { enabled: false },
    ...extra,
  });

const ended = (app: string): Promise<HealingAction> =>
  eventually(
    () => `${app}'s action to end: ${describeActions(engine, app)}`,
    () => actionsOf(engine, app).find((a) => isTerminal(a)),
    45_000,
  );

describe('webhook action', () => {
  it('POSTs the incident once per action, retries a 500 with the same key, refuses a URL not allowed', async () => {
    failFirst.set('/allowed/retry', 1);
    engine.apply([
      deployment('wh-ok', { replicas: 1 }),
      deployment('wh-retry', { replicas: 1 }),
      deployment('wh-denied', { replicas: 1 }),
      deployment('wh-dry', { replicas: 1 }),
      policy('wh-ok', '/allowed/ok'),
      policy('wh-retry', '/allowed/retry'),
      policy('wh-denied', '/elsewhere'),
      policy('wh-dry', '/allowed/dry', { mode: 'dryrun' }),
      deployment('wh-protected', { replicas: 1 }),
      policy('wh-protected', '/allowed/protected', {
        safetyRules: { protectedResources: [{ kind: 'Deployment', names: ['wh-protected'] }] },
      }),
    ]);
    const [ok, retried, denied, dry] = await Promise.all(
      ['wh-ok', 'wh-retry', 'wh-denied', 'wh-dry'].map(ended),
    );
    const at = (path: string): Delivery[] => deliveries.filter((d) => d.path === path);

    expect(ok!.status!.phase).toBe('Succeeded');
    expect(at('/allowed/ok')).toHaveLength(1);
    const delivery = at('/allowed/ok')[0]!;
    expect(delivery.key).toBe(ok!.metadata.name);
    expect(delivery.body).toEqual({
      text: `wh-ok: busy on Pod/${ok!.spec.targetResource.name}`,
      id: ok!.metadata.name,
    });

    expect(retried!.status!.phase).toBe('Succeeded');
    expect(at('/allowed/retry').map((d) => d.key)).toEqual([retried!.metadata.name, retried!.metadata.name]);

    expect(denied!.status!.phase).toBe('Failed');
    expect(denied!.status!.message).toMatch(
      /webhook URL .*\/elsewhere is not allowed: it starts with none of/,
    );
    expect(at('/elsewhere')).toHaveLength(0);

    expect(dry!.status!.phase).toBe('DryRun');
    expect(at('/allowed/dry')).toHaveLength(0);

    // Its fires are refused as Protected: no action, no call.
    const refused = await eventually('wh-protected refused as Protected', async () => {
      const s = await policyStatus(engine, 'wh-protected').catch(() => undefined);
      return (s?.counters.refusals.Protected ?? 0) > 0 ? s : undefined;
    });
    expect(refused.counters.actionsStarted).toBe(0);
    expect(actionsOf(engine, 'wh-protected')).toHaveLength(0);
    expect(at('/allowed/protected')).toHaveLength(0);
    console.log(
      `webhook: ${deliveries.length} deliveries for 4 actions (ok ${ok!.status!.phase}, 500-then-202 ` +
        `${retried!.status!.phase} in ${at('/allowed/retry').length} tries by one key, not allowed ` +
        `${denied!.status!.phase}, dry run ${dry!.status!.phase}, protected: refused, no call)`,
    );
  });
});
