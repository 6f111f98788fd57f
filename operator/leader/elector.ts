// The leader-election loop (client-go's LeaderElector.Run, without its exit on lost leadership):
// every retry period read the Lease, let domain/leader-election.ts decide, write. A leader that
// has not renewed for renewDeadline stops leading on a timer of its own, whatever its requests
// are doing, and becomes a candidate again; on a graceful stop it hands the Lease back.
import {
  decide,
  leadershipDeadline,
  nextAttemptDelay,
  observe,
  releaseRecord,
  type ElectionTimings,
  type Observed,
} from '../../domain/leader-election.js';
import type { Logger } from '../logger.js';
import type { LeaseStore } from './lease.js';

export interface ElectorOptions {
  store: LeaseStore;
  identity: string;
  timings: ElectionTimings;
  logger: Logger;
  /** Start acting (the controller). Transitions run one at a time, in order. */
  onStartedLeading(): Promise<void>;
  /** Stop acting, and wait until nothing acts any more. */
  onStoppedLeading(): Promise<void>;
  /** The holder changed (ours or another's): metrics and logs. */
  onHolder?(holder: string | undefined, leading: boolean): void;
  now?: () => number;
  random?: () => number;
}

export class LeaderElector {
  private leadingNow = false;
  private holderNow: string | undefined;
  private observed: Observed | undefined;
  private stopped = false;
  private loop: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> = Promise.resolve();
  private transitions: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: ElectorOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger.child({ component: 'leader-election', lease: opts.store.describe });
  }

  get leading(): boolean {
    return this.leadingNow;
  }

  /** Who holds the Lease as last seen; undefined before the first read or when released. */
  get holder(): string | undefined {
    return this.holderNow;
  }

  start(): void {
    this.log.info({ identity: this.opts.identity }, 'leader election: candidate');
    this.schedule(0);
  }

  /** Stops the loop; a leader stops acting first, then releases the Lease for the next one. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loop);
    await this.attempt; // a renew in flight must land before the release, not after it
    if (this.leadingNow) await this.lose('shutting down');
    await this.transitions;
    await this.release();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.loop = setTimeout(() => {
      this.attempt = this.tryAcquireOrRenew().finally(() =>
        this.schedule(nextAttemptDelay(this.leadingNow, this.opts.timings, this.random())),
      );
    }, ms);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { store, identity, timings } = this.opts;
    const startMs = this.now();
    let won = false;
    try {
      const lease = await store.get();
      this.observed = observe(this.observed, lease, startMs);
      const d = decide({ identity, lease, observed: this.observed, nowMs: startMs, timings });
      if (d.kind === 'wait') {
        this.see(d.holder);
        // Someone else holds it (edited by hand, or our renews were lost): stop acting now.
        if (this.leadingNow) await this.lose(`the Lease is held by ${d.holder}`);
        return;
      }
      won =
        d.kind === 'create' ? await store.create(d.record) : await store.update(d.record, d.resourceVersion);
      if (!won) this.log.debug('lost the race for the Lease (409); reading it again');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'leader election: could not read or write the Lease');
    }
    if (won && !this.stopped) this.renewed(startMs);
  }

  /** A write succeeded: lead until startMs + renewDeadline unless the next renew moves it. */
  private renewed(startMs: number): void {
    const left = leadershipDeadline(startMs, this.opts.timings) - this.now();
    if (left <= 0) return; // the answer came too late to act on
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => void this.lose('no renew within the renew deadline'), left);
    this.see(this.opts.identity);
    if (this.leadingNow) return;
    this.leadingNow = true;
    this.log.info({ identity: this.opts.identity }, 'leader election: became the leader');
    this.opts.onHolder?.(this.opts.identity, true);
    this.transitions = this.transitions.then(() =>
      this.opts.onStartedLeading().catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'could not start leading; giving the Lease up');
        void this.lose('the controller did not start');
      }),
    );
  }

  private see(holder: string | undefined): void {
    const h = holder || undefined;
    if (h === this.holderNow) return;
    this.holderNow = h;
    if (h !== this.opts.identity) {
      this.log.info({ holder: h ?? '(none)' }, 'leader election: following');
      this.opts.onHolder?.(h, false);
    }
  }

  private lose(why: string): Promise<void> {
    clearTimeout(this.deadlineTimer);
    if (!this.leadingNow) return this.transitions;
    this.leadingNow = false;
    this.log.warn({ identity: this.opts.identity, why }, 'leader election: stopped leading');
    this.opts.onHolder?.(this.holderNow === this.opts.identity ? undefined : this.holderNow, false);
    this.transitions = this.transitions.then(() =>
      this.opts.onStoppedLeading().catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'stopping the controller failed');
      }),
    );
    return this.transitions;
  }

  /** Hands the Lease back if it is still ours, so a follower takes over at once. */
  private async release(): Promise<void> {
    try {
      const lease = await this.opts.store.get();
      if (!lease || lease.record.holderIdentity !== this.opts.identity) return;
      const ok = await this.opts.store.update(releaseRecord(lease.record, this.now()), lease.resourceVersion);
      if (ok) this.log.info('leader election: released the Lease');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'leader election: could not release the Lease');
    }
  }
}
