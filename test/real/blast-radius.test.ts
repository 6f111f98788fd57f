// The blast radius on the real control plane: kube-controller-manager's EndpointSlice controller
// writes the slices of a real Service over kwok's pods, and the operator, as its own ServiceAccount
// (list/watch on services and endpointslices, nothing more), records what an action would take out
// of service — the Service's ready endpoints before and after, the PDB, the HPA's bounds — and
// refuses one above safetyRules.maxUnavailable. What the sim's EndpointSlice controller imitates
// (labels, owner, endpoint conditions, targetRef, ports) is checked against the real one here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import type { KObject } from '../../sim/contract.js';
import { eventually } from '../support/engine-harness.js';
import { healingPolicy } from '../support/engine-scenarios.js';
import { deployment, pdb, service } from '../support/sim-fixtures.js';
import { forbiddenLines, startRealEngine, type RealEngine } from './support.js';

let engine: RealEngine;
beforeAll(async () => {
  engine = await startRealEngine();
});
afterAll(() => engine?.stop());

/** An HPA whose minimum is the Deployment's size, so the real HPA controller never scales it down. */
const hpa = (app: string): KObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: `${app}-hpa` },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
    minReplicas: 3,
    maxReplicas: 5,
  },
});

/** Ready endpoints of the Service's slices, once the real controller lists all 3 pods ready. */
async function threeReadyEndpoints(svc: string): Promise<KObject[]> {
  return eventually(
    `3 ready endpoints of Service ${svc}`,
    async () => {
      const list = await engine.kube.discovery.listNamespacedEndpointSlice({
        namespace: engine.namespace,
        labelSelector: `kubernetes.io/service-name=${svc}`,
      });
      const ready = list.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      return ready.length === 3 ? (list.items as unknown as KObject[]) : undefined;
    },
    90_000,
    1000,
  );
}

function deletePolicy(app: string, extra: Record<string, unknown>): KObject {
  return healingPolicy(engine.namespace, app, app, {
    triggers: [
      {
        name: 'ready',
        type: 'condition',
        conditionTrigger: { type: 'Ready', status: 'True' },
        cooldownPeriod: '1h',
      },
    ],
    actions: [{ name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete' } }],
    verification: { enabled: false },
    ...extra,
  });
}

const actionOf = (app: string, done: (a: HealingAction) => boolean): Promise<HealingAction> =>
  eventually(
    `an action of ${app}`,
    async () => (await engine.actions()).find((a) => a.spec.policyRef.name === app && done(a)),
    90_000,
    1000,
  );

describe('blast radius on the real cluster', () => {
  it(
    "counts a real Service's EndpointSlice endpoints, the PDB and the HPA, and refuses above maxUnavailable",
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      await engine.apply([
        ...['rbr-ask', 'rbr-no'].flatMap((app) => [
          deployment(app, { replicas: 3 }),
          service(app, { app }),
          pdb(`${app}-pdb`, { app }, { maxUnavailable: 1 }),
        ]),
        hpa('rbr-ask'),
      ]);
      const [slices] = await Promise.all([threeReadyEndpoints('rbr-ask'), threeReadyEndpoints('rbr-no')]);

      // What the sim's controller writes is what the real one writes.
      const svc = await engine.kube.core.readNamespacedService({
        name: 'rbr-ask',
        namespace: engine.namespace,
      });
      const slice = slices![0]!;
      expect(slice.metadata.labels).toMatchObject({
        'kubernetes.io/service-name': 'rbr-ask',
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      });
      expect(slice.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Service', uid: svc.metadata?.uid, controller: true }),
      ]);
      expect(slice['addressType']).toBe('IPv4');
      expect(slice['ports']).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
      for (const e of slice['endpoints'] as Record<string, unknown>[]) {
        expect(e).toMatchObject({
          addresses: [expect.any(String)],
          conditions: { ready: true, serving: true, terminating: false },
          targetRef: { kind: 'Pod', namespace: engine.namespace, name: expect.stringMatching(/^rbr-ask-/) },
        });
      }

      await engine.apply([
        deletePolicy('rbr-ask', { mode: 'manual' }),
        deletePolicy('rbr-no', { safetyRules: { maxUnavailable: 0 } }),
      ]);
      const waiting = await actionOf('rbr-ask', (a) => a.status?.phase === 'AwaitingApproval');
      expect(waiting.status?.blastRadius).toMatchObject({
        podsRemoved: 1,
        workload: { kind: 'Deployment', name: 'rbr-ask', desiredReplicas: 3, readyBefore: 3, readyAfter: 2 },
        pdbs: [{ name: 'rbr-ask-pdb', disruptionsAllowed: 1 }],
        services: [{ name: 'rbr-ask', endpoints: 3, readyBefore: 3, readyAfter: 2 }],
        hpa: { name: 'rbr-ask-hpa', minReplicas: 3, maxReplicas: 5, revertsScale: false },
      });
      expect(waiting.status?.message).toContain('blast radius: restart takes 1 ready pod out of service');

      const refused = await actionOf('rbr-no', (a) => a.status?.phase === 'Skipped');
      expect(refused.status?.reason).toBe('MaxUnavailable');
      expect(refused.status?.message).toContain(
        'would take 1 of the 3 ready endpoints of Service rbr-no out of service (3 → 2); safetyRules.maxUnavailable 0 allows 0',
      );
      // The operator read Services and EndpointSlices as itself: nothing it asked was forbidden.
      expect(forbiddenLines(engine.logs)).toEqual([]);
      console.log(
        `real blast radius: ${waiting.status?.blastRadius?.summary}; refused ${refused.status?.reason}, ` +
          `in ${Math.round((Date.now() - started) / 1000)}s`,
      );
    },
  );
});
