// The disruption controller's status half: how many selected pods are healthy, how many must stay
// healthy (minAvailable or maxUnavailable, int or percent), and so how many voluntary disruptions
// (evictions) are allowed right now. The API's eviction endpoint reads disruptionsAllowed.
import type { KObject, Store } from '../contract.js';
import type { ControllerContext } from './context.js';
import {
  DEPLOYMENTS,
  PDBS,
  PODS,
  REPLICASETS,
  STATEFULSETS,
  controllerOf,
  ignoreNotFound,
  isPodReady,
  matchesSelector,
  sameJson,
  splitKey,
} from './kube.js';
import { resolveIntOrPercent } from './quantity.js';

const DISRUPTION_TIMEOUT_MS = 2 * 60_000;

/** The scale of a pod's top controller (Deployment through its ReplicaSet, or StatefulSet). */
function controllerScale(store: Store, pod: KObject): { uid: string; replicas: number } | undefined {
  const ref = controllerOf(pod);
  const ns = pod.metadata.namespace;
  if (!ref) return undefined;
  if (ref.kind === 'StatefulSet') {
    const sts = store.get(STATEFULSETS, ns, ref.name);
    return sts ? { uid: ref.uid, replicas: Number(sts.spec?.replicas ?? 1) } : undefined;
  }
  if (ref.kind !== 'ReplicaSet') return undefined;
  const rs = store.get(REPLICASETS, ns, ref.name);
  const deployRef = rs && controllerOf(rs);
  const deploy = deployRef?.kind === 'Deployment' ? store.get(DEPLOYMENTS, ns, deployRef.name) : undefined;
  if (deploy && deployRef) return { uid: deployRef.uid, replicas: Number(deploy.spec?.replicas ?? 1) };
  return rs ? { uid: ref.uid, replicas: Number(rs.spec?.replicas ?? 1) } : undefined;
}

export function createPdbController(ctx: ControllerContext): (key: string) => number | undefined {
  const { store } = ctx;
  return (key) => {
    const { namespace, name } = splitKey(key);
    const pdb = store.get(PDBS, namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return undefined;
    const pods = store
      .view(PODS, { namespace })
      .filter((p) => !p.metadata.deletionTimestamp && matchesSelector(pdb.spec?.selector, p.metadata.labels));
    // The eviction endpoint records evicted pods in disruptedPods before their deletion shows; they
    // do not count as healthy meanwhile, and leave the map once terminating, gone, or 2 min old.
    const now = store.now();
    const disruptedPods = Object.fromEntries(
      Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>).filter(
        ([pod, at]) =>
          pods.some((p) => p.metadata.name === pod) && now - Date.parse(at) < DISRUPTION_TIMEOUT_MS,
      ),
    );
    const currentHealthy = pods.filter(
      (p) => p.status?.phase === 'Running' && isPodReady(p) && !(p.metadata.name! in disruptedPods),
    ).length;
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};

    // Like the real controller: an integer minAvailable counts the pods themselves; percentages and
    // maxUnavailable are relative to what the pods' controllers want (their spec.replicas).
    let expectedPods = pods.length;
    if (maxUnavailable !== undefined || typeof minAvailable === 'string') {
      const scales = new Map<string, number>();
      for (const p of pods) {
        const s = controllerScale(store, p);
        if (s) scales.set(s.uid, s.replicas);
      }
      if (scales.size > 0) expectedPods = [...scales.values()].reduce((a, b) => a + b, 0);
    }
    let desiredHealthy = 0;
    if (maxUnavailable !== undefined) {
      desiredHealthy = Math.max(
        0,
        expectedPods - (resolveIntOrPercent(maxUnavailable, expectedPods, true) ?? 0),
      );
    } else if (minAvailable !== undefined) {
      desiredHealthy = resolveIntOrPercent(minAvailable, expectedPods, true) ?? 0;
    }
    const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
    const before = (pdb.status?.conditions ?? []) as { status: string; lastTransitionTime?: string }[];
    const allowed = disruptionsAllowed > 0 ? 'True' : 'False';
    const nowIso = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = {
      observedGeneration: pdb.metadata.generation ?? 1,
      disruptedPods,
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: allowed,
          reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: pdb.metadata.generation ?? 1,
          lastTransitionTime: before[0]?.status === allowed ? before[0].lastTransitionTime : nowIso,
        },
      ],
    };
    if (!sameJson(status, pdb.status ?? {})) {
      ignoreNotFound(() =>
        store.mutate(PDBS, namespace, name, (o) => void (o.status = status), { subresource: 'status' }),
      );
    }
    // An evicted pod that never goes away stops counting as disrupted after the timeout: look then.
    const expiries = Object.values(disruptedPods).map((at) => Date.parse(at) + DISRUPTION_TIMEOUT_MS - now);
    return expiries.length > 0 ? Math.max(1000, Math.min(...expiries)) : undefined;
  };
}
