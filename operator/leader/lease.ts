// The Lease I/O of leader election: read, create and replace one coordination.k8s.io/v1 Lease
// through client-node's CoordinationV1Api, as client-go's resourcelock.LeaseLock does. Replace
// carries the resourceVersion that was read, so the API server refuses (409) a write based on a
// Lease someone else changed since: whoever gets the 409 lost the race and reads again.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseRecord, LeaseView } from '../../domain/leader-election.js';

export interface LeaseStore {
  /** The Lease, or undefined when it does not exist (404). */
  get(): Promise<LeaseView | undefined>;
  /** Creates it; false when another candidate created it first (409 AlreadyExists). */
  create(record: LeaseRecord): Promise<boolean>;
  /** Replaces it if still at `resourceVersion`; false on a 409 Conflict. */
  update(record: LeaseRecord, resourceVersion: string): Promise<boolean>;
  /** Where it lives, for logs. */
  readonly describe: string;
}

const code = (err: unknown): number | undefined => {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
};

/** MicroTime: the API server parses exactly six fractional digits (RFC3339Micro). */
const micro = (iso: string | undefined): V1MicroTime | undefined => (iso ? new V1MicroTime(iso) : undefined);

/** client-node hands MicroTime back as the wire string, or a Date when it parsed one. */
const text = (t: unknown): string | undefined =>
  t instanceof Date ? t.toISOString() : typeof t === 'string' && t ? t : undefined;

function toRecord(lease: V1Lease): LeaseRecord {
  const s = lease.spec ?? {};
  const r: LeaseRecord = {};
  if (s.holderIdentity !== undefined) r.holderIdentity = s.holderIdentity;
  if (s.leaseDurationSeconds !== undefined) r.leaseDurationSeconds = s.leaseDurationSeconds;
  const acquire = text(s.acquireTime);
  const renew = text(s.renewTime);
  if (acquire) r.acquireTime = acquire;
  if (renew) r.renewTime = renew;
  if (s.leaseTransitions !== undefined) r.leaseTransitions = s.leaseTransitions;
  return r;
}

function toLease(name: string, namespace: string, record: LeaseRecord, resourceVersion?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity ?? '',
      ...(record.leaseDurationSeconds !== undefined
        ? { leaseDurationSeconds: record.leaseDurationSeconds }
        : {}),
      ...(record.acquireTime ? { acquireTime: micro(record.acquireTime)! } : {}),
      ...(record.renewTime ? { renewTime: micro(record.renewTime)! } : {}),
      leaseTransitions: record.leaseTransitions ?? 0,
    },
  };
}

/** Every call gives up after `timeoutMs`, so a hung request cannot stall the election loop. */
function bounded<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function leaseStore(
  kc: KubeConfig,
  opts: { namespace: string; name: string; timeoutMs: number },
): LeaseStore {
  const api = kc.makeApiClient(CoordinationV1Api);
  const { namespace, name, timeoutMs } = opts;
  return {
    describe: `${namespace}/${name}`,
    get: async () => {
      try {
        const lease = await bounded(api.readNamespacedLease({ name, namespace }), timeoutMs, 'get lease');
        return { record: toRecord(lease), resourceVersion: lease.metadata?.resourceVersion ?? '' };
      } catch (err) {
        if (code(err) === 404) return undefined;
        throw err;
      }
    },
    create: async (record) => {
      try {
        const body = toLease(name, namespace, record);
        await bounded(api.createNamespacedLease({ namespace, body }), timeoutMs, 'create lease');
        return true;
      } catch (err) {
        if (code(err) === 409) return false;
        throw err;
      }
    },
    update: async (record, resourceVersion) => {
      try {
        const body = toLease(name, namespace, record, resourceVersion);
        await bounded(api.replaceNamespacedLease({ name, namespace, body }), timeoutMs, 'update lease');
        return true;
      } catch (err) {
        if (code(err) === 409) return false;
        throw err;
      }
    },
  };
}
