// Which worker executed each action, read where Temporal recorded it: the identity on the
// ActivityTaskStarted event of the action workflow's executeAction activity.
import type { Client } from '@temporalio/client';
import type { OperatorProcess } from './p6-procs.js';

const SCHEDULED = 10;
const STARTED = 11;

/** executeAction activities started by each worker, in `workers` order, over the given action workflows. */
export async function workerSpread(
  client: Client,
  workflowIds: string[],
  workers: Pick<OperatorProcess, 'identity'>[],
): Promise<number[]> {
  const counts = workers.map(() => 0);
  const histories = await Promise.all(
    workflowIds.map((id) =>
      client.workflow
        .getHandle(id)
        .fetchHistory()
        .catch(() => undefined),
    ),
  );
  for (const h of histories) {
    const events = h?.events ?? [];
    const executes = new Set(
      events
        .filter(
          (e) =>
            Number(e.eventType) === SCHEDULED &&
            e.activityTaskScheduledEventAttributes?.activityType?.name === 'executeAction',
        )
        .map((e) => String(e.eventId)),
    );
    for (const e of events) {
      if (Number(e.eventType) !== STARTED) continue;
      const a = e.activityTaskStartedEventAttributes;
      if (!executes.has(String(a?.scheduledEventId))) continue;
      const i = workers.findIndex((w) => w.identity === a?.identity);
      if (i >= 0) counts[i]!++;
    }
  }
  return counts;
}
