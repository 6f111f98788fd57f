// A tiny controller work queue: keys are de-duplicated, processed outside the store's event
// callback (so a reconcile never runs re-entrantly inside another write), and may ask to be
// requeued after a delay. Every timer it starts is tracked so stop() leaves nothing behind.

/** A reconcile returns how many ms from now it wants to run again, or nothing. */
export type Reconcile = (key: string) => number | undefined | void;

export interface WorkQueue {
  add(controller: string, key: string, delayMs?: number): void;
  stop(): void;
}

const RETRY_MS = 200;

export function createWorkQueue(
  reconcilers: Record<string, Reconcile>,
  onError: (controller: string, key: string, err: unknown) => void,
): WorkQueue {
  const pending = new Set<string>();
  const delayed = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  let scheduled: NodeJS.Immediate | undefined;
  let stopped = false;

  const id = (controller: string, key: string): string => `${controller}\u0000${key}`;

  function drain(): void {
    scheduled = undefined;
    // Items added while draining wait for the next turn, so a hot loop cannot starve timers.
    const batch = [...pending];
    pending.clear();
    for (const item of batch) {
      if (stopped) return;
      const [controller = '', key = ''] = item.split('\u0000');
      const reconcile = reconcilers[controller];
      if (!reconcile) continue;
      try {
        const again = reconcile(key);
        if (typeof again === 'number' && Number.isFinite(again)) add(controller, key, Math.max(1, again));
      } catch (err) {
        onError(controller, key, err);
        add(controller, key, RETRY_MS);
      }
    }
  }

  function add(controller: string, key: string, delayMs = 0): void {
    if (stopped) return;
    const item = id(controller, key);
    if (delayMs <= 0) {
      pending.add(item);
      scheduled ??= setImmediate(drain);
      return;
    }
    // Keep only the earliest pending wake-up per key; a later one would be redundant.
    const dueAt = Date.now() + delayMs;
    const existing = delayed.get(item);
    if (existing && existing.dueAt <= dueAt) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      delayed.delete(item);
      add(controller, key);
    }, delayMs);
    delayed.set(item, { timer, dueAt });
  }

  return {
    add,
    stop(): void {
      stopped = true;
      if (scheduled) clearImmediate(scheduled);
      for (const { timer } of delayed.values()) clearTimeout(timer);
      delayed.clear();
      pending.clear();
    },
  };
}
