// Alert intake without Temporal: the Alertmanager payload at the edge (operator/alerts/payload.ts),
// routing to policies, and what a policy does with episodes (domain/alerts.ts through the real
// evaluatePolicy): one action per episode, resolved never acts, stale never acts, and the action
// that answers an episode is the one told when it resolves.
import { describe, expect, it } from 'vitest';
import { formatErrors, parseHealingPolicySpec } from '../../crds/index.js';
import { episodeKey, recordAlerts, type AlertNotice } from '../../domain/alerts.js';
import { assessHealed } from '../../domain/verify.js';
import { loadConfig } from '../../operator/config.js';
import { noticesOf, parsePayload } from '../../operator/alerts/payload.js';
import { routeAlerts } from '../../operator/alerts/receiver.js';
import { createdAt, NS, pod, policy, policySpec, snapshot } from '../fixtures/domain-builders.js';
import { Driver, plannedOn, reasons } from '../fixtures/domain-run.js';

const T0 = 1_700_000_000_000;
const alertTrigger = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'pod-memory',
  type: 'alert',
  alertTrigger: { alertname: 'PodMemoryHigh', labels: { severity: 'critical' }, ...over },
  cooldownPeriod: '1m',
});
const alertPolicy = (over: Record<string, unknown> = {}) =>
  policy({
    triggers: [alertTrigger(over)],
    actions: [{ name: 'restart', type: 'restart', restartAction: { strategy: 'delete' } }],
  });

