// What an action takes out of service, computed from snapshots built the way the collectSnapshot
// activity builds them: Kubernetes objects (pods, a Deployment, Services, EndpointSlices as the
// EndpointSlice controller writes them, a PDB, an HPA) through the activity's own converters; and
// the live safety check around it on an action planned by the real planner.
import type {
  V1EndpointSlice,
  V1HorizontalPodAutoscaler,
  V1Pod,
  V1PodDisruptionBudget,
  V1Service,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { pdbSnapshot, podSnapshot, workloadSnapshot } from '../../activities/snapshot/convert.js';
import {
  endpointSliceSnapshot,
  hpaSnapshot,
  serviceSnapshot,
} from '../../activities/snapshot/convert-network.js';
import { blastRadiusOf, checkMaxUnavailable, scaledIntOrPercent } from '../../domain/blast-radius.js';
import type { ClusterSnapshot, ObjectRef } from '../../domain/snapshot.js';
import { checkBlastRadius } from '../../domain/live-safety.js';
import type { PlannedAction } from '../../domain/plan-types.js';
import { Driver } from '../fixtures/domain-run.js';
import {
  memoryTrigger,
  normalizedAction,
  pod,
  policy,
  restartAction,
  snapshot as builtSnapshot,
  withMemory,
} from '../fixtures/domain-builders.js';

const NS = 'shop';
const DEPLOY: ObjectRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: NS,
  name: 'web',
  uid: 'd-web',
};
const podRef = (name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Pod',
  namespace: NS,
  name,
  uid: `uid-${name}`,
});

function v1Pod(
  name: string,
  o: { ready?: boolean; ip?: string; labels?: Record<string, string> } = {},
): V1Pod {
  return {
    metadata: { name, namespace: NS, uid: `uid-${name}`, labels: o.labels ?? { app: 'web', tier: 'front' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'web:1' }] },
    status: {
      phase: 'Running',
      podIP: o.ip ?? `10.0.0.${name.slice(-1)}`,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function service(name: string, selector?: Record<string, string>): V1Service {
  return {
    metadata: { name, namespace: NS },
    spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] },
  };
}

/** A slice as kube-controller-manager writes it: one endpoint per selected pod, keyed by targetRef. */
function slice(
  svc: string,
  pods: V1Pod[],
  o: { addressType?: string; terminating?: string[] } = {},
): V1EndpointSlice {
  return {
    metadata: { name: `${svc}-abcde`, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
    addressType: o.addressType ?? 'IPv4',
    endpoints: pods.map((p) => {
      const serving = p.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True');
      const terminating = o.terminating?.includes(p.metadata!.name!) ?? false;
      return {
        addresses: [o.addressType === 'IPv6' ? `fd00::${p.metadata!.name!.slice(-1)}` : p.status!.podIP!],
        conditions: { ready: serving && !terminating, serving, terminating },
        targetRef: { kind: 'Pod', namespace: NS, name: p.metadata!.name!, uid: p.metadata!.uid! },
      };
    }),
  };
}

const pdb = (allowed: number): V1PodDisruptionBudget => ({
  metadata: { name: 'web-pdb', namespace: NS },
  spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 },
  status: { disruptionsAllowed: allowed, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
});

const hpa = (min: number, max: number): V1HorizontalPodAutoscaler => ({
  metadata: { name: 'web-hpa', namespace: NS },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: min,
    maxReplicas: max,
  },
});

