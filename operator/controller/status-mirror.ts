// Mirrors each policy workflow's `status` query into its HealingPolicy's status, at a cost bounded in
// the number of policies (issue 12: one describe and one query per policy every 5 s, one after
// another, stopped keeping up at 300 policies, and idle policies were patched on every evaluation).
//
//   every pass (statusIntervalMs): the policies that are due ──(≤ concurrency at once)──▶ query
//       view unchanged ─▶ next query later (doubling up to maxIntervalMs)
//       view changed ───▶ patch; next query after statusIntervalMs again
//       workflow closed (the query is rejected: NOT_OPEN) ─▶ start it again, the CR is the truth
//   patch only when something but lastEvaluated changed, or lastEvaluated moved by ≥ its resolution
//
// Staleness of what `kubectl get healingpolicies` shows: conditions, mode, active triggers and
// counters at most maxIntervalMs (+ one pass) behind the workflow, statusIntervalMs while the policy
// is busy; lastEvaluated at most lastEvaluatedResolutionMs + maxIntervalMs behind. A CR event (an
// edit) mirrors at once.
import { QueryRejectedError, WorkflowClient, type Client } from '@temporalio/client';
import type { HealingPolicyStatus } from '../../crds/healing-policy.js';
import { parseDuration } from '../../domain/duration.js';
import { DEFAULTS } from '../config.js';
import { policyStatusQuery, type PolicyStatusView } from '../../workflows/messages.js';

export interface MirrorTimings {
  /** How often a pass runs, and the query interval of a policy whose status just changed. */
  statusIntervalMs: number;
  /** The longest a policy with an unchanged status waits between queries. */
  maxIntervalMs: number;
  /** lastEvaluated alone is written when it moved at least this much. */
  lastEvaluatedResolutionMs: number;
  /** Queries in flight at once. */
  concurrency: number;
}

export const DEFAULT_MIRROR_TIMINGS: MirrorTimings = {
  statusIntervalMs: 5_000,
  maxIntervalMs: 20_000,
  lastEvaluatedResolutionMs: parseDuration(DEFAULTS.statusHeartbeat),
  concurrency: 8,
};

/** What the mirror needs to know of a policy (the controller's Tracked has more). */
export interface MirrorSubject {
  namespace: string;
  name: string;
  status?: HealingPolicyStatus;
  /** When to query next (epoch ms); absent = now. */
  nextQueryMs?: number;
  /** The current query interval (doubles while nothing changes). */
  intervalMs?: number;
}

/** The answer of one query: the view, or the workflow is closed, or there is none. */
export type QueryOutcome =
  | { kind: 'view'; view: PolicyStatusView }
  | { kind: 'closed'; status: string }
  | { kind: 'error'; message: string };

const withoutLastEvaluated = (s: HealingPolicyStatus | undefined): string => {
  if (!s) return '';
  const { lastEvaluated: _ignored, ...rest } = s;
  return JSON.stringify(rest);
};

/**
 * Whether `next` is worth a PATCH over `previous`: anything but lastEvaluated changed, or
 * lastEvaluated moved by at least `resolutionMs` (or appeared). Pure.
 */
export function worthPatching(
  previous: HealingPolicyStatus | undefined,
  next: HealingPolicyStatus,
  resolutionMs: number,
): boolean {
  if (withoutLastEvaluated(previous) !== withoutLastEvaluated(next)) return true;
  if (next.lastEvaluated === previous?.lastEvaluated) return false;
  if (!next.lastEvaluated || !previous?.lastEvaluated) return true;
  return Math.abs(Date.parse(next.lastEvaluated) - Date.parse(previous.lastEvaluated)) >= resolutionMs;
}

/** The next query interval: back to the base after a change, doubling (to the cap) while quiet. */
export function nextInterval(current: number | undefined, changed: boolean, t: MirrorTimings): number {
  if (changed || current === undefined) return t.statusIntervalMs;
  return Math.min(t.maxIntervalMs, current * 2);
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** Counts for the measurement of issue 12 (queries and patches per minute). */
export interface MirrorStats {
  queries: number;
  patches: number;
  skippedPatches: number;
  passes: number;
}

/**
 * One RPC per policy: the `status` query with reject condition NOT_OPEN, so a terminated or
 * cancelled run answers "closed" instead of being replayed for its last state (which is what the
 * describe before each query used to find out).
 */
export function statusQuerier(client: Client): (workflowId: string) => Promise<QueryOutcome> {
  // Same connection and data converter; only the query reject condition differs. Made at the first
  // query, so a controller that never mirrors needs no connected client.
  let queries: WorkflowClient | undefined;
  return async (workflowId) => {
    queries ??= new WorkflowClient({
      connection: client.connection,
      namespace: client.options.namespace,
      dataConverter: client.options.dataConverter,
      queryRejectCondition: 'NOT_OPEN',
    });
    try {
      return { kind: 'view', view: await queries.getHandle(workflowId).query(policyStatusQuery) };
    } catch (err) {
      if (err instanceof QueryRejectedError) return { kind: 'closed', status: String(err.status) };
      return { kind: 'error', message: (err as Error).message };
    }
  };
}

/** The controller's side of the mirror: how to query, restart, build and write a status. */
export interface MirrorPorts<T extends MirrorSubject> {
  query(subject: T): Promise<QueryOutcome>;
  /** The workflow is closed while its CR exists: start it again. */
  restart(subject: T, closedStatus: string): Promise<void>;
  statusFrom(subject: T, outcome: QueryOutcome, nowIso: string): HealingPolicyStatus;
  patch(subject: T, status: HealingPolicyStatus): Promise<void>;
  now(): number;
}

export class StatusMirror<T extends MirrorSubject> {
  readonly stats: MirrorStats = { queries: 0, patches: 0, skippedPatches: 0, passes: 0 };

  constructor(
    private readonly ports: MirrorPorts<T>,
    readonly timings: MirrorTimings = DEFAULT_MIRROR_TIMINGS,
  ) {}

  /** One pass: the subjects that are due, a bounded number at a time. */
  async pass(subjects: Iterable<T>, stopped: () => boolean = () => false): Promise<void> {
    this.stats.passes++;
    const now = this.ports.now();
    const due = [...subjects].filter((s) => (s.nextQueryMs ?? 0) <= now);
    await forEachLimited(due, this.timings.concurrency, async (s) => {
      if (!stopped()) await this.mirror(s).catch(() => undefined);
    });
  }

  /** Queries one policy and writes its status when that is worth a PATCH. */
  async mirror(subject: T): Promise<void> {
    let outcome = await this.query(subject);
    if (outcome.kind === 'closed') {
      // When the restart fails, the query says closed again and the status says not running.
      await this.ports.restart(subject, outcome.status).catch(() => undefined);
      outcome = await this.query(subject);
    }
    const status = this.ports.statusFrom(subject, outcome, new Date(this.ports.now()).toISOString());
    const changed = withoutLastEvaluated(subject.status) !== withoutLastEvaluated(status);
    subject.intervalMs = nextInterval(subject.intervalMs, changed, this.timings);
    subject.nextQueryMs = this.ports.now() + subject.intervalMs;
    if (!worthPatching(subject.status, status, this.timings.lastEvaluatedResolutionMs)) {
      this.stats.skippedPatches++;
      return;
    }
    await this.ports.patch(subject, status);
    this.stats.patches++;
  }

  private query(subject: T): Promise<QueryOutcome> {
    this.stats.queries++;
    return this.ports.query(subject);
  }
}
