// The simulated cluster's controllers on the API's real in-memory store (no HTTP): workloads come
// up, heal, roll and misbehave the way a user of a real cluster would see it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from '../../sim/api/store.js';
import type { KObject, RunningControllers, Store } from '../../sim/contract.js';
import { startControllers } from '../../sim/controllers/index.js';
import { deployment, pdb, sleep, statefulSet, waitFor } from '../support/sim-fixtures.js';

const TIME_SCALE = 0.02; // one behaviour second = 20 ms
const Mi = 2 ** 20;
let store: Store;
let cluster: RunningControllers;

beforeEach(() => {
  store = createStore();
  cluster = startControllers({ store, timeScale: TIME_SCALE });
});
afterEach(async () => {
  await cluster.stop();
});

const pods = (app: string): KObject[] =>
  store.list('core/v1/pods', { namespace: 'default' }).filter((p) => p.metadata.labels?.['app'] === app);
const ready = (p: KObject): boolean =>
  (p.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );
const readyPods = (app: string): KObject[] =>
  pods(app).filter((p) => ready(p) && !p.metadata.deletionTimestamp);
const container = (p: KObject): Record<string, any> => p.status?.containerStatuses?.[0] ?? {}; // eslint-disable-line @typescript-eslint/no-explicit-any
const events = (name: string, reason: string): KObject[] =>
  store
    .list('core/v1/events')
    .filter((e) => (e['involvedObject'] as { name: string }).name === name && e['reason'] === reason);

describe('nodes and scheduling', () => {
  it('registers two ready nodes and spreads pods across them', async () => {
    expect(store.list('core/v1/nodes').map((n) => n.metadata.name)).toEqual(['sim-node-1', 'sim-node-2']);
    store.create('apps/v1/deployments', deployment('spread', { replicas: 4 }));
    const running = await waitFor(
      () => readyPods('spread').length === 4 && readyPods('spread'),
      '4 ready pods',
    );
    const perNode = running.reduce<Record<string, number>>(
      (m, p) => ({ ...m, [p.spec.nodeName]: (m[p.spec.nodeName] ?? 0) + 1 }),
      {},
    );
    expect(perNode).toEqual({ 'sim-node-1': 2, 'sim-node-2': 2 });
    const pod = running[0]!;
    expect(pod.status.phase).toBe('Running');
    expect(container(pod).state.running.startedAt).toMatch(/Z$/);
    expect(pod.status.podIP).toMatch(/^10\.244\./);
    expect(events(pod.metadata.name!, 'Scheduled')).toHaveLength(1);
    expect(events(pod.metadata.name!, 'Started')).toHaveLength(1);
  });

  it('places replacements on the node whose pods went away (its count follows deletions)', async () => {
    store.create('apps/v1/deployments', deployment('refill', { replicas: 6 }));
    const first = await waitFor(() => readyPods('refill').length === 6 && readyPods('refill'), '6 ready');
    const onNode1 = first.filter((p) => p.spec.nodeName === 'sim-node-1');
    expect(onNode1).toHaveLength(3);
    for (const p of onNode1)
      store.delete('core/v1/pods', 'default', p.metadata.name!, { gracePeriodSeconds: 0 });
    const refilled = await waitFor(
      () => readyPods('refill').length === 6 && readyPods('refill'),
      '6 ready again',
    );
    const fresh = refilled.filter((p) => !first.some((f) => f.metadata.uid === p.metadata.uid));
    // A scheduler still counting the deleted pods would split the three 2:1 between the nodes.
    expect(fresh.map((p) => p.spec.nodeName)).toEqual(['sim-node-1', 'sim-node-1', 'sim-node-1']);
  });
});

