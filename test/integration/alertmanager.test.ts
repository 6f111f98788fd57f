// The alert path with the real tools: a real Prometheus scrapes the sim's pod series and evaluates
// an alerting rule; a real Alertmanager posts to the operator's receiver (bearer token,
// send_resolved); the HealingAction restarts the pod the alert names; the pod's series ends, the
// alert resolves, Alertmanager says so, and only then is the action Succeeded. A duplicate delivery
// of the same notifications (what an HA pair or a retry sends) starts nothing more, and the resolved
// notification never starts an action. A small proxy between Alertmanager and the operator keeps
// what Alertmanager sent, so the test can send it again.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, describeActions, healingPolicy, podsOf, sleep } from '../support/engine-scenarios.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { deployment } from '../support/sim-fixtures.js';

const TOKEN = 'am-test-token';
interface Sent {
  body: string;
  alerts: { status: string; labels: Record<string, string> }[];
  answer: number;
}
const sent: Sent[] = [];
let engine: Engine;
let proxy: Server;
let alertmanager: RunningAlertmanager | undefined;
let prometheus: RunningPrometheus | undefined;
const receiver = (): string => `http://127.0.0.1:${engine.operator!.alertPort}/alertmanager`;

async function forward(body: string, authorization: string | undefined): Promise<number> {
  const res = await fetch(receiver(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body,
  });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  engine = await startEngine({ alertToken: TOKEN });
  proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => void (body += c.toString()));
    req.on('end', () => {
      void forward(body, req.headers.authorization).then(
        (answer) => {
          sent.push({ body, alerts: (JSON.parse(body) as { alerts: Sent['alerts'] }).alerts, answer });
          res.writeHead(answer).end();
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/alertmanager`;
  alertmanager = await startAlertmanager(proxyUrl, TOKEN);
  prometheus = await startPrometheus({
    simUrl: engine.sim.url,
    alertmanager: alertmanager.address,
    ruleGroups: [
      {
        name: 'kubeskippy-test',
        interval: '1s',
        rules: [
          {
            alert: 'PodMemoryHigh',
            expr: `container_memory_working_set_bytes{namespace="${engine.namespace}",container="app"} / 1048576 > 100`,
            for: '2s',
            labels: { severity: 'critical' },
            annotations: { summary: 'working set of {{ $labels.pod }} above 100Mi' },
          },
        ],
      },
    ],
  });
}, 90_000);
afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  await new Promise((r) => proxy?.close(r));
  await engine?.stop();
});

const limits = { memory: '256Mi', cpu: '200m' };

describe('alerts from a real Prometheus and Alertmanager', () => {
  it(
    'heals the pod an alert names, once, and calls it healed when the alert resolves',
    { timeout: 150_000 },
    async () => {
      engine.apply([
        // ~40Mi at start, 5Mi/s: over 100Mi after ~12 s (the rule's `for` adds 2 s).
        deployment('am-leaky', {
          labels: { tier: 'alerts' },
          behaviour: { behavior: 'memory-leak', 'memory-start': '40Mi', 'memory-leak-rate': '5Mi/s' },
          limits,
        }),
        deployment('am-steady', {
          labels: { tier: 'alerts' },
          behaviour: { 'memory-start': '40Mi' },
          limits,
        }),
        healingPolicy(engine.namespace, 'am-policy', 'am-leaky', {
          selector: { namespaces: [engine.namespace], labelSelector: { matchLabels: { tier: 'alerts' } } },
          triggers: [
            {
              name: 'memory-alert',
              type: 'alert',
              alertTrigger: { alertname: 'PodMemoryHigh', labels: { severity: 'critical' } },
              cooldownPeriod: '5m',
            },
          ],
          actions: [
            { name: 'restart', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 1 } },
          ],
          verification: { delay: '1s', timeout: '90s', interval: '1s' },
          safetyRules: { maxActionsPerHour: 10, maxConcurrentActions: 2, minReadyReplicas: 0 },
        }),
      ]);
      const leaky = await eventually('the am-leaky pod', () => podsOf(engine, 'am-leaky')[0]);
      const name = leaky.metadata.name!;
      const first = await eventually(
        () => `an action on ${name}: ${describeActions(engine, 'am-policy')}`,
        () => actionsOf(engine, 'am-policy').find((a) => a.spec.targetResource.name === name),
        60_000,
      );
      expect(first.spec.trigger).toMatchObject({ type: 'alert', alert: { alertname: 'PodMemoryHigh' } });
      const done = await eventually(
        () => `the action on ${name} to end: ${describeActions(engine, 'am-policy')}`,
        () => {
          const a = actionsOf(engine, 'am-policy').find((x) => x.metadata.name === first.metadata.name);
          return a?.status?.phase === 'Succeeded' || a?.status?.phase === 'Failed' ? a : undefined;
        },
        90_000,
      );
      expect(done.status?.phase).toBe('Succeeded');
      expect(done.status?.message).toMatch(/memory-alert cleared/);
      // What Alertmanager sent: the firing alert for the pod, then its resolution, both taken (200).
      const about = sent.filter((s) => s.alerts.some((a) => a.labels['pod'] === name));
      const statuses = about.flatMap((s) =>
        s.alerts.filter((a) => a.labels['pod'] === name).map((a) => a.status),
      );
      expect(statuses).toContain('firing');
      expect(statuses).toContain('resolved');
      expect(about.every((s) => s.answer === 200)).toBe(true);
      expect(podsOf(engine, 'am-steady')).toHaveLength(1);
      expect(
        actionsOf(engine, 'am-policy').filter((a) => a.spec.targetResource.name.startsWith('am-steady')),
      ).toEqual([]);

      // The same notifications again, as the other Alertmanager of an HA pair would send them.
      for (const s of about) expect(await forward(s.body, `Bearer ${TOKEN}`)).toBe(200);
      await sleep(4000); // four evaluations
      const onPod = actionsOf(engine, 'am-policy').filter((a) => a.spec.targetResource.name === name);
      expect(onPod.map((a) => a.metadata.name)).toEqual([first.metadata.name]);
      process.stderr.write(
        `[alertmanager] ${sent.length} notification(s) from Alertmanager (${sent.reduce((n, s) => n + s.alerts.length, 0)} alerts); ` +
          `action on ${name}: fired ${first.spec.trigger?.firedAt}, ${done.status?.phase} at ${done.status?.completionTime}\n`,
      );
    },
  );
});