/** The snapshot an action's safety check reads (collect.ts, blastRadius: true). */
function snapshot(
  pods: V1Pod[],
  extra: Partial<ClusterSnapshot> = {},
  replicas = pods.length,
): ClusterSnapshot {
  const ready = pods.filter((p) =>
    p.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  return {
    observedAtMs: Date.parse('2026-12-03T14:00:00Z'),
    pods: pods.map((p) => podSnapshot(p, DEPLOY)),
    workloads: [
      workloadSnapshot('apps/v1', 'Deployment', {
        metadata: { name: 'web', namespace: NS, uid: DEPLOY.uid },
        spec: { replicas },
        status: { readyReplicas: ready.length, availableReplicas: ready.length },
      }),
    ],
    events: [],
    pdbs: [pdbSnapshot(pdb(1))],
    services: [
      service('web', { app: 'web' }),
      service('admin', { app: 'admin' }),
      service('external'),
    ].flatMap((s) => serviceSnapshot(s) ?? []),
    endpointSlices: [endpointSliceSnapshot(slice('web', pods))!],
    hpas: [hpaSnapshot(hpa(2, 10))],
    ...extra,
  };
}

const PODS = (): V1Pod[] => [v1Pod('web-1'), v1Pod('web-2'), v1Pod('web-3')];
const evict = normalizedAction('restart', { restartAction: { strategy: 'evict' } });
const onPod = (name: string) => ({ target: podRef(name), firingPod: podRef(name), onOwner: false });

describe('blastRadiusOf', () => {
  it('an eviction of a ready pod: one replica and one endpoint of each selecting Service, with PDB and HPA', () => {
    const blast = blastRadiusOf({ action: evict, ...onPod('web-2') }, snapshot(PODS()));
    expect(blast).toEqual({
      observedAt: '2026-12-03T14:00:00.000Z',
      summary:
        'restart takes 1 ready pod out of service: Deployment web 3 → 2 ready of 3; ' +
        'Service web 3 → 2 ready endpoints of 3; PDB web-pdb allows 1 disruptions; HPA web-hpa 2..10 replicas',
      podsRemoved: 1,
      workload: { kind: 'Deployment', name: 'web', desiredReplicas: 3, readyBefore: 3, readyAfter: 2 },
      pdbs: [{ name: 'web-pdb', disruptionsAllowed: 1 }],
      // admin selects other pods; external has no selector (hand-made endpoints): neither is listed.
      services: [{ name: 'web', endpoints: 3, readyBefore: 3, readyAfter: 2 }],
      hpa: { name: 'web-hpa', minReplicas: 2, maxReplicas: 10, revertsScale: false },
    });
  });

  it('a pod that is not ready takes nothing out: its endpoint is already not ready', () => {
    const pods = [v1Pod('web-1'), v1Pod('web-2', { ready: false }), v1Pod('web-3')];
    const blast = blastRadiusOf({ action: evict, ...onPod('web-2') }, snapshot(pods));
    expect(blast.podsRemoved).toBe(0);
    expect(blast.workload).toMatchObject({ readyBefore: 2, readyAfter: 2 });
    expect(blast.services).toEqual([{ name: 'web', endpoints: 3, readyBefore: 2, readyAfter: 2 }]);
  });

  it('counts a dual-stack pod once (it has an IPv4 and an IPv6 endpoint) and a terminating one as not ready', () => {
    const pods = PODS();
    const slices = [
      endpointSliceSnapshot(slice('web', pods, { terminating: ['web-3'] }))!,
      endpointSliceSnapshot(slice('web', pods, { addressType: 'IPv6', terminating: ['web-3'] }))!,
    ];
    const blast = blastRadiusOf(
      { action: evict, ...onPod('web-1') },
      snapshot(pods, { endpointSlices: slices }),
    );
    expect(blast.services).toEqual([{ name: 'web', endpoints: 3, readyBefore: 2, readyAfter: 1 }]);
  });

  it('a scale-down takes up to from−to ready pods of the workload, and its HPA would undo it', () => {
    const pods = [...PODS(), v1Pod('web-4')];
    const scale = normalizedAction('scale', {
      scaleAction: { direction: 'down', replicas: 2, minReplicas: 1, maxReplicas: 10 },
    });
    const blast = blastRadiusOf(
      { action: scale, target: DEPLOY, firingPod: podRef('web-1'), onOwner: true, scale: { from: 4, to: 2 } },
      snapshot(pods),
    );
    expect(blast.podsRemoved).toBe(2);
    expect(blast.workload).toEqual({
      kind: 'Deployment',
      name: 'web',
      desiredReplicas: 4,
      readyBefore: 4,
      readyAfter: 2,
    });
    expect(blast.services).toEqual([{ name: 'web', endpoints: 4, readyBefore: 4, readyAfter: 2 }]);
    expect(blast.hpa?.revertsScale).toBe(true);
    expect(blast.summary).toContain('HPA web-hpa 2..10 replicas (would undo the scale)');
  });

  it('a rollout restart takes nothing out at once (the Deployment paces it)', () => {
    const rollout = normalizedAction('restart', { restartAction: { strategy: 'rollout' } });
    const blast = blastRadiusOf(
      { action: rollout, target: DEPLOY, firingPod: podRef('web-1'), onOwner: true },
      snapshot(PODS()),
    );
    expect(blast.podsRemoved).toBe(0);
    expect(blast.services).toEqual([{ name: 'web', endpoints: 3, readyBefore: 3, readyAfter: 3 }]);
  });

  it('without Services in the snapshot (a policy tick, or an old history) it lists none', () => {
    const snap = snapshot(PODS());
    delete snap.services;
    const blast = blastRadiusOf({ action: evict, ...onPod('web-1') }, snap);
    expect(blast.services).toBeUndefined();
    expect(checkMaxUnavailable(0, blast, 'restart').ok).toBe(true);
  });
});

describe('checkMaxUnavailable', () => {
  const web = (before: number, after: number) => ({
    services: [{ name: 'web', endpoints: before, readyBefore: before, readyAfter: after }],
  });

  it.each([
    // [maxUnavailable, ready before, after, allowed?]
    [1, 3, 2, true],
    [0, 3, 2, false],
    [0, 3, 3, true],
    ['25%', 4, 3, true],
    ['25%', 4, 2, false],
    // Rounded up as a PDB rounds: 25% of 3 is 0.75 → 1; 10% of 3 → 1.
    ['25%', 3, 2, true],
    ['10%', 3, 2, true],
    ['0%', 3, 2, false],
    ['50%', 4, 2, true],
    [undefined, 3, 0, true],
  ] as const)('maxUnavailable %s with %i ready → %i: allowed %s', (max, before, after, allowed) => {
    expect(checkMaxUnavailable(max, web(before, after), 'restart').ok).toBe(allowed);
  });

  it('names the Service and the figures when it refuses', () => {
    const verdict = checkMaxUnavailable('25%', web(4, 2), 'scale of shop/Deployment/web');
    expect(verdict).toEqual({
      ok: false,
      reason: 'MaxUnavailable',
      message:
        'scale of shop/Deployment/web would take 2 of the 4 ready endpoints of Service web out of service ' +
        '(4 → 2); safetyRules.maxUnavailable 25% allows 1 (25% of 4, rounded up)',
    });
  });

  it('scales percentages as Kubernetes does for a PDB (rounding up)', () => {
    expect([
      scaledIntOrPercent('25%', 4),
      scaledIntOrPercent('25%', 5),
      scaledIntOrPercent('100%', 7),
    ]).toEqual([1, 2, 7]);
    expect(scaledIntOrPercent(2, 100)).toBe(2);
  });
});

describe('checkBlastRadius (the live safety check with maxUnavailable), on a real planned action', () => {
  /** A real planned eviction of the leaking pod a, through normalizePolicy and evaluatePolicy. */
  function plannedWith(safetyRules: Record<string, unknown>): PlannedAction {
    const d = new Driver(policy({ triggers: [memoryTrigger(85)], actions: [restartAction()], safetyRules }));
    const r = d.tick(builtSnapshot(1000, [pod('a', withMemory(0.9)), pod('b'), pod('c')]));
    expect(r.planned).toHaveLength(1);
    return r.planned[0]!;
  }
  /** The safety check's read: the pods, with Service web selecting all three, all ready. */
  function safetyRead(pods = [pod('a'), pod('b'), pod('c')]): ClusterSnapshot {
    const snap = builtSnapshot(2000, pods);
    snap.services = [{ namespace: 'demo', name: 'web', selector: { app: 'web' } }];
    snap.endpointSlices = [
      { namespace: 'demo', name: 'web-x', service: 'web', ready: pods.map((p) => p.ref.uid), notReady: [] },
    ];
    return snap;
  }

  it('refuses above maxUnavailable as a safety refusal, with the figures it judged', () => {
    const { verdict, blastRadius } = checkBlastRadius(plannedWith({ maxUnavailable: 0 }), safetyRead());
    expect(verdict).toMatchObject({ ok: false, reason: 'MaxUnavailable', safety: true });
    expect(blastRadius?.services).toEqual([{ name: 'web', endpoints: 3, readyBefore: 3, readyAfter: 2 }]);
  });

  it('lets an action within it through, still recording the blast radius', () => {
    const { verdict, blastRadius } = checkBlastRadius(plannedWith({ maxUnavailable: '34%' }), safetyRead());
    expect(verdict).toEqual({ ok: true });
    expect(blastRadius?.podsRemoved).toBe(1);
  });

  it('a target that is gone is no safety refusal and has no blast radius', () => {
    const { verdict, blastRadius } = checkBlastRadius(
      plannedWith({ maxUnavailable: 0 }),
      safetyRead([pod('b'), pod('c')]),
    );
    expect(verdict).toMatchObject({ ok: false, reason: 'TargetGone', safety: false });
    expect(blastRadius).toBeUndefined();
  });
});
