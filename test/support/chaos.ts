// Shared pieces of the chaos tests (test/chaos/): a seeded random source (the seed is printed and
// can be forced, so a failing run can be replayed), an operator child process that is ready before
// it is killed, and the audit that counts destructive calls where they land: at the API server.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealingAction } from '../../crds/healing-action.js';
import { isTerminalPhase } from '../../domain/state.js';
import { HEALING_ACTION_WORKFLOW } from '../../workflows/messages.js';
import { findFreePort } from '../../tools/dev-server.js';
import { spawnCliOperator, type CliOperator, type OperatorTarget } from './cli-operator.js';
import { eventually, workflowBundle, type Engine } from './engine-harness.js';

/** mulberry32: small, fast and good enough to spread kill moments; the same seed, the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from `envVar` when set (to replay a failure), else a fresh one; printed either way. */
export function chaosSeed(envVar: string): number {
  const forced = process.env[envVar];
  const seed = forced ? Number(forced) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`${envVar}=${forced} is not an integer seed`);
  console.log(`chaos seed ${seed} (replay with ${envVar}=${seed})`);
  return seed;
}

let bundleFile: Promise<string> | undefined;

/**
 * The workflow bundle written once to a file for KUBESKIPPY_WORKFLOW_BUNDLE: each of the twenty
 * restarts would otherwise spend ~10 s bundling, and the kills must land on a working operator.
 */
function workflowBundleFile(): Promise<string> {
  bundleFile ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-bundle-'));
    const file = join(dir, 'workflows.js');
    await writeFile(file, (await workflowBundle()).code);
    return file;
  })();
  return bundleFile;
}