describe('Deployment and ReplicaSet', () => {
  it('creates a revision-1 ReplicaSet owning the pods and reports the deployment available', async () => {
    store.create('apps/v1/deployments', deployment('web', { replicas: 3 }));
    const d = await waitFor(() => {
      const got = store.get('apps/v1/deployments', 'default', 'web');
      return got?.status?.availableReplicas === 3 && got;
    }, 'deployment available');
    expect(d.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      updatedReplicas: 3,
      observedGeneration: 1,
    });
    expect(d.status.conditions.map((c: { type: string; reason: string }) => `${c.type}:${c.reason}`)).toEqual(
      ['Available:MinimumReplicasAvailable', 'Progressing:NewReplicaSetAvailable'],
    );
    const [rs] = store.list('apps/v1/replicasets', { namespace: 'default' });
    expect(rs!.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
    const hash = rs!.metadata.labels?.['pod-template-hash'];
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    for (const p of pods('web')) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-`));
      expect(p.metadata.labels?.['pod-template-hash']).toBe(hash);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        uid: rs!.metadata.uid,
        controller: true,
      });
    }
  });

  it('replaces a deleted pod and follows spec.replicas up and down', async () => {
    store.create('apps/v1/deployments', deployment('web', { replicas: 2 }));
    const [victim] = await waitFor(() => readyPods('web').length === 2 && readyPods('web'), '2 ready');
    store.delete('core/v1/pods', 'default', victim!.metadata.name!);
    await waitFor(
      () => !store.get('core/v1/pods', 'default', victim!.metadata.name!),
      'victim removed after Killing',
    );
    expect(events(victim!.metadata.name!, 'Killing')).toHaveLength(1);
    await waitFor(() => readyPods('web').length === 2, 'a replacement');

    store.mutate('apps/v1/deployments', 'default', 'web', (d) => void (d.spec.replicas = 5));
    await waitFor(() => readyPods('web').length === 5, 'scaled to 5');
    store.mutate('apps/v1/deployments', 'default', 'web', (d) => void (d.spec.replicas = 1));
    await waitFor(() => pods('web').length === 1, 'scaled to 1');
    const rs = store.list('apps/v1/replicasets', { namespace: 'default' })[0]!;
    expect(events(rs.metadata.name!, 'SuccessfulDelete').length).toBeGreaterThanOrEqual(4);
  });

  it('rolls a template change to a new ReplicaSet without dropping below maxUnavailable', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    store.create('apps/v1/deployments', deployment('roll', { replicas: 3, strategy }));
    await waitFor(() => readyPods('roll').length === 3, '3 ready');
    let fewestReady = 3;
    const unsubscribe = store.subscribe(
      () => void (fewestReady = Math.min(fewestReady, readyPods('roll').length)),
    );
    store.mutate('apps/v1/deployments', 'default', 'roll', (d) => {
      d.spec.template.metadata.annotations = {
        'kubectl.kubernetes.io/restartedAt': new Date().toISOString(),
      };
    });
    const done = await waitFor(() => {
      const d = store.get('apps/v1/deployments', 'default', 'roll');
      const s = d?.status ?? {};
      return (
        s.observedGeneration === 2 &&
        s.updatedReplicas === 3 &&
        s.replicas === 3 &&
        s.availableReplicas === 3 &&
        d
      );
    }, 'rollout complete');
    unsubscribe();
    expect(fewestReady).toBe(3);
    const sets = store.list('apps/v1/replicasets', { namespace: 'default' });
    const revisions = Object.fromEntries(
      sets.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec.replicas]),
    );
    expect(revisions).toEqual({ '1': 0, '2': 3 });
    expect(done.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const scaling = events('roll', 'ScalingReplicaSet').map((e) => e['message']);
    expect(scaling.some((m) => /Scaled down replica set .* from 1 to 0/.test(String(m)))).toBe(true);
  });
});

describe('misbehaving containers', () => {
  it('crash loop: restarts climb with growing back-off, CrashLoopBackOff and BackOff events', async () => {
    store.create(
      'apps/v1/deployments',
      deployment('crash', { behaviour: { behavior: 'crashloop', 'crash-after': '2s' } }),
    );
    const restartSeen: number[] = [];
    await waitFor(
      () => {
        const p = pods('crash')[0];
        const n = p ? container(p).restartCount : 0;
        if (n > restartSeen.length) restartSeen.push(Date.now());
        return n >= 3 && p;
      },
      '3 restarts',
      10_000,
      5,
    );
    const p = pods('crash')[0]!;
    const c = container(p);
    expect(c.lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    await waitFor(
      () => container(pods('crash')[0]!).state.waiting?.reason === 'CrashLoopBackOff',
      'CrashLoopBackOff',
    );
    // Gaps between restarts grow: crash-after + 10s, + 20s, … (in behaviour seconds).
    const gaps = restartSeen.slice(1).map((t, i) => t - restartSeen[i]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 1.3);
    const backOff = events(p.metadata.name!, 'BackOff')[0]!;
    expect(backOff['type']).toBe('Warning');
    expect(backOff['count']).toBeGreaterThanOrEqual(3);
    expect(String(backOff['message'])).toMatch(/^Back-off restarting failed container app in pod /);
    expect(backOff['involvedObject']).toMatchObject({
      kind: 'Pod',
      fieldPath: 'spec.containers{app}',
      uid: p.metadata.uid,
    });
  });

  it('memory leak: OOMKilled at the limit, then the restarted container starts low again', async () => {
    const behaviour = {
      behavior: 'memory-leak',
      'memory-start': '100Mi',
      'memory-leak-rate': '4Mi/s',
      jitter: '0',
    };
    store.create('apps/v1/deployments', deployment('leak', { behaviour, limits: { memory: '256Mi' } }));
    const name = (await waitFor(() => readyPods('leak')[0], 'leak pod')).metadata.name!;
    const usage = (): number => cluster.metrics.podUsage('default', name)?.[0]?.memoryBytes ?? 0;
    await waitFor(() => usage() > 200 * Mi, 'usage above 200Mi');
    await waitFor(
      () => container(store.get('core/v1/pods', 'default', name)!).restartCount >= 1,
      'a restart',
    );
    const c = container(store.get('core/v1/pods', 'default', name)!);
    expect(c.lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(events(name, 'OOMKilling')[0]?.['type']).toBe('Warning');
    await waitFor(
      () => container(store.get('core/v1/pods', 'default', name)!).state.running,
      'running again',
    );
    // Right after a restart usage is back near memory-start (it climbs 200Mi per real second here).
    await waitFor(() => usage() > 0 && usage() < 140 * Mi, 'usage low after the restart');
    expect(
      cluster.metrics.nodeUsage(store.get('core/v1/pods', 'default', name)!.spec.nodeName)!.memoryBytes,
    ).toBeGreaterThan(usage());
  });

  it('restartPolicy Never: a crashed pod ends Failed and is not restarted', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'once',
        namespace: 'default',
        annotations: { 'sim.kubeskippy.io/behavior': 'crashloop', 'sim.kubeskippy.io/crash-after': '1s' },
      },
      spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] },
    };
    store.create('core/v1/pods', pod);
    const failed = await waitFor(() => {
      const p = store.get('core/v1/pods', 'default', 'once');
      return p?.status?.phase === 'Failed' && p;
    }, 'Failed');
    expect(container(failed)).toMatchObject({
      restartCount: 0,
      state: { terminated: { reason: 'Error', exitCode: 1 } },
    });
  });

  it('flaky readiness: Ready flips and Unhealthy warnings are recorded', async () => {
    const behaviour = { behavior: 'flaky-readiness', 'ready-failure-rate': '50%', 'ready-period': '2s' };
    store.create('apps/v1/deployments', deployment('flaky', { behaviour }));
    const p = await waitFor(() => readyPods('flaky')[0], 'ready once');
    await waitFor(() => !ready(store.get('core/v1/pods', 'default', p.metadata.name!)!), 'unready', 10_000);
    expect(events(p.metadata.name!, 'Unhealthy')[0]).toMatchObject({ type: 'Warning' });
  });
});

describe('StatefulSet and PodDisruptionBudget', () => {
  it('creates ordinals one at a time and brings a deleted pod back under the same name', async () => {
    store.create('apps/v1/statefulsets', statefulSet('db', { replicas: 3 }));
    const order: string[] = [];
    const unsubscribe = store.subscribe((e) => {
      if (e.type === 'ADDED' && e.resource === 'core/v1/pods') order.push(e.object.metadata.name!);
      if (e.type === 'ADDED' && e.object.metadata.name === 'db-1')
        expect(ready(store.get('core/v1/pods', 'default', 'db-0')!)).toBe(true);
    });
    await waitFor(() => readyPods('db').length === 3, '3 ready');
    unsubscribe();
    expect(order).toEqual(['db-0', 'db-1', 'db-2']);
    const oldUid = store.get('core/v1/pods', 'default', 'db-1')!.metadata.uid;
    store.delete('core/v1/pods', 'default', 'db-1');
    await waitFor(() => {
      const p = store.get('core/v1/pods', 'default', 'db-1');
      return p && p.metadata.uid !== oldUid && ready(p);
    }, 'db-1 back');
    // Status follows the pods asynchronously, as it does in a real cluster.
    await waitFor(
      () => store.get('apps/v1/statefulsets', 'default', 'db')?.status?.readyReplicas === 3,
      'status',
    );
    expect(store.get('apps/v1/statefulsets', 'default', 'db')!.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
    });
  });

  it('reports disruptionsAllowed from healthy pods and minAvailable or maxUnavailable', async () => {
    store.create('apps/v1/deployments', deployment('guarded', { replicas: 3 }));
    store.create('policy/v1/poddisruptionbudgets', pdb('min-two', { app: 'guarded' }, { minAvailable: 2 }));
    store.create(
      'policy/v1/poddisruptionbudgets',
      pdb('max-half', { app: 'guarded' }, { maxUnavailable: '50%' }),
    );
    const status = (n: string): Record<string, unknown> =>
      store.get('policy/v1/poddisruptionbudgets', 'default', n)?.status ?? {};
    await waitFor(() => status('min-two')['currentHealthy'] === 3, 'PDB sees 3 healthy');
    expect(status('min-two')).toMatchObject({
      desiredHealthy: 2,
      disruptionsAllowed: 1,
      expectedPods: 3,
      observedGeneration: 1,
    });
    await waitFor(() => status('max-half')['currentHealthy'] === 3, 'second PDB');
    expect(status('max-half')).toMatchObject({ desiredHealthy: 1, disruptionsAllowed: 2, expectedPods: 3 });
  });
});

it('stop() ends all activity', async () => {
  store.create(
    'apps/v1/deployments',
    deployment('quiet', { behaviour: { behavior: 'crashloop', 'crash-after': '1s' } }),
  );
  await waitFor(() => pods('quiet')[0]?.status?.phase === 'Running', 'running');
  await cluster.stop();
  const before = JSON.stringify(store.list('core/v1/pods'));
  await sleep(600);
  expect(JSON.stringify(store.list('core/v1/pods'))).toBe(before);
});

describe('Job', () => {
  const job = (
    name: string,
    annotations: Record<string, string>,
    spec: Record<string, unknown> = {},
  ): KObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: {
        metadata: { annotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'busybox:1.36' }] },
      },
      ...spec,
    },
  });
  const exits = (code: number): Record<string, string> => ({
    'sim.kubeskippy.io/behavior': 'crashloop',
    'sim.kubeskippy.io/crash-after': '5s',
    'sim.kubeskippy.io/exit-code': String(code),
  });
  const finished = (name: string): KObject | undefined => {
    const j = store.get('batch/v1/jobs', 'default', name);
    const done = (j?.status?.conditions ?? []).some(
      (c: { type: string; status: string }) =>
        (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    return done ? j : undefined;
  };
  const podsOf = (name: string): KObject[] =>
    store
      .list('core/v1/pods', { namespace: 'default' })
      .filter((p) => p.metadata.labels?.['job-name'] === name);

  it('runs its pod to completion and reports Complete as batch/v1 does', async () => {
    store.create('batch/v1/jobs', job('once', exits(0)));
    const done = await waitFor(() => finished('once'), 'Job complete');
    expect(done.spec.selector.matchLabels['batch.kubernetes.io/controller-uid']).toBe(done.metadata.uid);
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0, active: 0, startTime: expect.any(String) });
    expect(done.status.completionTime).toEqual(expect.any(String));
    expect(done.status.conditions.map((c: { type: string; reason: string }) => [c.type, c.reason])).toEqual([
      ['SuccessCriteriaMet', 'CompletionsReached'],
      ['Complete', 'CompletionsReached'],
    ]);
    expect(podsOf('once').map((p) => p.status.phase)).toEqual(['Succeeded']);
    expect(events('once', 'Completed')).toHaveLength(1);
  });

  it('replaces a failed pod up to backoffLimit, then fails; a deadline stops a pod that never ends', async () => {
    store.create('batch/v1/jobs', job('flaky', exits(2), { backoffLimit: 2 }));
    store.create('batch/v1/jobs', job('slow', {}, { activeDeadlineSeconds: 1 }));
    const flaky = await waitFor(() => finished('flaky'), 'Job failed', 10_000);
    expect(flaky.status).toMatchObject({ failed: 3, succeeded: 0, active: 0 });
    expect(flaky.status.conditions.at(-1)).toMatchObject({
      type: 'Failed',
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(podsOf('flaky').map((p) => p.status.phase)).toEqual(['Failed', 'Failed', 'Failed']);
    const slow = await waitFor(() => finished('slow'), 'Job past its deadline', 10_000);
    expect(slow.status.conditions.at(-1)).toMatchObject({ type: 'Failed', reason: 'DeadlineExceeded' });
    await waitFor(() => podsOf('slow').every((p) => p.metadata.deletionTimestamp), 'its pod stopped');
  });

  it('refuses a pod template a Job cannot run (restartPolicy Always)', () => {
    const bad = job('always', {});
    bad.spec.template.spec.restartPolicy = 'Always';
    expect(() => store.create('batch/v1/jobs', bad)).toThrow(
      /spec.template.spec.restartPolicy: Unsupported value: "Always"/,
    );
  });
});
