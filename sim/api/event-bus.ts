// Delivers committed store events to listeners in resourceVersion order, even when a listener
// writes to the store while being notified (its write is queued behind the current event).
import type { StoreEvent } from '../contract.js';

export class EventBus {
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly queue: StoreEvent[] = [];
  private draining = false;

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  enqueue(event: StoreEvent): void {
    this.queue.push(event);
  }

  /** Runs queued events through every listener unless a drain is already under way up the stack. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const e = this.queue.shift()!;
        for (const l of [...this.listeners]) {
          try {
            l(e);
          } catch (err) {
            // One failing controller must not fail the API write that triggered it.
            console.error('sim store listener failed', err);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
