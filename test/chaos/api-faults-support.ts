// What the API-faults chaos test counts: the destructive requests the API server accepted (its
// request log), the writes the HealingActions say they made, the pods the store saw terminate,
// and what /readyz answered while the faults ran.
import type { Client } from '@temporalio/client';
import type { HealingAction } from '../../crds/healing-action.js';
import { policyWorkflowId } from '../../domain/ids.js';
import { HEALING_ACTION_WORKFLOW } from '../../workflows/messages.js';
import type { RequestCounts } from '../../sim/api/index.js';
import type { Engine } from '../support/engine-harness.js';

/** "pod/<name>" or "deployment/<name>": what a destructive request or an action touched. */
export type TargetKey = string;

export interface DestructiveCalls {
  /** Requests the server carried out (2xx, not a dry run), by target. */
  accepted: Record<TargetKey, number>;
  /** Every destructive request that arrived, answered or not, by target. */
  asked: Record<TargetKey, number>;
}

export interface Comparison {
  /** Writes beyond what the actions say they did (a second eviction of one pod does nothing: see reasked). */
  duplicates: number;
  /** Writes an action says it made that the server never accepted. */
  missing: number;
  /** Evictions of a pod already evicted, accepted again after the first answer was lost: no effect. */
  reasked: number;
}

/** The server's accepted writes against the actions' own account, target by target. */
export function compareWrites(accepted: Record<TargetKey, number>, expected: ExpectedWrites): Comparison {
  const c: Comparison = { duplicates: 0, missing: 0, reasked: 0 };
  const targets = new Set([...Object.keys(accepted), ...Object.keys(expected.byTarget)]);
  for (const t of targets) {
    let got = accepted[t] ?? 0;
    const want = expected.byTarget[t] ?? 0;
    // A pod goes once: accepting its eviction again removes nothing more.
    if (t.startsWith('pod/') && got > 1) {
      c.reasked += got - 1;
      got = 1;
    }
    c.duplicates += Math.max(0, got - want);
    c.missing += Math.max(0, want - got);
  }
  return c;
}

const DESTRUCTIVE =
  /^(POST|PATCH|PUT|DELETE) \/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(pods|deployments)\/([^/]+)(\/eviction)?$/;

/** Evictions, pod deletes and Deployment writes in `namespace`, from the request log. */
export function destructiveCalls(
  counts: Pick<RequestCounts, 'byPathStatus'>,
  namespace: string,
): DestructiveCalls {
  const accepted: Record<TargetKey, number> = {};
  const asked: Record<TargetKey, number> = {};
  for (const [key, byStatus] of Object.entries(counts.byPathStatus)) {
    const m = DESTRUCTIVE.exec(key);
    if (!m || m[2] !== namespace) continue;
    const [, method, , plural, name, eviction] = m;
    if (plural === 'pods' && !(method === 'DELETE' || (method === 'POST' && eviction))) continue;
    const target = `${plural === 'pods' ? 'pod' : 'deployment'}/${name}`;
    for (const [status, n] of Object.entries(byStatus)) {
      asked[target] = (asked[target] ?? 0) + n;
      if (/^2\d\d$/.test(status)) accepted[target] = (accepted[target] ?? 0) + n;
    }
  }
  return { accepted, asked };
}

export interface ExpectedWrites {
  /** One write per action that executed, by target (a reverted patch adds its revert). */
  byTarget: Record<TargetKey, number>;
  evictions: number;
  scales: number;
}

/** An action executed when it reached Executing and did not end with nothing done. */
function executed(a: HealingAction): boolean {
  const s = a.status;
  if (!s?.executionTime) return false;
  if (s.phase === 'Skipped' || s.phase === 'DryRun') return false;
  return !(s.phase === 'Failed' && s.reason === 'ExecutionFailed');
}

