// A bounded log of committed events so a watch can resume from a resourceVersion. Like etcd
// compaction, anything older than the window is gone and a resume from there answers 410.
import type { StoreEvent } from '../contract.js';

export class History {
  private readonly events: { rv: number; event: StoreEvent }[] = [];
  /** Highest resourceVersion no longer retained; resuming at or after it is still complete. */
  private compactedTo = 0;

  constructor(private readonly capacity: number) {}

  push(rv: number, event: StoreEvent): void {
    this.events.push({ rv, event });
    while (this.events.length > this.capacity) this.compactedTo = this.events.shift()!.rv;
  }

  /** Events strictly after `rv`, or 'gone' when some of them were already compacted away. */
  since(rv: number): StoreEvent[] | 'gone' {
    if (rv < this.compactedTo) return 'gone';
    // Binary search: events are in resourceVersion order.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo).map((e) => e.event);
  }

  /** Drops everything retained, as an etcd compaction would: a resume from before `toRv` answers 410. */
  compact(toRv?: number): void {
    this.compactedTo = toRv ?? this.events.at(-1)?.rv ?? this.compactedTo;
    this.events.length = 0;
  }

  /** The oldest resourceVersion a watch may still resume from (for 410 messages). */
  oldest(): number {
    return this.compactedTo;
  }
}
