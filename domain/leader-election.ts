// Leader election over a coordination.k8s.io Lease, the decisions only (client-go's
// tools/leaderelection, tryAcquireOrRenew). The I/O and the loop live in operator/leader/.
//
//            ┌──────── lease absent ────────▶ create ─ ok ─▶ LEADING
//   FOLLOW ──┼── held by us / holder empty / expired ─▶ update (resourceVersion) ─ ok ─▶ LEADING
//            └── held by another, not expired ──▶ wait a retry period
//   LEADING ── renew ok ──▶ LEADING (deadline moves to now + renewDeadline)
//   LEADING ── no renew succeeded for renewDeadline ──▶ FOLLOW (stop acting at once)
//   LEADING ── graceful stop ──▶ release (holder "", duration 1 s) ──▶ others take over at once
//
// "Expired" is judged on this process's own clock, never the lease's renewTime: client-go keeps
// the moment it first saw the current record (observedAtMs) and waits leaseDuration from then, so
// clocks that disagree between machines do not matter, only that they run at the same rate. A
// leader stops at lastRenew + renewDeadline, before any follower's leaseDuration from a later
// observation can run out: that ordering (renewDeadline < leaseDuration) is what keeps two
// replicas from acting at once.

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** RFC 3339 (MicroTime on the wire). */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** A Lease as read from the API server; undefined when it does not exist. */
export interface LeaseView {
  record: LeaseRecord;
  resourceVersion: string;
}

export interface ElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's defaults (and controller-runtime's): 15 s, 10 s, 2 s. */
export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** client-go's JitterFactor: retries are spread over [retryPeriod, 1.2 × retryPeriod]. */
export const JITTER_FACTOR = 1.2;

/** What this process last saw of the Lease, and when (its own clock). */
export interface Observed {
  /** The record as a string: a change in any field restarts the expiry clock. */
  raw: string;
  record: LeaseRecord;
  atMs: number;
}

export type Decision =
  | { kind: 'create'; record: LeaseRecord }
  | { kind: 'update'; record: LeaseRecord; resourceVersion: string; acquiring: boolean }
  | { kind: 'wait'; holder: string; expiresInMs: number };

/** Why the timings cannot keep one leader (client-go's NewLeaderElector checks), or undefined. */
export function timingsProblem(t: ElectionTimings): string | undefined {
  if (!(t.retryPeriodMs > 0)) return 'the retry period must be greater than zero';
  if (!(t.leaseDurationMs > t.renewDeadlineMs))
    return 'the lease duration must be greater than the renew deadline';
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs))
    return `the renew deadline must be greater than ${JITTER_FACTOR} × the retry period`;
  if (t.leaseDurationMs % 1000 !== 0) return 'the lease duration must be whole seconds';
  return undefined;
}

/** The observation after a read: the clock restarts only when the record changed. */
export function observe(prev: Observed | undefined, lease: LeaseView | undefined, nowMs: number): Observed {
  const record = lease?.record ?? {};
  const raw = JSON.stringify(canonical(record));
  return prev && prev.raw === raw ? prev : { raw, record, atMs: nowMs };
}

function canonical(r: LeaseRecord): LeaseRecord {
  return {
    holderIdentity: r.holderIdentity ?? '',
    leaseDurationSeconds: r.leaseDurationSeconds ?? 0,
    acquireTime: r.acquireTime ?? '',
    renewTime: r.renewTime ?? '',
    leaseTransitions: r.leaseTransitions ?? 0,
  };
}

export interface DecideInput {
  identity: string;
  lease: LeaseView | undefined;
  observed: Observed;
  nowMs: number;
  timings: ElectionTimings;
}

/** tryAcquireOrRenew's decision: create, write our record over the current one, or wait. */
export function decide({ identity, lease, observed, nowMs, timings }: DecideInput): Decision {
  const nowIso = new Date(nowMs).toISOString();
  const mine: LeaseRecord = {
    holderIdentity: identity,
    leaseDurationSeconds: Math.round(timings.leaseDurationMs / 1000),
    acquireTime: nowIso,
    renewTime: nowIso,
    leaseTransitions: 0,
  };
  if (!lease) return { kind: 'create', record: mine };
  const old = lease.record;
  const holder = old.holderIdentity ?? '';
  const ours = holder === identity;
  if (holder && !ours) {
    const expiresAt = observed.atMs + (old.leaseDurationSeconds ?? 0) * 1000;
    if (expiresAt > nowMs) return { kind: 'wait', holder, expiresInMs: expiresAt - nowMs };
  }
  const record: LeaseRecord = ours
    ? { ...mine, acquireTime: old.acquireTime ?? nowIso, leaseTransitions: old.leaseTransitions ?? 0 }
    : { ...mine, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
  return { kind: 'update', record, resourceVersion: lease.resourceVersion, acquiring: !ours };
}

/**
 * The record a leader writes on a graceful stop: no holder, and a one-second duration, so a
 * follower that still sees the old holder waits at most a second (client-go's ReleaseOnCancel).
 */
export function releaseRecord(current: LeaseRecord, nowMs: number): LeaseRecord {
  const nowIso = new Date(nowMs).toISOString();
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: nowIso,
    renewTime: nowIso,
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}

/** The moment a leader must stop acting unless a renew succeeds first (its own clock). */
export function leadershipDeadline(lastRenewStartMs: number, timings: ElectionTimings): number {
  return lastRenewStartMs + timings.renewDeadlineMs;
}

/** The pause before the next attempt: a leader renews every retry period, a follower jitters. */
export function nextAttemptDelay(leading: boolean, timings: ElectionTimings, random: number): number {
  if (leading) return timings.retryPeriodMs;
  return timings.retryPeriodMs * (1 + (JITTER_FACTOR - 1) * random);
}
