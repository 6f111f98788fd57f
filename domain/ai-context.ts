// The bounded context a model sees for one incident: the trigger and what was observed, the
// target's state now, its recent events, its restart history, past outcomes, and the actions it
// may choose from. Sizes are capped here, before anything crosses into workflow history. Pure.
// Cluster text (event messages, reasons) is copied as data; the activity quotes it in the prompt.

import type { PlannedAction } from './plan-types.js';
import type { ClusterSnapshot, PodSnapshot } from './snapshot.js';
import { findWorkload, refKey } from './targets.js';

export const MAX_EVENTS = 10;
export const MAX_MESSAGE = 300;
const MAX_CONTAINERS = 5;

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export interface IncidentContext {
  trigger: { name: string; type: string; observedValue?: string; threshold?: string; reason: string };
  firedSecondsAgo: number;
  target: { key: string; kind: string; actsOnOwner: boolean };
  pod?: {
    key: string;
    phase: string;
    ready: boolean;
    containers: Record<string, string | number | boolean | undefined>[];
  };
  workload?: { key: string; replicas: number; readyReplicas: number; hpaManaged: boolean };
  events: { reason: string; type: string; count: number; secondsAgo: number; message: string }[];
  restartHistory: { secondsAgo: number; totalRestarts: number }[];
  pastOutcomes: { target: string; successRate: string; recent: string[] };
  allowedActions: { name: string; type: string; description: string; successRateForThisTrigger: string }[];
  ruleChoice: string;
}

type PodContext = NonNullable<IncidentContext['pod']>;

function podContext(key: string, pod: PodSnapshot): PodContext {
  return {
    key,
    phase: pod.phase,
    ready: pod.ready,
    containers: pod.containers.slice(0, MAX_CONTAINERS).map((c) => ({
      name: c.name,
      ready: c.ready,
      restartCount: c.restartCount,
      state: c.state,
      stateReason: c.stateReason,
      lastTerminationReason: c.lastTerminationReason,
      memoryBytes: c.usage?.memoryBytes,
      memoryLimitBytes: c.memoryLimitBytes,
      cpuMillicores: c.usage?.cpuMillicores,
      cpuLimitMillicores: c.cpuLimitMillicores,
    })),
  };
}

/** The most recent events about the pod or the target, newest first, messages cut short. */
function recentEvents(
  snapshot: ClusterSnapshot,
  names: Set<string>,
  nowMs: number,
): IncidentContext['events'] {
  return snapshot.events
    .filter((e) => names.has(e.involvedObject.name))
    .sort((a, b) => b.lastTimestampMs - a.lastTimestampMs)
    .slice(0, MAX_EVENTS)
    .map((e) => ({
      reason: cut(e.reason, 60),
      type: e.type,
      count: e.count,
      secondsAgo: Math.round((nowMs - e.lastTimestampMs) / 1000),
      message: cut(e.message, MAX_MESSAGE),
    }));
}

export function incidentContext(
  planned: PlannedAction,
  snapshot: ClusterSnapshot,
  nowMs: number,
): IncidentContext {
  const ai = planned.ai;
  const podKey = refKey(planned.firingPod);
  const pod = snapshot.pods.find((p) => refKey(p.ref) === podKey);
  const workload = findWorkload(snapshot, pod?.owner ?? planned.firingPodOwner);
  const names = new Set([planned.firingPod.name, planned.target.name]);
  const events = recentEvents(snapshot, names, nowMs);
  const t = planned.trigger;
  return {
    trigger: {
      name: t.name,
      type: t.type,
      ...(t.observedValue !== undefined ? { observedValue: t.observedValue } : {}),
      ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
      reason: cut(t.reason, MAX_MESSAGE),
    },
    firedSecondsAgo: Math.round((nowMs - t.firedAtMs) / 1000),
    target: { key: planned.targetKey, kind: planned.target.kind, actsOnOwner: planned.onOwner },
    ...(pod ? { pod: podContext(podKey, pod) } : {}),
    ...(workload
      ? {
          workload: {
            key: refKey(workload.ref),
            replicas: workload.replicas,
            readyReplicas: workload.readyReplicas,
            hpaManaged: workload.hpaManaged ?? false,
          },
        }
      : {}),
    events,
    restartHistory: (ai?.evidence.restartHistory ?? []).map(([at, n]) => ({
      secondsAgo: Math.round((nowMs - at) / 1000),
      totalRestarts: n,
    })),
    pastOutcomes: {
      target: ai?.evidence.subjectKey ?? planned.subjectKey,
      successRate: ai?.evidence.subjectRate ?? 'no outcomes yet',
      recent: (ai?.evidence.recent ?? []).map((r) => `${r.trigger}/${r.action}: ${r.outcome}`),
    },
    allowedActions: (ai?.alternatives ?? []).map((a) => ({
      name: a.action.name,
      type: a.action.type,
      description: a.description,
      successRateForThisTrigger: a.successRate,
    })),
    ruleChoice: planned.action.name,
  };
}
