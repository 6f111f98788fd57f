// Server-side printing of built-in kinds (pkg/printers/internalversion), so `kubectl get pods`
// shows NAME READY STATUS RESTARTS AGE as against a real cluster.
import type { KObject } from '../contract.js';
import type { ColumnDefinition, TablePrinter } from './resources.js';
import { selectorToString } from './selectors.js';

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  const days = Math.floor(hours / 24);
  if (days < 730) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

export const age = (ts: string | undefined, now: number): string =>
  ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';

const col = (name: string, type = 'string', priority = 0, format?: string): ColumnDefinition => ({
  name,
  type,
  ...(format ? { format } : {}),
  description: name,
  priority,
});
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');
type C = { name?: string; image?: string };
const containers = (o: KObject): C[] => (o.spec?.template?.spec?.containers as C[] | undefined) ?? [];
const names = (cs: C[]): string => cs.map((c) => c.name).join(',');
const images = (cs: C[]): string => cs.map((c) => c.image).join(',');

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

const pods: TablePrinter = {
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

const deployments: TablePrinter = {
  columns: [
    NAME,
    col('Ready'),
    col('Up-to-date', 'integer'),
    col('Available', 'integer'),
    AGE,
    col('Containers', 'string', 1),
    col('Images', 'string', 1),
    col('Selector', 'string', 1),
  ],
  cells: (d, now) => [
    d.metadata.name,
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
    d.status?.updatedReplicas ?? 0,
    d.status?.availableReplicas ?? 0,
    age(d.metadata.creationTimestamp, now),
    names(containers(d)),
    images(containers(d)),
    selectorToString(d.spec?.selector),
  ],
};

const replicasets: TablePrinter = {
  columns: [
    NAME,
    col('Desired', 'integer'),
    col('Current', 'integer'),
    col('Ready', 'integer'),
    AGE,
    col('Containers', 'string', 1),
    col('Images', 'string', 1),
    col('Selector', 'string', 1),
  ],
  cells: (r, now) => [
    r.metadata.name,
    r.spec?.replicas ?? 0,
    r.status?.replicas ?? 0,
    r.status?.readyReplicas ?? 0,
    age(r.metadata.creationTimestamp, now),
    names(containers(r)),
    images(containers(r)),
    selectorToString(r.spec?.selector),
  ],
};

const statefulsets: TablePrinter = {
  columns: [NAME, col('Ready'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1)],
  cells: (s, now) => [
    s.metadata.name,
    `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`,
    age(s.metadata.creationTimestamp, now),
    names(containers(s)),
    images(containers(s)),
  ],
};

const nodes: TablePrinter = {
  columns: [
    NAME,
    col('Status'),
    col('Roles'),
    AGE,
    col('Version'),
    col('Internal-IP', 'string', 1),
    col('OS-Image', 'string', 1),
  ],
  cells: (n, now) => {
    const ready = (n.status?.conditions as { type: string; status: string }[] | undefined)?.find(
      (c) => c.type === 'Ready',
    );
    const status = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
    if (n.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles = Object.keys(n.metadata.labels ?? {})
      .filter((l) => l.startsWith('node-role.kubernetes.io/'))
      .map((l) => l.split('/')[1]);
    const ip = (n.status?.addresses as { type: string; address: string }[] | undefined)?.find(
      (a) => a.type === 'InternalIP',
    );
    return [
      n.metadata.name,
      status.join(','),
      roles.join(',') || '<none>',
      age(n.metadata.creationTimestamp, now),
      n.status?.nodeInfo?.kubeletVersion ?? '',
      ip?.address ?? '<none>',
      n.status?.nodeInfo?.osImage ?? '<unknown>',
    ];
  },
};

const events: TablePrinter = {
  columns: [
    col('Last Seen'),
    col('Type'),
    col('Reason'),
    col('Object'),
    col('Message'),
    col('Count', 'integer', 1),
    { ...NAME, priority: 1 },
  ],
  cells: (e, now) => {
    const io = e.involvedObject as { kind?: string; name?: string } | undefined;
    const last = (e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) as string | undefined;
    return [
      age(last, now),
      e.type ?? '',
      e.reason ?? '',
      `${(io?.kind ?? '').toLowerCase()}/${io?.name ?? ''}`,
      e.message ?? '',
      e.count ?? 1,
      e.metadata.name,
    ];
  },
};

const namespaces: TablePrinter = {
  columns: [NAME, col('Status'), AGE],
  cells: (n, now) => [n.metadata.name, n.status?.phase ?? '', age(n.metadata.creationTimestamp, now)],
};

const services: TablePrinter = {
  columns: [
    NAME,
    col('Type'),
    col('Cluster-IP'),
    col('External-IP'),
    col('Port(s)'),
    AGE,
    col('Selector', 'string', 1),
  ],
  cells: (s, now) => {
    const ports = ((s.spec?.ports as { port: number; protocol?: string }[] | undefined) ?? []).map(
      (p) => `${p.port}/${p.protocol ?? 'TCP'}`,
    );
    const sel = Object.entries((s.spec?.selector as Record<string, string> | undefined) ?? {}).map(
      ([k, v]) => `${k}=${v}`,
    );
    return [
      s.metadata.name,
      s.spec?.type ?? 'ClusterIP',
      s.spec?.clusterIP ?? '<none>',
      '<none>',
      ports.join(',') || '<none>',
      age(s.metadata.creationTimestamp, now),
      sel.join(',') || '<none>',
    ];
  },
};

const configmaps: TablePrinter = {
  columns: [NAME, col('Data', 'integer'), AGE],
  cells: (c, now) => [
    c.metadata.name,
    Object.keys((c.data as object | undefined) ?? {}).length +
      Object.keys((c.binaryData as object | undefined) ?? {}).length,
    age(c.metadata.creationTimestamp, now),
  ],
};

const pdbs: TablePrinter = {
  columns: [NAME, col('Min Available'), col('Max Unavailable'), col('Allowed Disruptions', 'integer'), AGE],
  cells: (p, now) => [
    p.metadata.name,
    p.spec?.minAvailable ?? 'N/A',
    p.spec?.maxUnavailable ?? 'N/A',
    p.status?.disruptionsAllowed ?? 0,
    age(p.metadata.creationTimestamp, now),
  ],
};

const crds: TablePrinter = {
  columns: [NAME, col('Created At', 'date')],
  cells: (c) => [c.metadata.name, c.metadata.creationTimestamp],
};

export const defaultPrinter: TablePrinter = {
  columns: [NAME, AGE],
  cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
};

export const PRINTERS: Record<string, TablePrinter> = {
  pods,
  deployments,
  replicasets,
  statefulsets,
  nodes,
  events,
  namespaces,
  services,
  configmaps,
  poddisruptionbudgets: pdbs,
  customresourcedefinitions: crds,
};
