// Event-driven detection, the I/O part: the worker learns which policies it runs from the
// collectSnapshot requests it serves (workflow id → request, forgotten after a few missed
// intervals), listens to the watch cache, and signals `evaluateNow` to every policy a change can
// make fire — at most once per policy per second (domain/wake.ts decides; this file only does it).
// The periodic tick stays the safety net: a lost signal costs one interval, never the detection.
import type { Client } from '@temporalio/client';
import type { CachedPod } from '../activities/cache/kinds.js';
import type { CacheChange, WatchCache } from '../activities/cache/watch-cache.js';
import type { SnapshotRequest } from '../domain/targets.js';
import { eventWakes, planWake, podChangeWakes, type WakeSchedule } from '../domain/wake.js';
import { evaluateNowSignal } from '../workflows/messages.js';
import type { Logger } from './logger.js';

export interface WakerOptions {
  cache: Pick<WatchCache, 'onChange' | 'kind'>;
  /** Sends evaluateNow to a policy workflow. */
  signal: (workflowId: string) => Promise<void>;
  logger?: Pick<Logger, 'debug' | 'warn'>;
  nowMs?: () => number;
  /** At most one wake per policy per this many ms. Default 1000. */
  minGapMs?: number;
  /** Forget a policy that has not asked for a snapshot in this many of its intervals (+30 s). Default 3. */
  missedIntervals?: number;
}

interface Registered {
  req: SnapshotRequest;
  lastSeenMs: number;
}

export class Waker {
  /** Wake-ups sent, by workflow id (tests and metrics). */
  readonly sent = new Map<string, number>();
  private readonly policies = new Map<string, Registered>();
  private readonly schedules = new Map<string, WakeSchedule>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private readonly nowMs: () => number;

  constructor(private readonly opts: WakerOptions) {
    this.nowMs = opts.nowMs ?? Date.now;
    this.unsubscribe = opts.cache.onChange((change) => this.onChange(change));
  }

  /** Called by the collectSnapshot activity for every policy request it serves. */
  register(workflowId: string, req: SnapshotRequest): void {
    if (req.wakeOn) this.policies.set(workflowId, { req, lastSeenMs: this.nowMs() });
    else this.policies.delete(workflowId);
  }

  registered(): string[] {
    return [...this.policies.keys()];
  }

  stop(): void {
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private onChange(change: CacheChange): void {
    const now = this.nowMs();
    const missed = this.opts.missedIntervals ?? 3;
    for (const [id, p] of this.policies) {
      if (now - p.lastSeenMs > missed * (p.req.wakeOn?.intervalMs ?? 30_000) + 30_000) {
        this.policies.delete(id);
        this.schedules.delete(id);
      } else if (this.wakes(change, p.req)) this.wake(id);
    }
  }

  private wakes(change: CacheChange, req: SnapshotRequest): boolean {
    if (change.kind === 'pods') return podChangeWakes(req, change.before?.pod, change.after?.pod);
    const io = change.after?.involvedObject;
    const pod = io
      ? this.opts.cache.kind('pods').get(io.namespace, (p: CachedPod) => p.pod.ref.name === io.name)
      : undefined;
    return eventWakes(req, change.before, change.after, pod?.pod.labels);
  }

  private wake(id: string): void {
    const now = this.nowMs();
    const s = this.schedules.get(id) ?? {};
    const plan = planWake(s, now, this.opts.minGapMs ?? 1000);
    if (plan.kind === 'already') return;
    if (plan.kind === 'now') {
      this.schedules.set(id, { lastMs: now });
      this.send(id);
      return;
    }
    this.schedules.set(id, { ...s, pendingAtMs: plan.atMs });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.schedules.set(id, { lastMs: this.nowMs() });
      this.send(id);
    }, plan.atMs - now);
    timer.unref();
    this.timers.add(timer);
  }

  private send(id: string): void {
    this.sent.set(id, (this.sent.get(id) ?? 0) + 1);
    this.opts.signal(id).then(
      () => this.opts.logger?.debug({ workflowId: id }, 'evaluateNow sent'),
      (err: unknown) => {
        // A closed or deleted policy workflow: forget it until it asks for a snapshot again.
        this.policies.delete(id);
        this.opts.logger?.warn({ workflowId: id, error: String(err) }, 'evaluateNow not delivered');
      },
    );
  }
}

/** evaluateNow through a Temporal client, by the message definition (never a string name). */
export function signalEvaluateNow(client: Client): (workflowId: string) => Promise<void> {
  return (workflowId) => client.workflow.getHandle(workflowId).signal(evaluateNowSignal);
}
