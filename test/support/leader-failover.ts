// The leader-failover scenario, shared by the sim (test/chaos/leader-failover.test.ts) and the real
// control plane (test/real/leader-election.test.ts): two `kubeskippy operator --leader-elect`
// processes on one task queue, one Lease. A policy acts once (budget 1) and its action sits in
// Verifying for a while; the leader is SIGKILLed right then. The follower must take the Lease
// within the lease duration (plus its retry jitter), the action must end once, the API server
// must have received exactly the destructive writes the action records, and Temporal must hold one
// run of the policy workflow and one action workflow. A second policy applied after the takeover
// proves the new leader's controller maps CRs to workflows; at the end the new leader gets SIGTERM
// and must exit 0 having released the Lease.
import { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { DEFAULT_ELECTION_TIMINGS, JITTER_FACTOR } from '../../domain/leader-election.js';
import { policyWorkflowId } from '../../domain/ids.js';
import { isTerminalPhase } from '../../domain/state.js';
import type { KObject } from '../../sim/contract.js';
import { leaseStore } from '../../operator/leader/lease.js';
import { HEALING_ACTION_WORKFLOW } from '../../workflows/messages.js';
import { compareWrites, destructiveCalls, expectedWrites } from '../chaos/api-faults-support.js';
import { readyCliOperator } from './chaos.js';
import type { CliOperator, OperatorTarget } from './cli-operator.js';
import { eventually } from './engine-harness.js';
import { healingPolicy, sleep } from './engine-scenarios.js';
import { deployment } from './sim-fixtures.js';

export interface FailoverTarget extends OperatorTarget {
  namespace: string;
  /** Where the operators keep the Lease (their ServiceAccount may write Leases only there). */
  leaseNamespace: string;
  client: Client;
  apply(objects: KObject[]): Promise<void>;
  actions(): Promise<HealingAction[]>;
  /** What the API server received, keyed "METHOD path" → status → count. */
  requests(): Record<string, Record<string, number>>;
}

type Operator = CliOperator & { metricsPort: number; identity: string };

const T = DEFAULT_ELECTION_TIMINGS;
/** The test reads the gauge every 100 ms, over HTTP, on a loaded machine. */
const GAUGE_POLL_SLACK_MS = 500;
/** The follower saw the last renew at most one (jittered) retry after it, and takes the Lease at
 * most one retry after the lease duration from then: client-go's worst case. */
export const TAKEOVER_BOUND_MS =
  T.leaseDurationMs + 2 * JITTER_FACTOR * T.retryPeriodMs + GAUGE_POLL_SLACK_MS;

async function leaderGauge(op: Operator): Promise<number | undefined> {
  const text = await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  // Its one label is the cluster (a default label of every series).
  const m = /^kubeskippy_leader\{cluster="[^"]+"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function countRuns(client: Client, query: string): Promise<number> {
  let n = 0;
  for await (const wf of client.workflow.list({ query })) if (wf) n++;
  return n;
}

export interface FailoverFigures {
  takeoverMs: number;
  /** HealingActions of the evicting policy, and how many ended. */
  actions: number;
  terminal: number;
  /** Every HealingAction (the dry-run policy's too) and the creates the API server accepted. */
  records: number;
  duplicates: number;
  missing: number;
  recordCreates: number;
  policyRuns: number;
  actionRuns: number;
  /** After SIGTERM to the new leader: its exit code, and the Lease it left (released: no holder). */
  shutdown: { code: number | null; holder: string | undefined; leaseDurationSeconds: number | undefined };
}

/** SIGTERM (what the kubelet sends): the leader stops its controller and releases the Lease. */
async function shutDown(
  op: Operator,
  t: FailoverTarget,
  leaseId: string,
): Promise<FailoverFigures['shutdown']> {
  process.kill(op.pid, 'SIGTERM');
  const { code } = await op.exited;
  const kc = new KubeConfig();
  kc.loadFromFile(t.kubeconfig);
  const lease = await leaseStore(kc, { namespace: t.leaseNamespace, name: leaseId, timeoutMs: 10_000 }).get();
  return {
    code,
    holder: lease?.record.holderIdentity,
    leaseDurationSeconds: lease?.record.leaseDurationSeconds,
  };
}

export async function runLeaderFailover(
  t: FailoverTarget,
  children: CliOperator[],
): Promise<FailoverFigures> {
  const leaseId = `kubeskippy-controller-${t.namespace}`;
  const start = async (identity: string): Promise<Operator> => {
    const args = [
      '--leader-elect',
      '--leader-election-namespace',
      t.leaseNamespace,
      '--leader-election-id',
      leaseId,
    ];
    const op = await readyCliOperator(t, 90_000, { args, env: { POD_NAME: identity } });
    children.push(op);
    return { ...op, identity };
  };
  const ops = [await start('op-a'), await start('op-b')];
  const leader = await eventually(
    'one of the two operators leads',
    async () => {
      const g = await Promise.all(ops.map(leaderGauge));
      expect(g.filter((v) => v === 1).length, `gauges ${g.join(',')}`).toBeLessThanOrEqual(1);
      return g[0] === 1 ? ops[0] : g[1] === 1 ? ops[1] : undefined;
    },
    60_000,
    200,
  );
  const follower = ops.find((o) => o !== leader)!;
  expect(await leaderGauge(follower)).toBe(0);

  const app = 'lf-app';
  await t.apply([
    deployment(app, { replicas: 2 }),
    healingPolicy(t.namespace, 'lf-evict', app, {
      evaluationInterval: '2s',
      triggers: [{ name: 'ready', type: 'condition', conditionTrigger: { type: 'Ready', status: 'True' } }],
      actions: [
        { name: 'evict', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 0 } },
      ],
      // One action only, and a long verification: the kill lands while it is in flight.
      safetyRules: {
        maxActionsPerHour: 1,
        maxConcurrentActions: 1,
        ineffectiveRemediation: { enabled: false },
      },
      verification: { delay: '25s', interval: '2s', timeout: '60s', requireTriggerCleared: false },
    }),
  ]);
  await eventually(
    'the action is Verifying (its eviction done)',
    async () => (await t.actions()).some((a) => a.status?.phase === 'Verifying'),
    120_000,
    100,
  );
  const killedAt = Date.now();
  await leader.kill();
  const takeoverMs = await eventually(
    () => `the follower takes the Lease\n${follower.output().slice(-2000)}`,
    async () => ((await leaderGauge(follower)) === 1 ? Date.now() - killedAt : undefined),
    60_000,
    100,
  );
  console.log(
    `leader failover: ${leader.identity} killed, ${follower.identity} leads after ${takeoverMs} ms`,
  );

  // The new leader's controller works: a second policy (dry run: no writes) gets its workflow.
  await t.apply([
    healingPolicy(t.namespace, 'lf-after', app, {
      mode: 'dryrun',
      triggers: [{ name: 'ready', type: 'condition', conditionTrigger: { type: 'Ready', status: 'True' } }],
      actions: [{ name: 'evict', type: 'restart', restartAction: { strategy: 'evict' } }],
    }),
  ]);
  await eventually(
    'the new leader starts the second policy workflow',
    async () =>
      (await countRuns(
        t.client,
        `WorkflowId="${policyWorkflowId(t.config.clusterName, t.namespace, 'lf-after')}"`,
      )) === 1,
    60_000,
    500,
  );
  await eventually(
    () => `the action ends\n${follower.output().slice(-2000)}`,
    async () => {
      const actions = await t.actions();
      return actions.length > 0 && actions.every((a) => isTerminalPhase(a.status?.phase));
    },
    150_000,
    500,
  );
  await sleep(3000); // time for a wrongly repeated call or a second record to show
  const records = await t.actions();
  const actions = records.filter((a) => a.spec.policyRef.name === 'lf-evict');
  const writes = compareWrites(
    destructiveCalls({ byPathStatus: t.requests() }, t.namespace).accepted,
    expectedWrites(actions),
  );
  const creates = Object.entries(t.requests())
    .filter(([k]) => k === `POST /apis/kubeskippy.io/v1alpha1/namespaces/${t.namespace}/healingactions`)
    .reduce((n, [, byStatus]) => n + (byStatus['201'] ?? 0), 0);
  const policyRuns = await countRuns(
    t.client,
    `WorkflowId="${policyWorkflowId(t.config.clusterName, t.namespace, 'lf-evict')}"`,
  );
  const actionRuns = await countRuns(
    t.client,
    `KubeSkippyNamespace="${t.namespace}" AND KubeSkippyPolicy="lf-evict" AND WorkflowType="${HEALING_ACTION_WORKFLOW}"`,
  );
  return {
    shutdown: await shutDown(follower, t, leaseId),
    takeoverMs,
    actions: actions.length,
    records: records.length,
    terminal: actions.filter((a) => isTerminalPhase(a.status?.phase)).length,
    duplicates: writes.duplicates + writes.reasked,
    missing: writes.missing,
    recordCreates: creates,
    policyRuns,
    actionRuns,
  };
}

