// Alertmanager intake end to end on the sim and a real Temporal server, with Alertmanager's
// webhook payloads posted to the operator's receiver as Alertmanager would post them:
// - a firing alert → one HealingAction on the pod it names; the repeat, the HA twin and a retry
//   join the episode (one action); verification waits for the alert to resolve;
// - resolved while the action waits for approval → Skipped (AlertResolved), nothing done;
// - a resolved-only notification and a stale alert → no action;
// - the edge: 401 without the token, 413 over the size bound, 400 naming the field.
// test/integration/alertmanager.test.ts does the same through a real Prometheus and Alertmanager.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  describeActions,
  healingPolicy,
  isTerminal,
  policyStatus,
  sleep,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const TOKEN = 'alert-test-token';
let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.2, alertToken: TOKEN });
});
afterAll(async () => {
  await engine?.stop();
});

const receiverUrl = (): string => `http://127.0.0.1:${engine.operator!.alertPort}/alertmanager`;

function alertPolicy(app: string, extra: Record<string, unknown> = {}): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, app, app, {
    triggers: [
      {
        name: 'memory-alert',
        type: 'alert',
        alertTrigger: { alertname: 'PodMemoryHigh', labels: { app } },
        cooldownPeriod: '10m',
      },
    ],
    actions: [
      { name: 'restart', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 1 } },
    ],
    verification: { delay: '1s', timeout: '60s', interval: '1s' },
    safetyRules: { maxActionsPerHour: 10, maxConcurrentActions: 2, minReadyReplicas: 0 },
    ...extra,
  });
}

