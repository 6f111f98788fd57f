// No message words a negative count (issue 16: "restart would leave -1, below minReadyReplicas 0").
// Every domain function whose message computes a count by subtraction — the minimum-ready rule,
// the blast radius and maxUnavailable, the change gate's rollout wording, the scale bounds — is fed
// arbitrary figures, including the inconsistent ones a live cluster gives (a workload's status
// lagging its pods, endpoints that are not the workload's, more in flight than ready), and no
// message may hold a number with a minus sign. Object names are drawn so they cannot hold one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blastRadiusOf, checkMaxUnavailable } from '../../domain/blast-radius.js';
import { rolloutInProgress } from '../../domain/change-gate.js';
import { checkMinReady } from '../../domain/safety.js';
import { desiredReplicas } from '../../domain/scale.js';
import type { ClusterSnapshot, PodSnapshot } from '../../domain/snapshot.js';
import {
  normalizedAction,
  notReady,
  pod,
  ref,
  replicas,
  snapshot,
  workload,
} from '../fixtures/domain-builders.js';

const RUNS = 500;
// A minus sign before a digit that does not join two words or figures ("web-1", "2026-12-03").
const NEGATIVE = /(^|[^\w.-])-\d/;
const noNegative = (message: string | undefined): void => {
  expect(message ?? '', message).not.toMatch(NEGATIVE);
};

const count = fc.integer({ min: 0, max: 6 });
const minReady = fc.oneof(count, fc.constantFrom('0%', '34%', '50%', '100%'));
const ACTIONS = {
  evict: normalizedAction('restart', { restartAction: { strategy: 'evict' } }),
  delete: normalizedAction('delete'),
  scaleDown: normalizedAction('scale', {
    scaleAction: { direction: 'down', replicas: 2, minReplicas: 0, maxReplicas: 10 },
  }),
};
const action = fc.constantFrom(...(Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]));

/** `n` pods of Deployment web, the first `ready` of them ready. */
const pods = (n: number, ready: number): PodSnapshot[] =>
  Array.from({ length: n }, (_, i) => (i < ready ? pod(`web${i}`) : pod(`web${i}`, notReady)));

/** A snapshot whose Deployment status says `status` ready of `desired`, whatever its pods say. */
const lagging = (podList: PodSnapshot[], desired: number, status: number): ClusterSnapshot =>
  snapshot(0, podList, { workloads: [workload('web', replicas(desired, status))] });

describe('no message words a negative count', () => {
  it('the minimum-ready refusal, with status lag and restarts in flight', () => {
    fc.assert(
      fc.property(
        count,
        count,
        count,
        count,
        minReady,
        action,
        fc.boolean(),
        (n, r, desired, status, min, a, inFlightMany) => {
          const podList = pods(Math.max(n, 1), Math.min(r, Math.max(n, 1)));
          const verdict = checkMinReady(
            { minReadyReplicas: min },
            {
              action: ACTIONS[a],
              pod: podList[0]!,
              snapshot: lagging(podList, desired, status),
              ...(a === 'scaleDown' ? { scale: { from: desired, to: Math.max(0, desired - 2) } } : {}),
              inFlight: inFlightMany ? n + 2 : Math.min(1, n),
            },
          );
          if (!verdict.ok) noNegative(verdict.message);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the blast radius summary and the maxUnavailable refusal, on a live read unlike the planned one', () => {
    fc.assert(
      fc.property(
        count,
        count,
        count,
        count,
        fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 8 }),
        fc.oneof(count, fc.constantFrom('0%', '25%', '100%')),
        action,
        (n, r, desired, status, endpointPods, maxUnavailable, a) => {
          const podList = pods(Math.max(n, 1), Math.min(r, Math.max(n, 1)));
          // Endpoints for pods that may or may not exist (slices trail pods), some of them not ready.
          const ready = endpointPods.filter((i) => i % 3 !== 2).map((i) => `uid-pod-demo-web${i}`);
          const notReadyKeys = endpointPods.filter((i) => i % 3 === 2).map((i) => `uid-pod-demo-web${i}`);
          const snap: ClusterSnapshot = {
            ...lagging(podList, desired, status),
            services: [{ namespace: 'demo', name: 'web', selector: { app: 'web' } }],
            endpointSlices: [
              { namespace: 'demo', name: 'web-x', service: 'web', ready, notReady: notReadyKeys },
            ],
            pdbs: [
              {
                namespace: 'demo',
                name: 'web-pdb',
                selector: { matchLabels: { app: 'web' } },
                disruptionsAllowed: 0,
              },
            ],
            hpas: [
              {
                namespace: 'demo',
                name: 'web-hpa',
                target: 'Deployment/web',
                minReplicas: 1,
                maxReplicas: 5,
              },
            ],
          };
          const onOwner = a === 'scaleDown';
          const blast = blastRadiusOf(
            {
              action: ACTIONS[a],
              target: onOwner ? ref('Deployment', 'web') : podList[0]!.ref,
              firingPod: podList[0]!.ref,
              onOwner,
              ...(onOwner ? { scale: { from: desired, to: Math.max(0, desired - 2) } } : {}),
            },
            snap,
          );
          noNegative(blast.summary);
          const verdict = checkMaxUnavailable(maxUnavailable, blast, a);
          if (!verdict.ok) noNegative(verdict.message);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("the change gate's rollout wording, for any status the controllers write", () => {
    fc.assert(
      fc.property(
        count,
        count,
        count,
        count,
        count,
        count,
        (gen, observed, desired, reps, updated, available) => {
          noNegative(
            rolloutInProgress({
              ref: ref('Deployment', 'web'),
              generation: gen,
              observedGeneration: observed,
              desired,
              replicas: reps,
              updated,
              available,
              progressing: { status: 'True', reason: 'ReplicaSetUpdated' },
              revision: 2,
            }),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the scale bounds, for any current count and bounds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'up' | 'down' | 'absolute'>('up', 'down', 'absolute'),
        count,
        count,
        count,
        count,
        (direction, by, min, max, current) => {
          const verdict = desiredReplicas({
            direction,
            replicas: by,
            minReplicas: Math.min(min, max),
            maxReplicas: Math.max(min, max),
            current,
          });
          if (!verdict.ok) noNegative(verdict.message);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the check itself catches the wording the issue reported', () => {
    expect('restart would leave -1, below minReadyReplicas 0').toMatch(NEGATIVE);
    expect('pod web-1 on 2026-12-03: 3 → 2 ready').not.toMatch(NEGATIVE);
  });
});
