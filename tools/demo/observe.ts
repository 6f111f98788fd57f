// Gathers what the live view shows, as plain data: per app its pods with memory / CPU / restarts
// and state, every HealingAction, and (when Temporal is reachable) each policy's counters and
// refusals, which are the only trace of an action the planner refused (protected targets).
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { Kube } from '../../activities/kube/clients.js';
import { bytes, millicores } from '../../activities/kube/quantity.js';
import type { HealingAction } from '../../crds/healing-action.js';
import { policyWorkflowId } from '../../domain/ids.js';
import { policyStatusQuery } from '../../workflows/messages.js';
import { GROUP_VERSION } from '../../crds/api-group.js';

export interface PodView {
  name: string;
  uid: string;
  state: string;
  ready: boolean;
  restarts: number;
  lastTermination?: string;
  memBytes?: number;
  memPct?: number;
  cpuMillicores?: number;
  cpuPct?: number;
}

export interface AppView {
  name: string;
  replicas: number;
  readyReplicas: number;
  generation: number;
  templateAnnotations: Record<string, string>;
  pods: PodView[];
}

export interface PolicyView {
  name: string;
  fires: number;
  actionsStarted: number;
  refusals: Record<string, number>;
  lastRefusal?: { trigger: string; reason: string; message: string; targetKey: string };
}

/** Refusals that happen all the time and tell nothing: an action already open, a cooldown. */
export const ROUTINE_REFUSALS = ['ActionInProgress', 'Cooldown', 'MonitorMode'];

export interface DemoSnapshot {
  atMs: number;
  apps: AppView[];
  actions: HealingAction[];
  policies: Record<string, PolicyView>;
  errors: string[];
}

export interface Observer {
  kube: Kube;
  namespace: string;
  client?: Client;
  /** The operator's cluster name (in its policy workflow ids). */
  cluster: string;
  /** Policy names to query in Temporal; their refusals persist between snapshots here. */
  policies: string[];
}

export async function observe(o: Observer, previous?: DemoSnapshot): Promise<DemoSnapshot> {
  const errors: string[] = [];
  const settle = async <T>(what: string, p: Promise<T>, fallback: T): Promise<T> =>
    p.catch((err: unknown) => (errors.push(`${what}: ${(err as Error).message.split('\n')[0]}`), fallback));
  const [deployments, pods, usage, actions, policies] = await Promise.all([
    settle(
      'deployments',
      o.kube.apps.listNamespacedDeployment({ namespace: o.namespace }).then((l) => l.items),
      [],
    ),
    settle(
      'pods',
      o.kube.core.listNamespacedPod({ namespace: o.namespace }).then((l) => l.items),
      [],
    ),
    settle(
      'metrics',
      o.kube.metrics.getPodMetrics(o.namespace).then((m) => m.items),
      [],
    ),
    settle('healingactions', listActions(o), []),
    o.client
      ? policyViews(o.client, o.cluster, o.namespace, o.policies, previous?.policies ?? {})
      : Promise.resolve({}),
  ]);
  return snapshotOf({ deployments, pods, usage, actions, policies, errors }, Date.now());
}

/** What observe() read, as the API returned it. */
export interface Observed {
  deployments: V1Deployment[];
  pods: V1Pod[];
  usage: PodMetric[];
  actions: HealingAction[];
  policies: Record<string, PolicyView>;
  errors: string[];
}

/** The snapshot of what was read: apps with their pods' state and usage, by name. */
export function snapshotOf(o: Observed, atMs: number): DemoSnapshot {
  const usageOf = new Map(o.usage.map((m) => [m.metadata.name, m.containers]));
  const apps = o.deployments
    .map((d) => appView(d, o.pods, usageOf))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { atMs, apps, actions: o.actions, policies: o.policies, errors: o.errors };
}

async function listActions(o: Observer): Promise<HealingAction[]> {
  const list = (await o.kube.custom.listNamespacedCustomObject({
    ...GROUP_VERSION,
    namespace: o.namespace,
    plural: 'healingactions',
  })) as { items: HealingAction[] };
  // Oldest first (the view lists the newest); an action not started yet sorts by its creation.
  const at = (a: HealingAction): number =>
    Date.parse(a.status?.startTime ?? a.metadata.creationTimestamp ?? '') || Number.MAX_SAFE_INTEGER;
  return list.items.sort((a, b) => at(a) - at(b));
}

