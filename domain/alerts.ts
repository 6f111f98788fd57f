// Alert episodes: what Alertmanager told a policy, kept in its state (state.alerts).
//
// An episode is one alert (Alertmanager's fingerprint of its labels) from one `startsAt`: repeats,
// the other Alertmanager of an HA pair and retries carry the same key and join it, so an episode is
// answered by at most one open action. A new `startsAt` is a new episode.
//
//   firing, new key ──▶ episode firing (stale when startsAt is older than the trigger's maxAge)
//   firing, known   ──▶ lastSeen only (a resolved episode stays resolved: a late duplicate never reopens it)
//   resolved        ──▶ episode resolved (known or not): it can never start an action, and the action
//                       answering it is told (it ends Skipped while it waits; verification may pass)
//
// The alert trigger holds for a pod while a firing, fresh episode matching the trigger names it.
import { targetKey } from './ids.js';
import type { AlertTriggerSpec, NormalizedPolicy } from './policy-types.js';
import type { Sample } from './samples.js';

/** One alert of an Alertmanager notification, as the receiver passes it to a policy workflow. */
export interface AlertNotice {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  startsAtMs: number;
  /** When Alertmanager says it ended (resolved alerts). */
  endsAtMs?: number;
}

export interface AlertEpisode {
  fingerprint: string;
  alertname: string;
  labels: Record<string, string>;
  startsAtMs: number;
  status: 'firing' | 'resolved';
  firstSeenMs: number;
  lastSeenMs: number;
  resolvedMs?: number;
  /** Newly seen already older than the trigger's maxAge: never acted on. */
  stale?: boolean;
  /** The healing action that answers this episode (workflow id), once one was planned. */
  actionWorkflowId?: string;
}

/** What the action workflow records about the episode it answers. */
export interface AlertRef {
  episode: string;
  alertname: string;
  fingerprint: string;
  startsAtMs: number;
}

export const episodeKey = (n: { fingerprint: string; startsAtMs: number }): string =>
  `${n.fingerprint}@${n.startsAtMs}`;

/** Firing episodes not heard of for this long are forgotten (Alertmanager repeats at most every few hours). */
export const EPISODE_TTL_MS = 24 * 3600_000;
/** Resolved episodes are kept this long, so late duplicates of them are recognised. */
export const RESOLVED_TTL_MS = 3600_000;
/** At most this many episodes per policy; the least recently seen go first. */
export const MAX_EPISODES = 500;

export function alertMatches(trigger: AlertTriggerSpec, labels: Record<string, string>): boolean {
  if (labels['alertname'] !== trigger.alertname) return false;
  for (const [k, v] of Object.entries(trigger.labels)) if (labels[k] !== v) return false;
  return true;
}

/** The pod an alert names through the trigger's labels (`ns/Pod/name`), if it names one. */
export function alertPodKey(trigger: AlertTriggerSpec, labels: Record<string, string>): string | undefined {
  const name = labels[trigger.podLabel];
  const namespace = labels[trigger.namespaceLabel];
  return name && namespace ? targetKey({ namespace, kind: 'Pod', name }) : undefined;
}

/** Whether any alert trigger of the policy wants this alert (the receiver's routing). */
export function policyWantsAlert(policy: NormalizedPolicy, labels: Record<string, string>): boolean {
  return policy.triggers.some((t) => t.type === 'alert' && alertMatches(t, labels));
}

export interface RecordAlertsResult {
  /** New episodes, repeats of known ones, stale ones and resolutions, for the record and metrics. */
  counts: { opened: number; repeated: number; stale: number; resolved: number };
  /** Actions whose episode resolved with this batch: each is told. */
  resolvedActions: { workflowId: string; episode: string; resolvedMs: number }[];
}

function maxAgeFor(policy: NormalizedPolicy, labels: Record<string, string>): number {
  const ages = policy.triggers.flatMap((t) =>
    t.type === 'alert' && alertMatches(t, labels) ? [t.maxAgeMs] : [],
  );
  return ages.length ? Math.max(...ages) : 0;
}

