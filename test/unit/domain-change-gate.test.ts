// Change-aware gating, decided: the rollout, upgrade and silence rules on the API's real shapes
// (Deployment / StatefulSet / DaemonSet status as kube-controller-manager writes it, converted by
// the activity's own rolloutSnapshot), Alertmanager matchers as Alertmanager reads them, and the
// verdict for a PlannedAction the real planner made from a policy the real schema parsed.
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { rolloutSnapshot } from '../../activities/snapshot/changes.js';
import { HealingPolicySpec } from '../../crds/healing-policy.js';
import { parseHealingPolicySpec, formatErrors } from '../../crds/validate.js';
import {
  changeRequest,
  clusterUpgrade,
  judgeChanges,
  recheckIntervalMs,
  rolloutInProgress,
  targetLabelSets,
} from '../../domain/change-gate.js';
import { silenceMatches } from '../../domain/silences.js';
import type { PlannedAction } from '../../domain/plan-types.js';
import type { ChangeSnapshot, SilenceMatcher, SilenceSnapshot } from '../../domain/snapshot.js';
import { Driver } from '../fixtures/domain-run.js';
import { memoryTrigger, pod, policy, ref, snapshot, withMemory } from '../fixtures/domain-builders.js';

const progressing = (reason: string, status = 'True') => ({
  type: 'Progressing',
  status,
  reason,
  message: '',
});

/** A Deployment as the API returns it (zero counters omitted, as the API does). */
function dep(o: {
  generation?: number;
  observed?: number;
  replicas?: number;
  status?: Partial<NonNullable<V1Deployment['status']>>;
  reason?: string;
  revision?: string;
}): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'demo',
      uid: 'u1',
      generation: o.generation ?? 2,
      annotations: { 'deployment.kubernetes.io/revision': o.revision ?? '2' },
    },
    spec: { replicas: o.replicas ?? 3, selector: {}, template: {} },
    status: {
      observedGeneration: o.observed ?? o.generation ?? 2,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        progressing(o.reason ?? 'NewReplicaSetAvailable'),
      ],
      ...o.status,
    },
  };
}
const full = { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
const deploymentRollout = (d: V1Deployment) =>
  rolloutInProgress(rolloutSnapshot(ref('Deployment', 'web'), d));

describe('rolloutInProgress: Deployments', () => {
  it.each([
    ['a finished rollout', dep({ status: full }), undefined],
    [
      'a spec change the controller has not observed',
      dep({ generation: 5, observed: 4, status: full }),
      'spec generation 5 not yet observed by its controller (observed 4)',
    ],
    [
      'a rolling update half way (surge pod up, old pods still there)',
      dep({
        reason: 'ReplicaSetUpdated',
        status: { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 },
      }),
      '2 of 3 replicas updated',
    ],
    [
      'every replica updated, an old one still terminating',
      dep({ reason: 'ReplicaSetUpdated', status: { ...full, replicas: 4 } }),
      '1 old replica still running (3 of 3 updated)',
    ],
    [
      'updated replicas not yet available during an update',
      dep({ reason: 'ReplicaSetUpdated', status: { ...full, readyReplicas: 2, availableReplicas: 2 } }),
      '2 of 3 updated replicas available (Progressing: ReplicaSetUpdated)',
    ],
    [
      'a paused rollout with old pods left (a canary by hand)',
      dep({
        reason: 'DeploymentPaused',
        status: { replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 },
      }),
      '1 of 3 replicas updated',
    ],
    [
      'a pod crash-looping after the rollout finished (the condition stays NewReplicaSetAvailable)',
      dep({ status: { ...full, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 } }),
      undefined,
    ],
    [
      'a first rollout whose pods never became available (a new app crash-looping)',
      dep({
        revision: '1',
        reason: 'ReplicaSetUpdated',
        status: { replicas: 3, updatedReplicas: 3, unavailableReplicas: 3 },
      }),
      undefined,
    ],
    [
      'a rollout past its progress deadline (over, unsuccessfully)',
      dep({
        reason: 'ProgressDeadlineExceeded',
        status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3 },
      }),
      undefined,
    ],
  ])('%s', (_what, d, expected) => {
    const said = deploymentRollout(d);
    if (expected === undefined) expect(said).toBeUndefined();
    else expect(said).toBe(`Deployment demo/web: ${expected}`);
  });

  it('a scale-down (no new template) with the old zero counters omitted reads as settled', () => {
    expect(deploymentRollout(dep({ replicas: 0, status: {} }))).toBeUndefined();
  });
});

