// Gather for the change gate (domain/change-gate.ts): what is changing around one action's target,
// read fresh from the API at each check (not the watch cache: the gate's question is "now"). One
// GET of the workload, one list of the nodes (their kubelet versions only survive), one GET of
// Alertmanager's silences (active ones only) and of the firing pod (its container names). A part
// that fails is reported in `errors`, and the gate does not act blind on it.
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { ChangeRequest } from '../../domain/change-gate.js';
import type { ChangeSnapshot, ObjectRef, RolloutSnapshot, SilenceSnapshot } from '../../domain/snapshot.js';
import type { Kube } from '../kube/clients.js';
import { isNotFound } from '../kube/errors.js';

const n = (v: number | undefined | null): number => v ?? 0;
const firstLine = (err: unknown): string => ((err as Error).message ?? String(err)).split('\n')[0]!;

/** A Deployment, StatefulSet or DaemonSet's rollout fields (the real API's shapes). */
export function rolloutSnapshot(
  ref: ObjectRef,
  o: V1Deployment | V1StatefulSet | V1DaemonSet,
): RolloutSnapshot {
  const base = {
    ref: { ...ref, uid: o.metadata?.uid ?? ref.uid },
    generation: n(o.metadata?.generation),
    observedGeneration: n(o.status?.observedGeneration),
  };
  if (ref.kind === 'DaemonSet') {
    const s = (o as V1DaemonSet).status;
    return {
      ...base,
      desired: n(s?.desiredNumberScheduled),
      replicas: n(s?.currentNumberScheduled),
      updated: n(s?.updatedNumberScheduled),
      available: n(s?.numberAvailable),
    };
  }
  const spec = (o as V1Deployment | V1StatefulSet).spec;
  const s = (o as V1Deployment | V1StatefulSet).status;
  const out: RolloutSnapshot = {
    ...base,
    desired: spec?.replicas ?? 1,
    replicas: n(s?.replicas),
    updated: n(s?.updatedReplicas),
    available: n(s?.availableReplicas),
  };
  if (ref.kind === 'Deployment') {
    const p = (o as V1Deployment).status?.conditions?.find((c) => c.type === 'Progressing');
    if (p) out.progressing = { status: p.status, reason: p.reason ?? '' };
    const revision = Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision']);
    if (Number.isFinite(revision) && revision > 0) out.revision = revision;
  } else {
    const st = (o as V1StatefulSet).status;
    if (st?.currentRevision) out.currentRevision = st.currentRevision;
    if (st?.updateRevision) out.updateRevision = st.updateRevision;
  }
  return out;
}

async function readWorkload(kube: Kube, ref: ObjectRef): Promise<RolloutSnapshot | undefined> {
  const args = { namespace: ref.namespace, name: ref.name };
  try {
    const o =
      ref.kind === 'Deployment'
        ? await kube.apps.readNamespacedDeployment(args)
        : ref.kind === 'StatefulSet'
          ? await kube.apps.readNamespacedStatefulSet(args)
          : await kube.apps.readNamespacedDaemonSet(args);
    return rolloutSnapshot(ref, o);
  } catch (err) {
    // Gone: nothing rolls out; the live safety check reports the target gone.
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function kubeletVersions(kube: Kube): Promise<Record<string, number>> {
  const versions: Record<string, number> = {};
  for (const node of (await kube.core.listNode({})).items) {
    const v = node.status?.nodeInfo?.kubeletVersion;
    if (v) versions[v] = (versions[v] ?? 0) + 1;
  }
  return versions;
}

interface ApiSilence {
  id: string;
  status?: { state?: string };
  matchers?: { name: string; value: string; isRegex?: boolean; isEqual?: boolean }[];
  endsAt?: string;
  createdBy?: string;
  comment?: string;
}

/** GET /api/v2/silences under the base URL (keeping its path, like a --web.route-prefix); active only. */
export async function activeSilences(baseUrl: string): Promise<SilenceSnapshot[]> {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/silences`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url.href}: HTTP ${res.status}`);
  const body = (await res.json()) as ApiSilence[];
  if (!Array.isArray(body)) throw new Error(`GET ${url.href}: not a list of silences`);
  return body
    .filter((s) => s.status?.state === 'active')
    .map((s) => ({
      id: s.id,
      matchers: (s.matchers ?? []).map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: m.isRegex ?? false,
        isEqual: m.isEqual ?? true,
      })),
      endsAtMs: s.endsAt ? Date.parse(s.endsAt) : 0,
      ...(s.createdBy ? { createdBy: s.createdBy } : {}),
      ...(s.comment ? { comment: s.comment } : {}),
    }));
}

async function containerNames(kube: Kube, pod: { namespace: string; name: string }): Promise<string[]> {
  try {
    const p = await kube.core.readNamespacedPod(pod);
    return (p.spec?.containers ?? []).map((c) => c.name);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export async function collectChanges(
  kube: Kube,
  req: ChangeRequest,
  opts: { alertmanagerUrl?: string; nowMs?: () => number } = {},
): Promise<ChangeSnapshot> {
  const snap: ChangeSnapshot = { observedAtMs: (opts.nowMs ?? Date.now)() };
  const errors: NonNullable<ChangeSnapshot['errors']> = {};
  const part = async (key: keyof typeof errors, run: () => Promise<void>): Promise<void> =>
    run().catch((err: unknown) => void (errors[key] = firstLine(err)));
  const { workload, pod } = req;
  const am = req.silences ? opts.alertmanagerUrl : undefined;
  await Promise.all([
    workload &&
      part('rollout', async () => {
        const w = await readWorkload(kube, workload);
        if (w) snap.workload = w;
      }),
    req.nodes && part('nodes', async () => void (snap.kubeletVersions = await kubeletVersions(kube))),
    am &&
      part('silences', async () => {
        const [silences, containers] = await Promise.all([
          activeSilences(am),
          pod ? containerNames(kube, pod) : [],
        ]);
        snap.silences = silences;
        if (containers.length) snap.containers = containers;
      }),
  ]);
  if (Object.keys(errors).length) snap.errors = errors;
  return snap;
}
