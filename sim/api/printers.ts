// Server-side printing of built-in kinds (pkg/printers/internalversion), so `kubectl get pods`
// shows NAME READY STATUS RESTARTS AGE as against a real cluster.
import type { KObject } from '../contract.js';
import { AGE, col, NAME } from './columns.js';
import { age } from './duration.js';
import { pods } from './pod-printer.js';
import type { TablePrinter } from './resources.js';
import { selectorToString } from './selectors.js';

type C = { name?: string; image?: string };
const containers = (o: KObject): C[] => (o.spec?.template?.spec?.containers as C[] | undefined) ?? [];
const names = (cs: C[]): string => cs.map((c) => c.name).join(',');
const images = (cs: C[]): string => cs.map((c) => c.image).join(',');

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