describe('rolloutInProgress: StatefulSets and DaemonSets', () => {
  const sts = (status: V1StatefulSet['status'], generation = 3): V1StatefulSet => ({
    metadata: { name: 'db', namespace: 'demo', generation },
    spec: { replicas: 3, selector: {}, serviceName: 'db', template: {} },
    status: { observedGeneration: 3, ...status } as V1StatefulSet['status'],
  });
  const ds = (status: Partial<NonNullable<V1DaemonSet['status']>>): V1DaemonSet => ({
    metadata: { name: 'agent', namespace: 'demo', generation: 2 },
    spec: { selector: {}, template: {} },
    status: {
      currentNumberScheduled: 3,
      desiredNumberScheduled: 3,
      numberMisscheduled: 0,
      numberReady: 3,
      observedGeneration: 2,
      ...status,
    },
  });
  const stsRef = ref('StatefulSet', 'db');
  const dsRef = ref('DaemonSet', 'agent');

  it('a StatefulSet between revisions rolls out; one at its update revision does not', () => {
    const rolling = sts({
      replicas: 3,
      currentRevision: 'db-6d4f9',
      updateRevision: 'db-7c8b1',
      updatedReplicas: 1,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(rolloutInProgress(rolloutSnapshot(stsRef, rolling))).toBe(
      'StatefulSet demo/db: updating from revision db-6d4f9 to db-7c8b1, 1 of 3 replicas updated',
    );
    const done = sts({
      replicas: 3,
      currentRevision: 'db-7c8b1',
      updateRevision: 'db-7c8b1',
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    expect(rolloutInProgress(rolloutSnapshot(stsRef, done))).toBeUndefined();
    expect(rolloutInProgress(rolloutSnapshot(stsRef, sts({ replicas: 3, updatedReplicas: 3 }, 4)))).toMatch(
      /generation 4 not yet observed/,
    );
  });

  it('a DaemonSet with nodes not yet updated rolls out', () => {
    expect(
      rolloutInProgress(rolloutSnapshot(dsRef, ds({ updatedNumberScheduled: 1, numberAvailable: 3 }))),
    ).toBe('DaemonSet demo/agent: 1 of 3 replicas updated');
    expect(
      rolloutInProgress(rolloutSnapshot(dsRef, ds({ updatedNumberScheduled: 3, numberAvailable: 2 }))),
    ).toBeUndefined();
  });
});

describe('clusterUpgrade', () => {
  it('nodes at one kubelet version are calm; at two, an upgrade is in progress', () => {
    expect(clusterUpgrade({ 'v1.32.4': 3 })).toBeUndefined();
    expect(clusterUpgrade({})).toBeUndefined();
    expect(clusterUpgrade({ 'v1.33.1': 1, 'v1.32.4': 2 })).toBe(
      'nodes run 2 kubelet versions: v1.32.4 (2 nodes), v1.33.1 (1 node)',
    );
  });
});

const m = (name: string, value: string, o: Partial<SilenceMatcher> = {}): SilenceMatcher => ({
  name,
  value,
  isRegex: false,
  isEqual: true,
  ...o,
});
const silence = (...matchers: SilenceMatcher[]): SilenceSnapshot => ({
  id: 'a1b2',
  matchers,
  endsAtMs: Date.parse('2026-12-03T16:00:00Z'),
  createdBy: 'ops@example.com',
});

describe('silences match as Alertmanager matches them', () => {
  const labels = { namespace: 'demo', pod: 'web-1', deployment: 'web', container: 'app' };
  it.each([
    ['=', [m('namespace', 'demo')], true],
    ['= on another value', [m('namespace', 'prod')], false],
    ['every matcher must match', [m('namespace', 'demo'), m('pod', 'web-2')], false],
    ['=~ is anchored at both ends', [m('pod', 'web', { isRegex: true })], false],
    ['=~ alternation', [m('pod', 'api-.*|web-[0-9]+', { isRegex: true })], true],
    ['!=', [m('deployment', 'api', { isEqual: false })], true],
    ['!~', [m('namespace', 'de.*', { isRegex: true, isEqual: false })], false],
    ['a missing label is the empty string', [m('statefulset', '', {})], true],
    [
      'alertname is absent unless the action answers an alert',
      [m('alertname', 'KubePodCrashLooping')],
      false,
    ],
    ['a regex JavaScript cannot compile is not ruled out', [m('pod', '(', { isRegex: true })], true],
  ])('%s', (_what, matchers, expected) => {
    expect(silenceMatches(silence(...matchers), labels)).toBe(expected);
  });
});

/** A PlannedAction from the real planner: restart of pod web-1 (Deployment web) for high memory. */
function planned(
  safetyRules: Record<string, unknown> = {},
  action = { name: 'restart', type: 'restart' },
): PlannedAction {
  const p = policy({
    triggers: [memoryTrigger(85)],
    actions: [action],
    safetyRules: { minReadyReplicas: 0, ...safetyRules },
  });
  const r = new Driver(p).tick(snapshot(1_000, [pod('web-1', withMemory(0.9)), pod('web-2')]));
  expect(r.planned).toHaveLength(1);
  return r.planned[0]!;
}

const calm: ChangeSnapshot = { observedAtMs: 1, kubeletVersions: { 'v1.32.4': 3 }, silences: [] };
const rolling = rolloutSnapshot(
  ref('Deployment', 'web'),
  dep({ reason: 'ReplicaSetUpdated', status: { replicas: 4, updatedReplicas: 2, availableReplicas: 3 } }),
);

describe('judgeChanges for a planned action', () => {
  it('the policy defaults: wait for a rollout and an upgrade, skip on a silence, at most 10m', () => {
    const a = planned();
    expect(a.safety.changeGate).toEqual({
      rollout: 'wait',
      upgrade: 'wait',
      silence: 'skip',
      waitTimeoutMs: 600_000,
    });
    expect(recheckIntervalMs(a.safety.changeGate!)).toBe(5000);
    expect(changeRequest(a, a.safety.changeGate!)).toEqual({
      workload: a.firingPodOwner,
      nodes: true,
      silences: true,
      pod: { namespace: 'demo', name: 'web-1' },
    });
    expect(judgeChanges({ planned: a, gate: a.safety.changeGate!, seen: calm })).toEqual({ ok: true });
  });

  it('a pod action is judged on its Deployment; the verdict names what was seen', () => {
    const a = planned();
    const v = judgeChanges({ planned: a, gate: a.safety.changeGate!, seen: { ...calm, workload: rolling } });
    expect(v).toEqual({
      ok: false,
      reason: 'RolloutInProgress',
      mode: 'wait',
      message: 'rollout in progress: Deployment demo/web: 2 of 3 replicas updated',
    });
  });

  it('a rule set to skip wins over one set to wait; ignore is never reported, and not read', () => {
    const a = planned({ whenClusterUpgrading: 'skip', whenRolloutInProgress: 'ignore' });
    const seen = { ...calm, workload: rolling, kubeletVersions: { 'v1.32.4': 2, 'v1.33.0': 1 } };
    const v = judgeChanges({ planned: a, gate: a.safety.changeGate!, seen });
    expect(v).toMatchObject({ ok: false, reason: 'ClusterUpgrade', mode: 'skip' });
    expect(changeRequest(a, a.safety.changeGate!).workload).toBeUndefined();
  });

  it('a matching silence names itself; container silences match through the pod’s containers', () => {
    const a = planned();
    const s = silence(m('namespace', 'demo'), m('container', 'sidecar'));
    const gate = a.safety.changeGate!;
    expect(judgeChanges({ planned: a, gate, seen: { ...calm, silences: [s], containers: ['app'] } })).toEqual(
      { ok: true },
    );
    expect(
      judgeChanges({ planned: a, gate, seen: { ...calm, silences: [s], containers: ['app', 'sidecar'] } }),
    ).toEqual({
      ok: false,
      reason: 'Silenced',
      mode: 'skip',
      message:
        'Alertmanager silence a1b2 by ops@example.com (namespace="demo", container="sidecar") matches demo/Pod/web-1, until 2026-12-03T16:00:00.000Z',
    });
    expect(targetLabelSets(a, ['app'])).toEqual([
      { namespace: 'demo', pod: 'web-1', deployment: 'web' },
      { namespace: 'demo', pod: 'web-1', deployment: 'web', container: 'app' },
    ]);
  });

  it('a part that could not be read is not taken as calm', () => {
    const a = planned();
    const v = judgeChanges({
      planned: a,
      gate: a.safety.changeGate!,
      seen: { observedAtMs: 1, errors: { nodes: 'nodes is forbidden' } },
    });
    expect(v).toMatchObject({
      ok: false,
      reason: 'ClusterUpgrade',
      message: 'cluster upgrade in progress: the nodes could not be read: nodes is forbidden',
    });
  });
});

describe('the schema', () => {
  it('refuses an unknown mode and a wait past 24h, naming the field', () => {
    const spec = (safetyRules: Record<string, unknown>) => ({
      selector: {},
      triggers: [memoryTrigger(85)],
      actions: [{ name: 'restart', type: 'restart' }],
      safetyRules,
    });
    const bad = parseHealingPolicySpec(spec({ whenRolloutInProgress: 'later', changeWaitTimeout: '25h' }));
    expect(bad.ok).toBe(false);
    const text = bad.ok ? '' : formatErrors(bad.errors);
    expect(text).toMatch(/safetyRules\.whenRolloutInProgress/);
    expect(text).toMatch(/safetyRules\.changeWaitTimeout: must be at most 24h/);
    expect(HealingPolicySpec.parse(spec({})).safetyRules).toMatchObject({
      whenRolloutInProgress: 'wait',
      whenClusterUpgrading: 'wait',
      whenSilenced: 'skip',
      changeWaitTimeout: '10m',
    });
  });
});
