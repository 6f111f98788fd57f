// The simulated cluster's EndpointSlice controller on the API's in-memory store (no HTTP), held to
// what kube-controller-manager writes: one slice per Service, labelled kubernetes.io/service-name
// and owned by the Service, an endpoint per selected pod with its IP, ready from its Ready
// condition and false while it terminates; none for a Service without a selector.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from '../../sim/api/store.js';
import type { KObject, RunningControllers, Store } from '../../sim/contract.js';
import { startControllers } from '../../sim/controllers/index.js';
import { deployment, service, waitFor } from '../support/sim-fixtures.js';

const SLICES = 'discovery.k8s.io/v1/endpointslices';
const PODS = 'core/v1/pods';
let store: Store;
let cluster: RunningControllers;

beforeEach(() => {
  store = createStore();
  cluster = startControllers({ store, timeScale: 0.02 });
});
afterEach(async () => {
  await cluster.stop();
});

type Endpoint = {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  targetRef: { kind: string; name: string; uid: string };
};
const slicesOf = (svc: string): KObject[] =>
  store.list(SLICES, { namespace: 'default', labelSelector: `kubernetes.io/service-name=${svc}` });
const endpointsOf = (svc: string): Endpoint[] =>
  slicesOf(svc).flatMap((s) => (s['endpoints'] ?? []) as Endpoint[]);
const readyOf = (svc: string): string[] =>
  endpointsOf(svc)
    .filter((e) => e.conditions.ready)
    .map((e) => e.targetRef.name)
    .sort();

describe('EndpointSlice controller', () => {
  it('writes one slice per Service with an endpoint per selected pod, ready as the pod is', async () => {
    store.create('apps/v1/deployments', deployment('web', { replicas: 3 }));
    store.create('core/v1/services', service('web', { app: 'web' }));
    store.create('core/v1/services', service('manual'));
    await waitFor(() => readyOf('web').length === 3, '3 ready endpoints');
    const [slice, ...more] = slicesOf('web');
    expect(more).toEqual([]);
    const svc = store.get('core/v1/services', 'default', 'web')!;
    expect(slice!.metadata.name).toMatch(/^web-[a-z0-9]+$/);
    expect(slice!.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Service', uid: svc.metadata.uid, controller: true }),
    ]);
    expect(slice!['addressType']).toBe('IPv4');
    expect(slice!['ports']).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const pods = store.list(PODS, { namespace: 'default' });
    for (const e of endpointsOf('web')) {
      const pod = pods.find((p) => p.metadata.uid === e.targetRef.uid)!;
      expect(e.addresses).toEqual([pod.status.podIP]);
      expect(e.targetRef).toMatchObject({ kind: 'Pod', name: pod.metadata.name });
      expect(e.conditions).toEqual({ ready: true, serving: true, terminating: false });
    }
    // A Service without a selector gets no slice from the controller.
    expect(slicesOf('manual')).toEqual([]);
  });

  it('follows a pod going away: not ready while it terminates, then replaced by its successor', async () => {
    store.create('apps/v1/deployments', deployment('api', { replicas: 2 }));
    store.create('core/v1/services', service('api', { app: 'api' }));
    await waitFor(() => readyOf('api').length === 2, '2 ready endpoints');
    const victim = readyOf('api')[0]!;
    // At this time scale the pod terminates for a few tens of milliseconds: every slice write is
    // recorded, so a busy machine polling too late still sees the state the controller wrote.
    const seen: Endpoint[] = [];
    const unsubscribe = store.subscribe((e) => {
      if (e.resource !== SLICES || e.object.metadata.labels?.['kubernetes.io/service-name'] !== 'api') return;
      seen.push(...((e.object['endpoints'] ?? []) as Endpoint[]).filter((x) => x.targetRef.name === victim));
    });
    store.delete(PODS, 'default', victim, { gracePeriodSeconds: 30 });
    const terminating = await waitFor(
      () => seen.find((e) => e.conditions.terminating),
      'the terminating endpoint',
    ).finally(unsubscribe);
    expect(terminating.conditions.ready).toBe(false);
    await waitFor(
      () => readyOf('api').length === 2 && !readyOf('api').includes(victim),
      'two ready endpoints again, without the old pod',
    );
  });

  it('removes the slice with its Service', async () => {
    store.create('apps/v1/deployments', deployment('gone', { replicas: 1 }));
    store.create('core/v1/services', service('gone', { app: 'gone' }));
    await waitFor(() => slicesOf('gone').length === 1, 'a slice');
    store.delete('core/v1/services', 'default', 'gone');
    await waitFor(() => slicesOf('gone').length === 0, 'no slice');
  });
});