/** What the HealingActions say was done: the writes the API server must have accepted, no more. */
export function expectedWrites(actions: HealingAction[]): ExpectedWrites {
  const out: ExpectedWrites = { byTarget: {}, evictions: 0, scales: 0 };
  for (const a of actions.filter(executed)) {
    const t = a.spec.targetResource;
    const key = `${t.kind.toLowerCase()}/${t.name}`;
    const reverted = /Reverted/.test(a.status?.reason ?? '') ? 1 : 0;
    out.byTarget[key] = (out.byTarget[key] ?? 0) + 1 + reverted;
    if (a.spec.action.type === 'restart' && t.kind === 'Pod') out.evictions++;
    if (a.spec.action.type === 'scale') out.scales++;
  }
  return out;
}

/** Pods of `app` the store saw start terminating or go (each counted once: a pod ends once). */
export function countTerminations(engine: Engine, app: string): { count(): number; stop(): void } {
  const ended = new Set<string>();
  const unsubscribe = engine.sim.store.subscribe((e) => {
    if (e.resource !== 'core/v1/pods' || e.object.metadata.namespace !== engine.namespace) return;
    if (e.object.metadata.labels?.app !== app) return;
    if (e.type === 'DELETED' || e.object.metadata.deletionTimestamp) ended.add(e.object.metadata.name!);
  });
  return { count: () => ended.size, stop: unsubscribe };
}

export interface Readiness {
  total: number;
  ready: number;
  /** Distinct reasons a 503 gave. */
  reasons: string[];
  /** 503s that gave no reason, and probes that got no answer at all. */
  silent: number;
  unanswered: number;
}

/** Polls /readyz every `everyMs` until stopped. */
export function probeReadiness(port: number, everyMs: number): { stop(): Readiness } {
  const r: Readiness = { total: 0, ready: 0, reasons: [], silent: 0, unanswered: 0 };
  const probe = async (): Promise<void> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.text()).trim();
      r.total++;
      if (res.status === 200) r.ready++;
      else if (/^not ready: .+/.test(body)) {
        const reason = body.replace(/^not ready: /, '');
        if (!r.reasons.includes(reason)) r.reasons.push(reason);
      } else r.silent++;
    } catch {
      r.total++;
      r.unanswered++;
    }
  };
  const timer = setInterval(() => void probe(), everyMs);
  return {
    stop: (): Readiness => {
      clearInterval(timer);
      return r;
    },
  };
}

/** Pairs of actions on one target whose lives overlapped (one open action per target is the rule). */
export function overlaps(actions: HealingAction[]): string[] {
  const byTarget = new Map<string, HealingAction[]>();
  for (const a of actions) {
    const t = a.spec.targetResource;
    const key = `${t.kind}/${t.name}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), a]);
  }
  const found: string[] = [];
  for (const list of byTarget.values()) {
    const sorted = list.sort((a, b) => Date.parse(a.status!.startTime!) - Date.parse(b.status!.startTime!));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const next = sorted[i]!;
      // RFC 3339 with seconds: an action started in the second the previous one ended is not an overlap.
      if (Date.parse(next.status!.startTime!) < Date.parse(prev.status!.completionTime!) - 1000)
        found.push(`${next.metadata.name} started before ${prev.metadata.name} ended`);
    }
  }
  return found;
}

/** Whether every named policy's workflow has ended (its CR was deleted: it is cancelled). */
/**
 * Healing-action workflows of the namespace still running. A started action whose HealingAction
 * create is still backing off after the faults has no record yet: "every record terminal" alone
 * would miss it, and it would appear after the count was taken.
 */
export async function actionsRunning(client: Client, namespace: string): Promise<number> {
  const query =
    `WorkflowType="${HEALING_ACTION_WORKFLOW}" AND KubeSkippyNamespace="${namespace}" ` +
    'AND ExecutionStatus="Running"';
  return (await client.workflow.count(query)).count;
}

export async function policiesEnded(
  client: Client,
  cluster: string,
  namespace: string,
  names: string[],
): Promise<boolean> {
  for (const name of names) {
    const d = await client.workflow.getHandle(policyWorkflowId(cluster, namespace, name)).describe();
    if (d.status.name === 'RUNNING') return false;
  }
  return true;
}