type Usage = { name: string; usage: { cpu: string; memory: string } }[];

function appView(d: V1Deployment, pods: V1Pod[], usageOf: Map<string, Usage>): AppView {
  const selector = d.spec?.selector.matchLabels ?? {};
  const mine = pods.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v));
  return {
    name: d.metadata?.name ?? '?',
    replicas: d.spec?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    generation: d.metadata?.generation ?? 0,
    templateAnnotations: d.spec?.template.metadata?.annotations ?? {},
    pods: mine
      .map((p) => podView(p, usageOf.get(p.metadata?.name ?? '') ?? []))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function podView(p: V1Pod, usage: Usage): PodView {
  const statuses = p.status?.containerStatuses ?? [];
  const first = statuses[0];
  const state = p.metadata?.deletionTimestamp
    ? 'Terminating'
    : (first?.state?.waiting?.reason ??
      first?.state?.terminated?.reason ??
      (first?.state?.running ? 'Running' : (p.status?.phase ?? 'Pending')));
  const view: PodView = {
    name: p.metadata?.name ?? '?',
    uid: p.metadata?.uid ?? '',
    state,
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: statuses.reduce((n, c) => n + c.restartCount, 0),
  };
  const last = first?.lastState?.terminated?.reason;
  if (last) view.lastTermination = last;
  if (usage.length > 0) {
    const containers = p.spec?.containers ?? [];
    const sum = (f: (name: string) => number | undefined): number | undefined => {
      const values = containers.map((c) => f(c.name));
      return values.every((v) => v !== undefined)
        ? values.reduce<number>((a, b) => a + (b ?? 0), 0)
        : undefined;
    };
    const used = (name: string): { cpu: number; mem: number } => {
      const u = usage.find((x) => x.name === name)?.usage;
      return { cpu: millicores(u?.cpu) ?? 0, mem: bytes(u?.memory) ?? 0 };
    };
    view.memBytes = containers.reduce((n, c) => n + used(c.name).mem, 0);
    view.cpuMillicores = containers.reduce((n, c) => n + used(c.name).cpu, 0);
    // The same denominators as the policy's memory_usage_percent: the limit, else the request.
    const res = (name: string): { limits?: Record<string, string>; requests?: Record<string, string> } =>
      containers.find((c) => c.name === name)?.resources ?? {};
    const memCap = sum((n) => bytes(res(n).limits?.memory ?? res(n).requests?.memory));
    const cpuCap = sum((n) => millicores(res(n).limits?.cpu ?? res(n).requests?.cpu));
    if (memCap) view.memPct = (100 * view.memBytes) / memCap;
    if (cpuCap) view.cpuPct = (100 * view.cpuMillicores) / cpuCap;
  }
  return view;
}

async function policyViews(
  client: Client,
  cluster: string,
  namespace: string,
  names: string[],
  previous: Record<string, PolicyView>,
): Promise<Record<string, PolicyView>> {
  const out: Record<string, PolicyView> = {};
  await Promise.all(
    names.map(async (name) => {
      // A query waits for a worker; while the operator starts or stops there is none: give up
      // quickly and show the last answer instead of freezing the view.
      // Only a running workflow: a query also answers for a closed run (a previous demo's),
      // whose refusals must not count for this one.
      const handle = client.workflow.getHandle(policyWorkflowId(cluster, namespace, name));
      const status = await client.connection
        .withDeadline(Date.now() + 2000, async () =>
          (await handle.describe()).status.name === 'RUNNING' ? handle.query(policyStatusQuery) : undefined,
        )
        .catch(() => undefined);
      const before = previous[name];
      if (!status) {
        if (before) out[name] = before;
        return;
      }
      // lastRefusals holds only the latest evaluation; keep the last telling one we saw.
      const refusal =
        status.lastRefusals.find((r) => !ROUTINE_REFUSALS.includes(r.reason)) ?? before?.lastRefusal;
      out[name] = {
        name,
        fires: status.counters.fires,
        actionsStarted: status.counters.actionsStarted,
        refusals: status.counters.refusals,
        ...(refusal ? { lastRefusal: refusal } : {}),
      };
    }),
  );
  return out;
}