/** Records a batch of notices in `episodes` (mutated). */
export function recordAlerts(
  episodes: Record<string, AlertEpisode>,
  policy: NormalizedPolicy,
  notices: readonly AlertNotice[],
  nowMs: number,
): RecordAlertsResult {
  const result: RecordAlertsResult = {
    counts: { opened: 0, repeated: 0, stale: 0, resolved: 0 },
    resolvedActions: [],
  };
  for (const n of notices) {
    const key = episodeKey(n);
    const resolvedMs = n.endsAtMs && n.endsAtMs > 0 ? n.endsAtMs : nowMs;
    const ep = episodes[key];
    if (!ep) {
      const stale = n.status === 'firing' && nowMs - n.startsAtMs > maxAgeFor(policy, n.labels);
      episodes[key] = {
        fingerprint: n.fingerprint,
        alertname: n.labels['alertname'] ?? '',
        labels: { ...n.labels },
        startsAtMs: n.startsAtMs,
        status: n.status,
        firstSeenMs: nowMs,
        lastSeenMs: nowMs,
        ...(n.status === 'resolved' ? { resolvedMs } : {}),
        ...(stale ? { stale } : {}),
      };
      result.counts[n.status === 'resolved' ? 'resolved' : stale ? 'stale' : 'opened'] += 1;
      continue;
    }
    ep.lastSeenMs = nowMs;
    if (n.status === 'firing' || ep.status === 'resolved') {
      result.counts.repeated += 1;
      continue;
    }
    ep.status = 'resolved';
    ep.resolvedMs = resolvedMs;
    result.counts.resolved += 1;
    if (ep.actionWorkflowId)
      result.resolvedActions.push({ workflowId: ep.actionWorkflowId, episode: key, resolvedMs });
  }
  return result;
}

/** Drops forgotten episodes and keeps at most MAX_EPISODES (mutates). */
export function pruneAlerts(episodes: Record<string, AlertEpisode>, nowMs: number): void {
  for (const [key, ep] of Object.entries(episodes)) {
    const ttl = ep.status === 'resolved' ? RESOLVED_TTL_MS : EPISODE_TTL_MS;
    if (nowMs - ep.lastSeenMs > ttl) delete episodes[key];
  }
  const keys = Object.keys(episodes);
  if (keys.length <= MAX_EPISODES) return;
  keys.sort((a, b) => episodes[a]!.lastSeenMs - episodes[b]!.lastSeenMs);
  for (const key of keys.slice(0, keys.length - MAX_EPISODES)) delete episodes[key];
}

/** trigger name → pod key → the firing, fresh episode (key and record) that names the pod. */
export type FiringAlerts = Map<string, Map<string, { key: string; episode: AlertEpisode }>>;

/** Indexes the episodes an evaluation can act on, per alert trigger; the oldest episode wins. */
export function firingAlerts(
  policy: NormalizedPolicy,
  episodes: Record<string, AlertEpisode> | undefined,
): FiringAlerts {
  const out: FiringAlerts = new Map();
  const triggers = policy.triggers.filter((t): t is AlertTriggerSpec => t.type === 'alert');
  if (!triggers.length || !episodes) return out;
  for (const t of triggers) {
    const byPod = new Map<string, { key: string; episode: AlertEpisode }>();
    for (const [key, ep] of Object.entries(episodes)) {
      if (ep.status !== 'firing' || ep.stale || !alertMatches(t, ep.labels)) continue;
      const pod = alertPodKey(t, ep.labels);
      const have = pod ? byPod.get(pod) : undefined;
      if (pod && (!have || have.episode.startsAtMs > ep.startsAtMs)) byPod.set(pod, { key, episode: ep });
    }
    out.set(t.name, byPod);
  }
  return out;
}

/** The alert trigger's sample for one pod: holds while an episode fires for it. */
export function alertSample(
  trigger: AlertTriggerSpec,
  firing: { key: string; episode: AlertEpisode } | undefined,
): Sample {
  if (!firing)
    return {
      holds: false,
      observed: 'not firing',
      threshold: 'firing',
      reason: `alert ${trigger.alertname} not firing`,
    };
  const since = new Date(firing.episode.startsAtMs).toISOString();
  return {
    holds: true,
    observed: 'firing',
    threshold: 'firing',
    reason: `alert ${trigger.alertname} firing since ${since}`,
  };
}

/** Verification's sample of an alert trigger: the episode must have resolved ("healed" needs it). */
export function alertVerifySample(trigger: AlertTriggerSpec, resolved: boolean): Sample {
  return resolved
    ? {
        holds: false,
        observed: 'resolved',
        threshold: 'firing',
        reason: `alert ${trigger.alertname} resolved`,
      }
    : {
        holds: true,
        observed: 'firing',
        threshold: 'firing',
        reason: `alert ${trigger.alertname} not resolved yet`,
      };
}

export function alertRef(key: string, episode: AlertEpisode): AlertRef {
  return {
    episode: key,
    alertname: episode.alertname,
    fingerprint: episode.fingerprint,
    startsAtMs: episode.startsAtMs,
  };
}

/**
 * Claims the firing episode behind an alert trigger's fire on `podKey` for the action being
 * planned (mutates the episode), so a resolution can be passed on to that action.
 */
export function claimEpisode(
  policy: NormalizedPolicy,
  episodes: Record<string, AlertEpisode> | undefined,
  trigger: AlertTriggerSpec,
  podKey: string,
  workflowId: string,
): AlertRef | undefined {
  const firing = firingAlerts({ ...policy, triggers: [trigger] }, episodes)
    .get(trigger.name)
    ?.get(podKey);
  if (!firing) return undefined;
  firing.episode.actionWorkflowId = workflowId;
  return alertRef(firing.key, firing.episode);
}
