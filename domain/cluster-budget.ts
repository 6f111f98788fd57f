// The cluster's ledger: the kill switch and the budget all policies share, judged in one place (the
// cluster workflow, workflows/cluster-workflow.ts) so that no two policies can both take the last
// slot. Pure and plain JSON: the workflow carries it through continue-as-new.
//
//   policy plans an action ──admit(id, namespace)──▶ suspended?            → Suspended
//                                                    running ≥ max?        → ClusterBudget (bound named)
//                                                    running in ns ≥ max?  → ClusterBudget
//                                                    started this hour ≥ max? → ClusterBudget
//                                                    else: running[id], starts += id → ok
//   action ends ──release(id)──▶ running[id] removed (the hour's start stays: attempts count)
//
// Admission is idempotent by the action's workflow id: asking again for an id already admitted
// (an activity retry, a replayed update) answers ok without counting it twice.

/** Settings the controller reads from the KubeSkippyConfig named `cluster` (crds/cluster-config.ts). */
export interface ClusterSettings {
  suspended: boolean;
  reason?: string;
  budget: { maxActionsPerHour?: number; maxConcurrentActions?: number; maxPerNamespace?: number };
  /** metadata.generation of the KubeSkippyConfig these came from. */
  generation?: number;
}

export const OPEN_CLUSTER: ClusterSettings = { suspended: false, budget: {} };

export interface ClusterLedger {
  version: 1;
  /** Action workflow id → the target's namespace and when it was admitted. */
  running: Record<string, { namespace: string; admittedMs: number }>;
  /** Admissions of the last hour (pruned), oldest first. */
  starts: { ms: number; id: string }[];
  /** Refused admissions by reason, since the workflow's chain began. */
  refusals: Record<string, number>;
  admitted: number;
}

export interface AdmitRequest {
  workflowId: string;
  /** The namespace of the object the action changes. */
  namespace: string;
}

export type ClusterRefusalReason = 'Suspended' | 'ClusterBudget';
export type AdmitVerdict = { ok: true } | { ok: false; reason: ClusterRefusalReason; message: string };

const HOUR_MS = 3_600_000;
/**
 * An action that never said it ended (terminated from outside, its release signal lost) stops
 * holding a slot after this long; every real action ends long before (approval and verification
 * timeouts are bounded well below it).
 */
export const RUNNING_EXPIRY_MS = 6 * HOUR_MS;

export function emptyLedger(): ClusterLedger {
  return { version: 1, running: {}, starts: [], refusals: {}, admitted: 0 };
}

/** Drops the starts older than an hour and the running entries past their expiry. */
export function pruneLedger(ledger: ClusterLedger, nowMs: number): ClusterLedger {
  const running: ClusterLedger['running'] = {};
  for (const [id, r] of Object.entries(ledger.running))
    if (r.admittedMs > nowMs - RUNNING_EXPIRY_MS) running[id] = r;
  return { ...ledger, running, starts: ledger.starts.filter((s) => s.ms > nowMs - HOUR_MS) };
}

function runningIn(ledger: ClusterLedger, namespace: string): number {
  let n = 0;
  for (const r of Object.values(ledger.running)) if (r.namespace === namespace) n++;
  return n;
}

/** The refusal for one new action, or undefined when it may start. */
export function clusterRefusal(
  ledger: ClusterLedger,
  settings: ClusterSettings,
  req: AdmitRequest,
): AdmitVerdict | undefined {
  if (settings.suspended) {
    const why = settings.reason ? `: ${settings.reason}` : '';
    return {
      ok: false,
      reason: 'Suspended',
      message: `the cluster is suspended (KubeSkippyConfig cluster spec.suspended)${why}`,
    };
  }
  const { maxActionsPerHour, maxConcurrentActions, maxPerNamespace } = settings.budget;
  const running = Object.keys(ledger.running).length;
  const refuse = (message: string): AdmitVerdict => ({ ok: false, reason: 'ClusterBudget', message });
  if (maxConcurrentActions !== undefined && running >= maxConcurrentActions)
    return refuse(
      `cluster budget: ${running} of ${maxConcurrentActions} actions running (clusterBudget.maxConcurrentActions)`,
    );
  const inNs = maxPerNamespace !== undefined ? runningIn(ledger, req.namespace) : 0;
  if (maxPerNamespace !== undefined && inNs >= maxPerNamespace)
    return refuse(
      `cluster budget: ${inNs} of ${maxPerNamespace} actions running in namespace ${req.namespace} (clusterBudget.maxPerNamespace)`,
    );
  const hour = ledger.starts.length;
  if (maxActionsPerHour !== undefined && hour >= maxActionsPerHour)
    return refuse(
      `cluster budget: ${hour} of ${maxActionsPerHour} actions started in the last hour (clusterBudget.maxActionsPerHour)`,
    );
  return undefined;
}

/** Judges the requests in order (each admission counts for the next); the ledger is not mutated. */
export function admitActions(
  ledger: ClusterLedger,
  settings: ClusterSettings,
  requests: readonly AdmitRequest[],
  nowMs: number,
): { ledger: ClusterLedger; verdicts: Record<string, AdmitVerdict> } {
  const next = pruneLedger(ledger, nowMs);
  next.running = { ...next.running };
  next.starts = [...next.starts];
  next.refusals = { ...next.refusals };
  const verdicts: Record<string, AdmitVerdict> = {};
  for (const req of requests) {
    const id = req.workflowId;
    // Already admitted (a retry): ok again, counted once.
    if (next.running[id] || next.starts.some((s) => s.id === id)) {
      verdicts[id] = { ok: true };
      continue;
    }
    const refusal = clusterRefusal(next, settings, req);
    if (refusal) {
      verdicts[id] = refusal;
      if (!refusal.ok) next.refusals[refusal.reason] = (next.refusals[refusal.reason] ?? 0) + 1;
      continue;
    }
    next.running[id] = { namespace: req.namespace, admittedMs: nowMs };
    next.starts.push({ ms: nowMs, id });
    next.admitted += 1;
    verdicts[id] = { ok: true };
  }
  return { ledger: next, verdicts };
}

/** The action ended: its slot is free (its start still counts for the hour). */
export function releaseAction(ledger: ClusterLedger, workflowId: string): ClusterLedger {
  if (!ledger.running[workflowId]) return ledger;
  const running = { ...ledger.running };
  delete running[workflowId];
  return { ...ledger, running };
}

export interface ClusterView {
  settings: ClusterSettings;
  actionsInLastHour: number;
  runningActions: number;
  busiestNamespace?: string;
  busiestNamespaceActions?: number;
  refusals: Record<string, number>;
  admitted: number;
}

/** What the cluster workflow answers to its status query (the controller mirrors it into the CR). */
export function clusterView(ledger: ClusterLedger, settings: ClusterSettings, nowMs: number): ClusterView {
  const pruned = pruneLedger(ledger, nowMs);
  const perNs = new Map<string, number>();
  for (const r of Object.values(pruned.running)) perNs.set(r.namespace, (perNs.get(r.namespace) ?? 0) + 1);
  let busiest: [string, number] | undefined;
  for (const [ns, n] of [...perNs].sort()) if (!busiest || n > busiest[1]) busiest = [ns, n];
  return {
    settings,
    actionsInLastHour: pruned.starts.length,
    runningActions: Object.keys(pruned.running).length,
    ...(busiest ? { busiestNamespace: busiest[0], busiestNamespaceActions: busiest[1] } : {}),
    refusals: pruned.refusals,
    admitted: pruned.admitted,
  };
}
