// coordination.k8s.io/v1 Leases through the operator's own Lease I/O (operator/leader/lease.ts)
// and elector: one suite, run against the sim (test/integration/sim-api-leases.test.ts) and the
// real control plane (test/real/api-conformance-leases.test.ts), so the sim's Leases answer as
// kube-apiserver's do: 404 when absent, 409 on a second create and on a stale resourceVersion,
// 422 for a non-positive duration, MicroTime kept to the microsecond.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, observe, releaseRecord, type ElectionTimings } from '../../../domain/leader-election.js';
import { LeaderElector } from '../../../operator/leader/elector.js';
import { leaseStore } from '../../../operator/leader/lease.js';
import { createLogger } from '../../../operator/logger.js';
import type { ApiTarget } from '../api-target.js';
import { waitFor } from '../sim-fixtures.js';
import { failure } from './client-node.js';

const FAST: ElectionTimings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

export function leasesSuite(start: () => Promise<ApiTarget>): void {
  let t: ApiTarget;
  beforeAll(async () => void (t = await start()));
  afterAll(async () => t?.stop());
  const store = (name: string): ReturnType<typeof leaseStore> =>
    leaseStore(t.kc, { namespace: t.namespace, name, timeoutMs: 10_000 });

  describe(`Leases (${'coordination.k8s.io/v1'})`, () => {
    it('404 when absent, 409 on a second create and on a stale resourceVersion', async () => {
      const s = store('conf-lease-a');
      expect(await s.get()).toBeUndefined();
      const observed = observe(undefined, undefined, Date.now());
      const first = decide({ identity: 'a', lease: undefined, observed, nowMs: Date.now(), timings: FAST });
      if (first.kind !== 'create') throw new Error('expected create');
      expect(await s.create(first.record)).toBe(true);
      expect(await s.create({ ...first.record, holderIdentity: 'b' })).toBe(false);
      const read = (await s.get())!;
      expect(read.record).toMatchObject({
        holderIdentity: 'a',
        leaseDurationSeconds: 3,
        leaseTransitions: 0,
      });
      // MicroTime round trip: the server keeps six fractional digits; our milliseconds come back.
      expect(new Date(read.record.renewTime!).getTime()).toBe(new Date(first.record.renewTime!).getTime());
      // A renew changes renewTime (an update that changes nothing would keep the resourceVersion).
      const renewTime = new Date(Date.now() + 1000).toISOString();
      expect(await s.update({ ...read.record, renewTime }, read.resourceVersion)).toBe(true);
      expect(await s.update({ ...read.record, holderIdentity: 'b' }, read.resourceVersion)).toBe(false);
      const after = (await s.get())!;
      expect(after.record.holderIdentity).toBe('a');
      expect(after.resourceVersion).not.toBe(read.resourceVersion);
      expect(await s.update(releaseRecord(after.record, Date.now()), after.resourceVersion)).toBe(true);
      expect((await s.get())!.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    });

    it('422 for a lease duration that is not positive, naming the field', async () => {
      const api = t.kc.makeApiClient(k8s.CoordinationV1Api);
      const body: k8s.V1Lease = {
        metadata: { name: 'conf-lease-bad' },
        spec: { holderIdentity: 'x', leaseDurationSeconds: 0 },
      };
      const f = await failure(api.createNamespacedLease({ namespace: t.namespace, body }));
      expect(f.code).toBe(422);
      expect(f.reason).toBe('Invalid');
      expect(f.details?.causes?.map((c) => c.field)).toContain('spec.leaseDurationSeconds');
    });

    it('two electors: one leads, and the other takes over at once when it releases', async () => {
      const logger = createLogger('silent');
      const events: string[] = [];
      const elector = (id: string): LeaderElector =>
        new LeaderElector({
          store: store('conf-lease-election'),
          identity: id,
          timings: FAST,
          logger,
          onStartedLeading: async () => void events.push(`${id} leads`),
          onStoppedLeading: async () => void events.push(`${id} stops`),
        });
      const [a, b] = [elector('a'), elector('b')];
      a.start();
      await waitFor(() => a.leading, 'a to lead');
      b.start();
      await new Promise((r) => setTimeout(r, 2 * FAST.retryPeriodMs));
      expect(b.leading).toBe(false);
      expect(b.holder).toBe('a');
      const released = Date.now();
      await a.stop();
      await waitFor(() => b.leading, 'b to take over');
      // Released: b need not wait out the 3 s lease, only its next attempt (≤ 1.2 retry periods).
      expect(Date.now() - released).toBeLessThan(FAST.leaseDurationMs);
      await b.stop();
      expect(events).toEqual(['a leads', 'a stops', 'b leads', 'b stops']);
      expect((await store('conf-lease-election').get())!.record).toMatchObject({
        holderIdentity: '',
        leaseTransitions: 1,
      });
    });
  });
}
