// Part 4 of issue 13's chaos suite, for any cluster (the sim or the real control plane): hostile
// HealingPolicies through kubectl while one operator process (`kubeskippy operator`) runs, then
// what became of each document, the operator's health and memory, and the workflows in Temporal.
//
//   generate (fixed seed) ─▶ kubectl apply, batched ─▶ wait: every stored policy has Ready
//        ─▶ classify (refused / Ready=False naming a field / Ready=True and valid)
//        ─▶ Temporal: no workflow left failing, none for an invalid policy ─▶ RSS ─▶ delete all
//        ─▶ every workflow ends
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import type { Kube } from '../../../activities/kube/clients.js';
import { parsePolicyWorkflowId } from '../../../domain/ids.js';
import type { CliOperator } from '../../support/cli-operator.js';
import { eventually } from '../../support/engine-harness.js';
import { applyInBatches, deleteAll, type ApplyVerdict } from './apply.js';
import type { HostileDocument } from './generate.js';
import { disagreement, outcomeOf, readyOf, type Outcome, type StoredPolicy } from './outcomes.js';

export interface HostileTarget {
  /** The admin's kubeconfig: kubectl runs with it. */
  kubeconfig: string;
  namespace: string;
  kube: Kube;
  client: Client;
  operator: CliOperator;
}

export interface HostileFigures {
  total: number;
  refused: number;
  invalid: number;
  valid: number;
  crashes: number;
  stuck: number;
  rssBeforeMb: number;
  /** After the policies were deleted and their workflows ended (the worker's cache emptied). */
  rssAfterMb: number;
  /** While every policy existed: the cached workflows of the valid ones. */
  rssPeakMb: number;
  /** Heap after a full collection, before the documents and after they were all deleted. */
  heapBeforeMb: number;
  heapAfterMb: number;
  /** Documents that reached none of the three ends, with why. */
  unexplained: string[];
  /** Where the API server and zod judged differently. */
  disagreements: string[];
  /** Workflows left failing, running for an invalid policy, or running after the delete. */
  stuckWorkflows: string[];
  /** What the operator printed that is not a log line, or is a fatal one. */
  operatorErrors: string[];
  timings: Record<string, number>;
}

/** Node flags that preload ./heap-probe.js into the operator process. */
export const HEAP_PROBE_ARGS = [
  '--expose-gc',
  '--import',
  fileURLToPath(new URL('./heap-probe.js', import.meta.url)),
];

/** The operator's heap after a full collection (MB), from the probe's next log line. */
export async function heapMb(operator: CliOperator): Promise<number> {
  const seen = operator.output().split('heap probe').length;
  process.kill(operator.pid, 'SIGWINCH');
  const line = await eventually(
    'the heap probe to answer',
    () => (operator.output().split('heap probe').length > seen ? operator.output() : undefined),
    10_000,
    100,
  );
  const probes = line.split('\n').filter((l) => l.includes('"heap probe"'));
  return Math.round((JSON.parse(probes.at(-1)!) as { heapUsed: number }).heapUsed / 2 ** 20);
}

export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

async function storedPolicies(kube: Kube, namespace: string): Promise<Map<string, StoredPolicy>> {
  const list = (await kube.custom.listNamespacedCustomObject({
    group: 'kubeskippy.io',
    version: 'v1alpha1',
    namespace,
    plural: 'healingpolicies',
  })) as { items: StoredPolicy[] };
  return new Map(list.items.map((p) => [p.metadata.name, p]));
}

const judged = (p: StoredPolicy): boolean => {
  const ready = readyOf(p);
  return ready !== undefined && (ready.observedGeneration ?? p.metadata.generation) === p.metadata.generation;
};

/** Every stored policy has a Ready condition for its generation, within `timeoutMs`. */
async function waitForReady(target: HostileTarget, timeoutMs: number): Promise<Map<string, StoredPolicy>> {
  let last = new Map<string, StoredPolicy>();
  await eventually(
    () =>
      `a Ready condition on every policy; still without: ${[...last.values()]
        .filter((p) => !judged(p))
        .map((p) => p.metadata.name)
        .slice(0, 20)
        .join(', ')}`,
    async () => {
      last = await storedPolicies(target.kube, target.namespace);
      return [...last.values()].every(judged);
    },
    timeoutMs,
    2000,
  ).catch(() => undefined); // the ones still without are reported as unexplained
  return last;
}

async function runningWorkflows(client: Client, namespace: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({
    query: `KubeSkippyNamespace="${namespace}" AND ExecutionStatus="Running"`,
  }))
    ids.push(wf.workflowId);
  return ids;
}

/** A running workflow is stuck when its policy is not Ready=True, or something in it keeps failing. */
async function stuckWorkflows(target: HostileTarget, stored: Map<string, StoredPolicy>): Promise<string[]> {
  const stuck: string[] = [];
  for (const id of await runningWorkflows(target.client, target.namespace)) {
    const name = parsePolicyWorkflowId(id)?.name ?? id;
    const policy = stored.get(name);
    if (!policy || readyOf(policy)?.status !== 'True')
      stuck.push(`${id}: running, but its policy is not Ready=True`);
    const { raw } = await target.client.workflow.getHandle(id).describe();
    const failing = (raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 3);
    for (const a of failing)
      stuck.push(`${id}: activity ${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message}`);
    if ((raw.pendingWorkflowTask?.attempt ?? 1) > 2)
      stuck.push(`${id}: workflow task attempt ${raw.pendingWorkflowTask?.attempt}`);
  }
  return stuck;
}