function notification(
  app: string,
  alerts: { pod: string; status: 'firing' | 'resolved'; startsAt: string; fingerprint?: string }[],
): Record<string, unknown> {
  return {
    version: '4',
    groupKey: `{}:{alertname="PodMemoryHigh"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'kubeskippy',
    groupLabels: { alertname: 'PodMemoryHigh' },
    commonLabels: { alertname: 'PodMemoryHigh', app },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: { alertname: 'PodMemoryHigh', app, namespace: engine.namespace, pod: a.pod },
      annotations: { summary: `memory of ${a.pod} is high` },
      startsAt: a.startsAt,
      endsAt: a.status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph',
      fingerprint: a.fingerprint ?? `fp-${a.pod}`,
    })),
  };
}

async function post(body: unknown, token = TOKEN): Promise<{ status: number; text: string }> {
  const res = await fetch(receiverUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** Posts until the policy workflow is running and takes the alerts (the receiver routes to it then). */
async function deliver(app: string, body: Record<string, unknown>): Promise<void> {
  await eventually(`${app} to take the alert`, async () => {
    const r = await post(body);
    return r.status === 200 && (JSON.parse(r.text) as { delivered: unknown[] }).delivered.length > 0;
  });
}

const runningPods = (app: string): string[] =>
  engine.sim.store
    .list('core/v1/pods', { namespace: engine.namespace })
    .filter((p) => (p.metadata.labels ?? {})['app'] === app && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name!)
    .sort();

/**
 * The pods the safety check counts as ready. A pod exists (and even runs) before its readiness
 * probe passes; an alert fired at it then is rightly refused (MinReadyReplicas), which is not what
 * these tests are about, so they wait for this.
 */
const readyPods = (app: string): string[] =>
  engine.sim.store
    .list('core/v1/pods', { namespace: engine.namespace })
    .filter(
      (p) =>
        (p.metadata.labels ?? {})['app'] === app &&
        !p.metadata.deletionTimestamp &&
        ((p.status?.['conditions'] ?? []) as { type: string; status: string }[]).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
    )
    .map((p) => p.metadata.name!)
    .sort();

const phaseOf = (app: string): string | undefined => actionsOf(engine, app)[0]?.status?.phase;

/** For a timeout's message: the policy's actions and what its last evaluation saw. */
async function whatPolicySees(app: string, waitingFor: string): Promise<string> {
  const s = await policyStatus(engine, app).catch((err: Error) => `status query failed: ${err.message}`);
  const seen =
    typeof s === 'string'
      ? s
      : JSON.stringify({
          lastEvaluatedMs: s.lastEvaluatedMs,
          activeTriggers: s.activeTriggers,
          openActions: s.openActions,
          lastRefusals: s.lastRefusals,
          snapshotErrors: s.snapshotErrors,
          counters: s.counters,
        });
  return `${app} ${waitingFor}; actions: [${describeActions(engine, app)}]; policy: ${seen}`;
}

describe('Alertmanager intake', () => {
  it('one action per alert episode, healed only once the alert resolves', async () => {
    engine.apply([deployment('al-web', { replicas: 2 }), alertPolicy('al-web')]);
    const [pod] = await eventually('two ready al-web pods', () =>
      readyPods('al-web').length === 2 ? readyPods('al-web') : undefined,
    );
    const startsAt = new Date(Date.now() - 30_000).toISOString();
    const firing = notification('al-web', [{ pod: pod!, status: 'firing', startsAt }]);
    await deliver('al-web', firing);
    // Alertmanager's repeat, the other Alertmanager of an HA pair, and a retry: the same episode.
    for (let i = 0; i < 3; i++) expect((await post(firing)).status).toBe(200);
    const action = await eventually('an al-web action verifying', () =>
      actionsOf(engine, 'al-web').find((a) => a.status?.phase === 'Verifying'),
    );
    expect(action.spec.targetResource.name).toBe(pod);
    expect(action.spec.trigger).toMatchObject({
      type: 'alert',
      alert: {
        alertname: 'PodMemoryHigh',
        fingerprint: `fp-${pod}`,
        startsAt: new Date(startsAt).toISOString(),
      },
    });
    // The pod was replaced and is Ready, but the alert still fires: not healed yet.
    await sleep(5000);
    expect(phaseOf('al-web')).toBe('Verifying');
    expect(actionsOf(engine, 'al-web')).toHaveLength(1);
    expect((await post(notification('al-web', [{ pod: pod!, status: 'resolved', startsAt }]))).status).toBe(
      200,
    );
    const done = await eventually(
      () => `al-web's action to end: ${describeActions(engine, 'al-web')}`,
      () => actionsOf(engine, 'al-web').find((a) => isTerminal(a)),
      30_000,
    );
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.message).toMatch(/memory-alert cleared/);
    expect(actionsOf(engine, 'al-web')).toHaveLength(1);
  }, 120_000);

  it('a resolved alert ends the action waiting for approval: Skipped, nothing done', async () => {
    engine.apply([deployment('al-wait', { replicas: 1 }), alertPolicy('al-wait', { mode: 'manual' })]);
    const [pod] = await eventually('a ready al-wait pod', () =>
      readyPods('al-wait').length ? readyPods('al-wait') : undefined,
    );
    const startsAt = new Date(Date.now() - 5000).toISOString();
    await deliver('al-wait', notification('al-wait', [{ pod: pod!, status: 'firing', startsAt }]));
    await eventually(
      () => whatPolicySees('al-wait', 'awaiting approval'),
      () => phaseOf('al-wait') === 'AwaitingApproval',
    );
    expect((await post(notification('al-wait', [{ pod: pod!, status: 'resolved', startsAt }]))).status).toBe(
      200,
    );
    const end: HealingAction = await eventually('al-wait to end', () =>
      actionsOf(engine, 'al-wait').find((a) => isTerminal(a)),
    );
    expect(end.status).toMatchObject({ phase: 'Skipped', reason: 'AlertResolved' });
    expect(end.status?.message).toMatch(/alert PodMemoryHigh resolved while the action waited for approval/);
    expect(runningPods('al-wait')).toEqual([pod]); // the pod was never touched
  }, 90_000);

  it('never acts on a resolved-only notification or a stale alert', async () => {
    engine.apply([deployment('al-quiet', { replicas: 1 }), alertPolicy('al-quiet')]);
    const [pod] = await eventually('an al-quiet pod', () =>
      runningPods('al-quiet').length ? runningPods('al-quiet') : undefined,
    );
    const now = Date.now();
    await deliver(
      'al-quiet',
      notification('al-quiet', [
        { pod: pod!, status: 'resolved', startsAt: new Date(now - 60_000).toISOString() },
      ]),
    );
    await deliver(
      'al-quiet',
      notification('al-quiet', [
        {
          pod: pod!,
          status: 'firing',
          startsAt: new Date(now - 2 * 3600_000).toISOString(),
          fingerprint: 'fp-old',
        },
      ]),
    );
    await sleep(4000); // four evaluations
    expect(actionsOf(engine, 'al-quiet')).toEqual([]);
  }, 60_000);

  it('refuses what is not a good notification, saying why', async () => {
    const ok = notification('nobody', [{ pod: 'p', status: 'firing', startsAt: new Date().toISOString() }]);
    expect((await post(ok, 'wrong-token')).status).toBe(401);
    expect((await post('{"version":')).status).toBe(400);
    const bad = await post({ ...ok, version: '3' });
    expect(bad).toMatchObject({ status: 400, text: expect.stringMatching(/^version: /) });
    const huge = await post({ ...ok, padding: 'x'.repeat(2 << 20) });
    expect(huge.status).toBe(413);
    // No policy wants it: accepted (Alertmanager must not retry) and counted as unmatched.
    const unmatched = await post(ok);
    expect(unmatched.status).toBe(200);
    expect(JSON.parse(unmatched.text)).toMatchObject({ alerts: 1, delivered: [], unmatched: 1 });
    const metrics = await (await fetch(`http://127.0.0.1:${engine.operator!.metricsPort}/metrics`)).text();
    for (const outcome of ['unauthorized', 'invalid', 'too_large', 'unmatched', 'delivered'])
      expect(metrics).toMatch(
        new RegExp(
          `kubeskippy_alert_notifications_total\\{outcome="${outcome}",cluster="${engine.config.clusterName}"\\} [1-9]`,
        ),
      );
  });
});