/** The figures printed and held to exactly once. */
export function expectExactlyOnce(f: FailoverFigures, tier: string): void {
  console.log(
    `leader failover (${tier}): takeover ${f.takeoverMs} ms (bound ${TAKEOVER_BOUND_MS} ms = lease ` +
      `${T.leaseDurationMs} + 2 × 1.2 × retry ${T.retryPeriodMs} + ${GAUGE_POLL_SLACK_MS} poll); actions ${f.actions}, terminal ${f.terminal}; ` +
      `destructive calls beyond the records ${f.duplicates}, missing ${f.missing}; HealingAction creates ` +
      `${f.recordCreates} for ${f.records} records; policy workflow runs ${f.policyRuns}; action workflow runs ${f.actionRuns}; ` +
      `after SIGTERM exit ${f.shutdown.code}, Lease holder "${f.shutdown.holder}" for ${f.shutdown.leaseDurationSeconds} s`,
  );
  expect(f.takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
  expect(f.recordCreates, 'each HealingAction created once').toBe(f.records);
  expect(f).toMatchObject({
    actions: 1,
    terminal: 1,
    duplicates: 0,
    missing: 0,
    policyRuns: 1,
    actionRuns: 1,
    // Released on a graceful stop: no holder, one second, so the next replica need not wait 15 s.
    shutdown: { code: 0, holder: '', leaseDurationSeconds: 1 },
  });
}