/** Output of the operator that is not one of its JSON log lines (an uncaught error's stack), or fatal. */
function operatorErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim())
    .filter((l) => {
      try {
        return (JSON.parse(l) as { level?: number }).level! >= 60;
      } catch {
        return true;
      }
    })
    .map((l) => l.slice(0, 300));
}

function tally(outcomes: Outcome[]): Pick<HostileFigures, 'refused' | 'invalid' | 'valid'> {
  const n = (end: Outcome['end']): number => outcomes.filter((o) => o.end === end).length;
  return { refused: n('refused'), invalid: n('invalid'), valid: n('valid') };
}

export async function runHostilePolicies(
  target: HostileTarget,
  opts: { docs: HostileDocument[]; batchSize: number; parallel: number; readyTimeoutMs: number },
): Promise<HostileFigures> {
  const t0 = Date.now();
  const mark = (timings: Record<string, number>, step: string): void =>
    void (timings[step] = Date.now() - t0);
  const timings: Record<string, number> = {};
  const heapBeforeMb = await heapMb(target.operator);
  const rssBeforeMb = await rssMb(target.operator.pid);
  const verdicts: Map<string, ApplyVerdict> = await applyInBatches({
    kubeconfig: target.kubeconfig,
    ...opts,
  });
  mark(timings, 'applied');
  const stored = await waitForReady(target, opts.readyTimeoutMs);
  mark(timings, 'ready');
  const outcomes = opts.docs.map((d) => ({ d, o: outcomeOf(verdicts.get(d.name), stored.get(d.name)) }));
  const unexplained = outcomes.flatMap(({ d, o }) =>
    o.end === 'unexplained' ? [`${d.name} (${d.origin}): ${o.why}`] : [],
  );
  const disagreements = opts.docs.flatMap((d) => {
    const found = disagreement(d, verdicts.get(d.name), stored.get(d.name));
    return found ? [`${d.name} (${d.origin}): ${found}`] : [];
  });
  const stuck = await stuckWorkflows(target, stored);
  mark(timings, 'checked');
  const rssPeakMb = await rssMb(target.operator.pid).catch(() => NaN);
  await deleteAll(target.kubeconfig, target.namespace);
  let left: string[] = [];
  await eventually(
    'every workflow of the deleted policies to end',
    async () => (left = await runningWorkflows(target.client, target.namespace)).length === 0,
    60_000,
    1000,
  ).catch(() => undefined);
  mark(timings, 'deleted');
  const rssAfterMb = await rssMb(target.operator.pid).catch(() => NaN);
  const heapAfterMb = await heapMb(target.operator).catch(() => NaN);
  const exited = await Promise.race([target.operator.exited.then(() => 1), Promise.resolve(0)]);
  const errors = operatorErrors(target.operator.output());
  return {
    total: opts.docs.length,
    ...tally(outcomes.map(({ o }) => o)),
    crashes: exited + (errors.length ? 1 : 0),
    stuck: stuck.length + left.length,
    rssBeforeMb,
    rssAfterMb,
    rssPeakMb,
    heapBeforeMb,
    heapAfterMb,
    unexplained,
    disagreements,
    stuckWorkflows: [...stuck, ...left.map((id) => `${id}: still running after its policy was deleted`)],
    operatorErrors: errors,
    timings,
  };
}

export const figuresLine = (f: HostileFigures): string =>
  `chaos: ${f.total} hostile policies, ${f.refused} refused by the API server, ${f.invalid} Ready=False naming a field, ` +
  `${f.valid} valid, ${f.crashes} crashes, ${f.stuck} stuck, rss ${f.rssBeforeMb}→${f.rssAfterMb} MB`;

/** Prints the figures (and what went wrong, by name) and holds the run to them. */
export function reportAndAssert(
  f: HostileFigures,
  opts: { seed: number; maxRssGrowthMb: number; maxHeapGrowthMb: number; cel: boolean },
): void {
  // Without CEL (the sim) zod alone judges the rules between fields: the server accepting what zod
  // refuses is the design there. A server refusing what zod accepts is a disagreement anywhere.
  const disagreements = f.disagreements.filter((d) => opts.cel || d.includes('the API server refuses'));
  console.log(figuresLine(f));
  console.log(
    `chaos: seed ${opts.seed} (KUBESKIPPY_CHAOS_SEED), rss peak ${f.rssPeakMb} MB, ` +
      `heap after gc ${f.heapBeforeMb}→${f.heapAfterMb} MB, ` +
      `${disagreements.length} API server/zod disagreements, timings ms ${JSON.stringify(f.timings)}`,
  );
  for (const [what, list] of [
    ['unexplained', f.unexplained],
    ['API server vs zod', disagreements],
    ['stuck', f.stuckWorkflows],
    ['operator', f.operatorErrors],
  ] as const)
    for (const line of list.slice(0, 25)) console.log(`chaos: ${what}: ${line}`);
  expect(f.unexplained).toEqual([]);
  expect(f.refused + f.invalid + f.valid).toBe(f.total);
  expect(f.operatorErrors).toEqual([]);
  expect(f.crashes).toBe(0);
  expect(f.stuckWorkflows).toEqual([]);
  expect(f.stuck).toBe(0);
  expect(disagreements).toEqual([]);
  // Each kind of end is reached, or the generator has stopped being hostile (or valid).
  expect(Math.min(f.refused, f.invalid, f.valid)).toBeGreaterThan(0);
  // RSS keeps its high-water mark (the valid policies' workflows were all cached at once); the
  // heap after a collection shows what the operator still holds once they are gone.
  expect(f.rssAfterMb - f.rssBeforeMb).toBeLessThan(opts.maxRssGrowthMb);
  expect(f.heapAfterMb - f.heapBeforeMb).toBeLessThan(opts.maxHeapGrowthMb);
}
