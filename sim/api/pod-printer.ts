// `kubectl get pods`: NAME READY STATUS RESTARTS AGE, with the STATUS and RESTARTS logic of
// pkg/printers/internalversion (the most specific container reason; restarts with "(2m ago)").
import type { KObject } from '../contract.js';
import { AGE, col, NAME } from './columns.js';
import { age, humanDuration } from './duration.js';
import type { TablePrinter } from './resources.js';

interface ContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: Terminated };
  lastState?: { terminated?: Terminated };
}
interface Terminated {
  reason?: string;
  signal?: number;
  exitCode?: number;
  finishedAt?: string;
}
const statuses = (pod: KObject): ContainerStatus[] =>
  (pod.status?.containerStatuses as ContainerStatus[] | undefined) ?? [];

/** The STATUS column: the most specific reason a pod is not simply Running. */
function podStatus(pod: KObject): string {
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const cs of statuses(pod)) {
    const waiting = cs.state?.waiting?.reason;
    const terminated = cs.state?.terminated;
    if (waiting) reason = waiting;
    else if (terminated)
      reason =
        terminated.reason ??
        (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
  }
  if (pod.metadata.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podRestarts(pod: KObject, now: number): string {
  let restarts = 0;
  let last = 0;
  for (const cs of statuses(pod)) {
    restarts += cs.restartCount ?? 0;
    const t = Date.parse(cs.lastState?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t)) last = Math.max(last, t);
  }
  return restarts > 0 && last > 0 ? `${restarts} (${humanDuration(now - last)} ago)` : String(restarts);
}

export const pods: TablePrinter = {
  columns: [
    NAME,
    col('Ready'),
    col('Status'),
    col('Restarts'),
    AGE,
    col('IP', 'string', 1),
    col('Node', 'string', 1),
    col('Nominated Node', 'string', 1),
    col('Readiness Gates', 'string', 1),
  ],
  cells: (p, now) => {
    const statuses = (p.status?.containerStatuses as { ready?: boolean }[] | undefined) ?? [];
    const total = (p.spec?.containers as unknown[] | undefined)?.length ?? 0;
    return [
      p.metadata.name,
      `${statuses.filter((s) => s.ready).length}/${total}`,
      podStatus(p),
      podRestarts(p, now),
      age(p.metadata.creationTimestamp, now),
      p.status?.podIP ?? '<none>',
      p.spec?.nodeName ?? '<none>',
      p.status?.nominatedNodeName ?? '<none>',
      '<none>',
    ];
  },
};