/** `kubeskippy operator` (or `worker`, `controller`) as a child process, returned once /readyz answers 200. */
export async function readyCliOperator(
  engine: OperatorTarget,
  timeoutMs = 60_000,
  more: {
    args?: string[];
    env?: Record<string, string>;
    command?: 'operator' | 'worker' | 'controller';
  } = {},
): Promise<CliOperator & { metricsPort: number }> {
  const metricsPort = await findFreePort();
  const env = { KUBESKIPPY_WORKFLOW_BUNDLE: await workflowBundleFile(), ...more.env };
  const child = spawnCliOperator(engine, more.command ?? 'operator', {
    metricsPort,
    env,
    ...(more.args ? { args: more.args } : {}),
  });
  let exited = false;
  void child.exited.then(() => (exited = true));
  try {
    await eventually(
      () => `operator ${child.pid} ready\n${child.output()}`,
      async () => {
        if (exited) throw new Error(`operator ${child.pid} exited while starting:\n${child.output()}`);
        const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    await child.kill();
    throw err;
  }
  return { ...child, metricsPort };
}

/** Destructive requests the API server received, per object, read from the sim's request log. */
export interface DestructiveCalls {
  /** Pod name → evictions (POST …/eviction) plus deletes (DELETE …/pods/<name>). */
  pods: Map<string, number>;
  /** Deployment name → PATCHes that were not server-side dry runs (scales, patches, reverts). */
  deployments: Map<string, number>;
}

export function destructiveCalls(engine: Engine): DestructiveCalls {
  const ns = engine.namespace;
  const pod = new RegExp(`^(?:POST|DELETE) /api/v1/namespaces/${ns}/pods/([^/]+)(/eviction)?$`);
  const deploy = new RegExp(`^PATCH /apis/apps/v1/namespaces/${ns}/deployments/([^/]+)(/scale)?$`);
  const calls: DestructiveCalls = { pods: new Map(), deployments: new Map() };
  for (const [key, n] of Object.entries(engine.sim.requests())) {
    const p = pod.exec(key);
    // A bare POST on a pod path is not destructive; only its eviction subresource is.
    if (p && (key.startsWith('DELETE') || p[2])) calls.pods.set(p[1]!, (calls.pods.get(p[1]!) ?? 0) + n);
    const d = deploy.exec(key);
    if (d) calls.deployments.set(d[1]!, (calls.deployments.get(d[1]!) ?? 0) + n);
  }
  return calls;
}

/**
 * How many destructive calls an action's own record says it made, as [fewest, most]: one for its
 * executor, plus one for a revert; an execution that failed or found its target gone may or may not
 * have reached the API server.
 */
export function expectedCalls(a: HealingAction): [number, number] {
  if (!a.status?.executionTime) return [0, 0]; // never reached Executing: nothing may have been touched
  const { phase, reason } = a.status;
  if (reason === 'ExecutionFailed' || reason === 'TargetGone') return [0, 1];
  if (a.spec.action.type === 'patch' && reason === 'NotHealedReverted') return [2, 2];
  return phase === 'Executing' ? [0, 1] : [1, 1];
}

export interface ChaosAudit {
  /** Calls beyond what the actions account for (a second eviction, a scale applied twice, …). */
  duplicates: number;
  /** Actions started but never terminal, or whose remediation left no call (or lost its revert). */
  lost: number;
  terminal: number;
  total: number;
  /** One line per problem, for the failure message. */
  problems: string[];
}

/**
 * Compares what the API server received with what the HealingActions record. `started` is every
 * healing-action workflow id Temporal knows of in the namespace: each must have a terminal record.
 */
export function auditActions(engine: Engine, started: string[]): ChaosAudit {
  const actions = engine.actions();
  const calls = destructiveCalls(engine);
  const problems: string[] = [];
  const expected = {
    pods: new Map<string, [number, number]>(),
    deployments: new Map<string, [number, number]>(),
  };
  for (const a of actions) {
    const { kind, name } = a.spec.targetResource;
    const into = kind === 'Pod' ? expected.pods : expected.deployments;
    const [lo, hi] = into.get(name) ?? [0, 0];
    const [min, max] = expectedCalls(a);
    into.set(name, [lo + min, hi + max]);
  }
  let duplicates = 0;
  let missing = 0;
  for (const kind of ['pods', 'deployments'] as const) {
    const names = new Set([...calls[kind].keys(), ...expected[kind].keys()]);
    for (const name of names) {
      const got = calls[kind].get(name) ?? 0;
      const [min, max] = expected[kind].get(name) ?? [0, 0];
      if (got > max)
        problems.push(`${kind} ${name}: ${got} destructive calls, the records account for ${max}`);
      if (got < min) problems.push(`${kind} ${name}: ${got} destructive calls, the records say ${min}`);
      duplicates += Math.max(0, got - max);
      missing += Math.max(0, min - got);
    }
  }
  const byWorkflow = new Map(actions.map((a) => [a.status?.workflowId, a]));
  let lost = missing;
  for (const id of started) {
    const a = byWorkflow.get(id);
    if (!a || !isTerminalPhase(a.status?.phase)) {
      lost++;
      problems.push(`${id}: ${a ? `still ${a.status?.phase}` : 'no HealingAction'}`);
    }
  }
  // A patch that did not heal must not stay applied: a Failed patch without its revert lost a step.
  for (const a of actions) {
    if (
      a.spec.action.type === 'patch' &&
      a.status?.phase === 'Failed' &&
      a.status.reason !== 'NotHealedReverted'
    ) {
      lost++;
      problems.push(`${a.metadata.name}: Failed ${a.status.reason} without its revert: ${a.status.message}`);
    }
  }
  const terminal = actions.filter((a) => isTerminalPhase(a.status?.phase)).length;
  return { duplicates, lost, terminal, total: Math.max(actions.length, started.length), problems };
}

/** Every healing-action workflow Temporal has started for the engine's namespace. */
export async function startedActionWorkflows(engine: Engine): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of engine.client.workflow.list({
    query: `KubeSkippyNamespace="${engine.namespace}" AND WorkflowType="${HEALING_ACTION_WORKFLOW}"`,
  })) {
    ids.push(wf.workflowId);
  }
  return ids;
}

/** One line per HealingAction, for failure messages. */
export function describeAll(engine: Engine): string {
  return engine
    .actions()
    .map(
      (a) =>
        `${a.spec.policyRef.name} ${a.spec.action.name} ${a.spec.targetResource.name}: ` +
        `${a.status?.phase} ${a.status?.reason ?? ''} ${a.status?.message ?? ''}`,
    )
    .join('\n');
}