/** One alert as Alertmanager's webhook sends it. */
function webhookAlert(o: {
  pod: string;
  status?: 'firing' | 'resolved';
  startsAtMs?: number;
  fingerprint?: string;
  labels?: Record<string, string>;
}): Record<string, unknown> {
  return {
    status: o.status ?? 'firing',
    labels: { alertname: 'PodMemoryHigh', severity: 'critical', namespace: NS, pod: o.pod, ...o.labels },
    annotations: { summary: 'memory high' },
    startsAt: new Date(o.startsAtMs ?? T0).toISOString(),
    endsAt: o.status === 'resolved' ? new Date(T0 + 60_000).toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: o.fingerprint ?? `fp-${o.pod}`,
  };
}
const payload = (alerts: Record<string, unknown>[]): Record<string, unknown> => ({
  version: '4',
  groupKey: '{}:{alertname="PodMemoryHigh"}',
  truncatedAlerts: 0,
  status: alerts.some((a) => a['status'] === 'firing') ? 'firing' : 'resolved',
  receiver: 'kubeskippy',
  groupLabels: { alertname: 'PodMemoryHigh' },
  commonLabels: { alertname: 'PodMemoryHigh' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts,
});
function notices(alerts: Record<string, unknown>[]): AlertNotice[] {
  const parsed = parsePayload(payload(alerts));
  if (!parsed.ok) throw new Error(parsed.error);
  return noticesOf(parsed.payload);
}

describe('the alert trigger block', () => {
  it('is accepted with defaults (pod and namespace labels, 1h maxAge)', () => {
    const p = alertPolicy();
    expect(p.triggers[0]).toMatchObject({
      type: 'alert',
      alertname: 'PodMemoryHigh',
      labels: { severity: 'critical' },
      podLabel: 'pod',
      namespaceLabel: 'namespace',
      maxAgeMs: 3_600_000,
      forMs: 0,
    });
  });

  it('warns, naming the field, about a label no alert can carry', () => {
    const p = policy({ triggers: [alertTrigger({ labels: { 'team-name': 'a', severity: 'critical' } })] });
    expect(p.warnings).toEqual([
      'spec.triggers[0].alertTrigger.labels: "team-name" is not a Prometheus label name; no alert carries it, so the trigger never fires',
    ]);
    expect(alertPolicy().warnings).toEqual([]);
  });

  it('refuses a missing block, an empty alertname and a bad label name, naming the field', () => {
    const bad = (trigger: Record<string, unknown>): string => {
      const r = parseHealingPolicySpec({ ...policySpec(), triggers: [trigger] });
      return r.ok ? 'accepted' : formatErrors(r.errors);
    };
    expect(bad({ name: 't', type: 'alert' })).toMatch(
      /triggers\[0\]\.alertTrigger.*required when type is "alert"/,
    );
    expect(bad(alertTrigger({ alertname: '' }))).toMatch(/triggers\[0\]\.alertTrigger\.alertname/);
    expect(bad(alertTrigger({ podLabel: 'pod-name' }))).toMatch(
      /triggers\[0\]\.alertTrigger\.podLabel.*Prometheus label name/,
    );
  });
});

describe('the Alertmanager payload', () => {
  it('splits a grouped notification into its alerts', () => {
    const n = notices([webhookAlert({ pod: 'web-1' }), webhookAlert({ pod: 'web-2', status: 'resolved' })]);
    expect(n).toEqual([
      {
        fingerprint: 'fp-web-1',
        status: 'firing',
        labels: expect.objectContaining({ pod: 'web-1' }),
        startsAtMs: T0,
      },
      {
        fingerprint: 'fp-web-2',
        status: 'resolved',
        labels: expect.objectContaining({ pod: 'web-2' }),
        startsAtMs: T0,
        endsAtMs: T0 + 60_000,
      },
    ]);
  });

  it.each([
    [{ ...payload([webhookAlert({ pod: 'a' })]), version: '3' }, /^version: /],
    [payload([{ ...webhookAlert({ pod: 'a' }), fingerprint: '' }]), /^alerts\[0\]\.fingerprint: /],
    [
      payload([{ ...webhookAlert({ pod: 'a' }), startsAt: 'yesterday' }]),
      /^alerts\[0\]\.startsAt: must be an RFC 3339/,
    ],
    [
      payload([{ ...webhookAlert({ pod: 'a' }), labels: { pod: 'a' } }]),
      /^alerts\[0\]\.labels: must have an alertname/,
    ],
    [payload([]), /^alerts: /],
  ])('refuses a malformed payload, naming the field (%#)', (body, message) => {
    const r = parsePayload(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(message);
  });

  it('goes only to the policies whose alert triggers want it', () => {
    const critical = alertPolicy();
    const warning = policy(
      { triggers: [alertTrigger({ labels: { severity: 'warning' } })] },
      { name: 'warn' },
    );
    const metricOnly = policy({}, { name: 'metric' });
    const n = notices([
      webhookAlert({ pod: 'web-1' }),
      webhookAlert({ pod: 'web-2', labels: { severity: 'warning' } }),
      webhookAlert({ pod: 'web-3', labels: { alertname: 'Other' } }),
    ]);
    const { routes, unmatched } = routeAlerts([critical, warning, metricOnly], n);
    expect(routes.get(critical)?.map((x) => x.labels['pod'])).toEqual(['web-1']);
    expect(routes.get(warning)?.map((x) => x.labels['pod'])).toEqual(['web-2']);
    expect(routes.has(metricOnly)).toBe(false);
    expect(unmatched).toBe(1);
  });

  it('needs a token file when the receiver is on', () => {
    expect(() => loadConfig({}, { KUBESKIPPY_ALERT_PORT: '9095' })).toThrow(/KUBESKIPPY_ALERT_TOKEN_FILE/);
    expect(loadConfig({}, { KUBESKIPPY_ALERT_PORT: '0', KUBESKIPPY_ALERT_TOKEN_FILE: '/t' })).toMatchObject({
      alertPort: 0,
      alertTokenFile: '/t',
    });
    expect(loadConfig({}, {}).alertPort).toBeUndefined();
  });
});

describe('alert episodes in the policy', () => {
  const pods = [pod('web-1'), pod('web-2')];
  const receive = (d: Driver, alerts: Record<string, unknown>[], nowMs: number) =>
    recordAlerts((d.state.alerts ??= {}), d.policy, notices(alerts), nowMs);

  it('acts once per episode: repeats and an HA duplicate join it, a new startsAt is a new one', () => {
    const d = new Driver(alertPolicy());
    expect(receive(d, [webhookAlert({ pod: 'web-1' })], T0 + 1000).counts).toMatchObject({ opened: 1 });
    const first = d.tick(snapshot(T0 + 1000, pods));
    expect(plannedOn(first)).toEqual(['restart@demo/Pod/web-1']);
    expect(first.planned[0]!.trigger.alert).toEqual({
      episode: episodeKey({ fingerprint: 'fp-web-1', startsAtMs: T0 }),
      alertname: 'PodMemoryHigh',
      fingerprint: 'fp-web-1',
      startsAtMs: T0,
    });
    // Alertmanager's repeat and the other replica of an HA pair: the same episode.
    const again = receive(d, [webhookAlert({ pod: 'web-1' }), webhookAlert({ pod: 'web-1' })], T0 + 2000);
    expect(again.counts).toMatchObject({ opened: 0, repeated: 2 });
    const second = d.tick(snapshot(T0 + 2000, pods));
    expect(second.planned).toEqual([]);
    expect(reasons(second)).toHaveLength(1); // the fire is refused while the first action is open
    expect(Object.keys(d.state.alerts!)).toHaveLength(1);
    // It resolves: the action answering it is the one told, and nothing fires any more.
    const resolved = receive(d, [webhookAlert({ pod: 'web-1', status: 'resolved' })], T0 + 3000);
    expect(resolved.resolvedActions).toEqual([
      expect.objectContaining({
        workflowId: first.planned[0]!.workflowId,
        episode: first.planned[0]!.trigger.alert!.episode,
      }),
    ]);
    d.closeAll('Succeeded', T0 + 4000);
    expect(d.tick(snapshot(T0 + 200_000, pods)).fires).toEqual([]);
    // A late duplicate of the resolved episode does not reopen it.
    receive(d, [webhookAlert({ pod: 'web-1' })], T0 + 201_000);
    expect(d.tick(snapshot(T0 + 201_000, pods)).fires).toEqual([]);
    // A new episode (new startsAt) is a new incident.
    receive(d, [webhookAlert({ pod: 'web-1', startsAtMs: T0 + 300_000 })], T0 + 301_000);
    expect(plannedOn(d.tick(snapshot(T0 + 301_000, pods)))).toEqual(['restart@demo/Pod/web-1']);
  });

  it('never acts on a resolved notification, even for an episode it never saw firing', () => {
    const d = new Driver(alertPolicy());
    receive(d, [webhookAlert({ pod: 'web-1', status: 'resolved' })], T0 + 1000);
    expect(d.tick(snapshot(T0 + 1000, pods)).fires).toEqual([]);
    receive(d, [webhookAlert({ pod: 'web-1' })], T0 + 2000); // the firing copy arrives late
    expect(d.tick(snapshot(T0 + 2000, pods)).fires).toEqual([]);
  });

  it('records a stale alert (first seen long after it started) and does not act on it', () => {
    const d = new Driver(alertPolicy({ maxAge: '10m' }));
    const r = receive(d, [webhookAlert({ pod: 'web-1', startsAtMs: T0 - 11 * 60_000 })], T0);
    expect(r.counts).toMatchObject({ stale: 1, opened: 0 });
    expect(d.tick(snapshot(T0, pods)).fires).toEqual([]);
  });

  it('acts only on pods the policy selects, named by the configured labels', () => {
    const d = new Driver(alertPolicy({ podLabel: 'instance_pod', namespaceLabel: 'kube_ns' }));
    receive(
      d,
      [
        webhookAlert({ pod: 'ignored', labels: { instance_pod: 'web-2', kube_ns: NS } }),
        webhookAlert({ pod: 'x', fingerprint: 'fp-other', labels: { instance_pod: 'db-0', kube_ns: NS } }),
      ],
      T0,
    );
    expect(
      plannedOn(d.tick(snapshot(T0, [...pods, pod('db-0', (p) => void (p.labels = { app: 'db' }))]))),
    ).toEqual(['restart@demo/Pod/web-2']);
  });

  it('verifies as healed only once the alert resolved', () => {
    const d = new Driver(alertPolicy());
    receive(d, [webhookAlert({ pod: 'web-1' })], T0);
    const planned = d.tick(snapshot(T0, pods)).planned[0]!;
    // The restart's replacement, created after the action started.
    const after = snapshot(T0 + 30_000, [pod('web-1b', createdAt(T0 + 5000)), pod('web-2')]);
    const check = (alertResolved: boolean) =>
      assessHealed({
        action: { ...planned, startedMs: T0 },
        snapshot: after,
        nowMs: T0 + 30_000,
        alertResolved,
      });
    expect(check(false)).toMatchObject({ reason: 'TriggerStillHolds' });
    expect(check(false).message).toMatch(/alert PodMemoryHigh not resolved yet/);
    expect(check(true)).toMatchObject({ healed: true });
  });
});
