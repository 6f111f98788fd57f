// Chaos 7, approval integrity, on the engine: an approval that arrives twice, one after the
// approval timeout, one for the wrong action id, and one forged through an annotation by someone
// who may only annotate HealingActions. Each decision takes effect exactly once (or not at all),
// counted as DELETE requests for the target pod at the API server, and the HealingAction records
// who decided and when — for an annotation, never the free-text name the annotator wrote.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { approveActionUpdate, type ApprovalInput } from '../../workflows/messages.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionNamed,
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  sleep,
} from '../support/engine-scenarios.js';
import { kubectlFor } from '../support/kubectl.js';
import { deployment } from '../support/sim-fixtures.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(() => engine?.stop());

function manualPolicy(
  name: string,
  app: string,
  approvalTimeout: string,
  actions: number,
): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, name, app, {
    mode: 'manual',
    triggers: [alwaysTrue('busy', { cooldownPeriod: '10m' })],
    actions: [
      { name: 'delete-pod', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    safetyRules: {
      approvalTimeout,
      minReadyReplicas: 0,
      maxConcurrentActions: actions,
      maxActionsPerHour: actions,
    },
    verification: { delay: '1s', timeout: '15s', interval: '1s', requireTriggerCleared: false },
  });
}

const awaiting = (policy: string, n: number): Promise<HealingAction[]> =>
  eventually(
    () => `${n} actions of ${policy} awaiting approval: ${describeActions(engine, policy)}`,
    () => {
      const all = actionsOf(engine, policy).filter((a) => a.status?.phase === 'AwaitingApproval');
      return all.length === n
        ? all.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))
        : undefined;
    },
    45_000,
  );

const finished = (a: HealingAction): Promise<HealingAction> =>
  eventually(
    () => `${a.metadata.name} to finish: ${JSON.stringify(actionNamed(engine, a.metadata.name!)?.status)}`,
    () => {
      const now = actionNamed(engine, a.metadata.name!);
      return now?.status?.completionTime ? now : undefined;
    },
    45_000,
  );

/** DELETE requests the API server received for the action's target pod: its executions. */
const deletes = (a: HealingAction): number =>
  engine.sim.requests()[`DELETE /api/v1/namespaces/${engine.namespace}/pods/${a.spec.targetResource.name}`] ??
  0;

const decide = (
  a: HealingAction,
  input: ApprovalInput,
  workflowId = a.status!.workflowId!,
): Promise<unknown> =>
  engine.client.workflow.getHandle(workflowId).executeUpdate(approveActionUpdate, { args: [input] });

const annotate = (a: HealingAction, ...kv: string[]): Promise<string> =>
  kubectlFor(engine.kubeconfig)(
    '-n',
    engine.namespace,
    'annotate',
    'healingaction',
    a.metadata.name!,
    ...kv,
    '--overwrite',
  );

/** `kubeskippy action approve <ref>` as a user runs it: its exit code and what it printed. */
async function cliApprove(ref: string): Promise<{ code: number; out: string }> {
  const args = [
    bin,
    'action',
    'approve',
    ref,
    '--by',
    'dave',
    '--temporal-address',
    engine.config.temporalAddress,
  ];
  try {
    const { stdout } = await run(process.execPath, [
      ...args,
      '--temporal-namespace',
      engine.config.temporalNamespace,
      '--cluster-name',
      engine.config.clusterName,
    ]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface Outcome {
  name: string;
  executions: number;
  expected: number;
  decider: { by?: string; at?: string };
  expectedBy: string;
}

describe('chaos: approval integrity', () => {
  it('twice, late, wrong id, forged: exactly once, and the record says who decided', async () => {
    const started = Date.now();
    engine.apply([
      deployment('gate-app', { replicas: 3, behaviour: { behavior: 'healthy' } }),
      deployment('late-app', { replicas: 1, behaviour: { behavior: 'healthy' } }),
      manualPolicy('gate', 'gate-app', '90s', 3),
      manualPolicy('gate-late', 'late-app', '4s', 1),
    ]);
    const [twice, wrong, forged] = (await awaiting('gate', 3)) as [
      HealingAction,
      HealingAction,
      HealingAction,
    ];
    const [late] = (await awaiting('gate-late', 1)) as [HealingAction];
    const outcomes: Outcome[] = [];

    // 1. Twice: two approvals at once, then a third by annotation. One is accepted.
    const both = await Promise.allSettled([
      decide(twice, { decision: 'approve', by: 'alice', comment: 'first' }),
      decide(twice, { decision: 'approve', by: 'bob', comment: 'second' }),
    ]);
    expect(
      both.filter((r) => r.status === 'fulfilled'),
      JSON.stringify(both),
    ).toHaveLength(1);
    const winner = both[0]!.status === 'fulfilled' ? 'alice' : 'bob';
    await annotate(twice, 'kubeskippy.io/approve=true');

    // 3. Wrong action id: a typo'd workflow id and a typo'd name through the CLI are refused, and
    // the right action is still waiting, untouched.
    await expect(
      decide(wrong, { decision: 'approve', by: 'carol' }, `${wrong.status!.workflowId}-typo`),
    ).rejects.toThrow();
    const cli = await cliApprove(`${engine.namespace}/${wrong.metadata.name}-typo`);
    expect(cli, cli.out).toMatchObject({ code: 1 });
    expect(cli.out).toMatch(/no running healing action/);
    await sleep(1000);
    expect(actionNamed(engine, wrong.metadata.name!)?.status?.phase).toBe('AwaitingApproval');
    expect(deletes(wrong)).toBe(0);
    await decide(wrong, { decision: 'approve', by: 'carol', comment: 'the right one' });

    // 4. Forged: someone who may only annotate writes approve=true and claims to be alice.
    await annotate(forged, 'kubeskippy.io/approve=true', 'kubeskippy.io/approved-by=alice');

    // 2. Late: nobody decided in time; an approval after the expiry is refused, by update and by
    // annotation, and nothing runs.
    const expired = await finished(late);
    expect(expired.status).toMatchObject({ phase: 'Rejected', reason: 'ApprovalExpired' });
    await expect(decide(late, { decision: 'approve', by: 'erin' })).rejects.toThrow();
    await annotate(late, 'kubeskippy.io/approve=true');

    for (const [a, expected, expectedBy] of [
      [twice, 1, winner],
      [wrong, 1, 'carol'],
      [forged, 1, 'annotation'],
    ] as const) {
      const done = await finished(a);
      expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
      outcomes.push({
        name: a.metadata.name!,
        executions: deletes(a),
        expected,
        decider: done.status!.approval!,
        expectedBy,
      });
    }
    // The forged claim is on the record, as a claim, never as the decider.
    expect(actionNamed(engine, forged.metadata.name!)!.status!.approval!.comment).toBe(
      'kubeskippy.io/approved-by says "alice" (not verified)',
    );
    await sleep(2000); // time for a wrongly relayed late annotation to act
    const lateNow = actionNamed(engine, late.metadata.name!)!;
    expect(lateNow.status).toMatchObject({ phase: 'Rejected', reason: 'ApprovalExpired' });
    outcomes.push({
      name: late.metadata.name!,
      executions: deletes(late),
      expected: 0,
      decider: lateNow.status!.approval!,
      expectedBy: 'kubeskippy',
    });

    const n = outcomes.length;
    const once = outcomes.filter((o) => o.executions === o.expected).length;
    const recorded = outcomes.filter(
      (o) => o.decider.by === o.expectedBy && !Number.isNaN(Date.parse(o.decider.at ?? '')),
    ).length;
    console.log(
      `chaos: approvals ${n} cases, exactly-once ${once}/${n}, decider recorded ${recorded}/${n} (${Date.now() - started} ms)`,
    );
    expect(outcomes.map((o) => [o.name, o.executions, o.decider.by])).toEqual(
      outcomes.map((o) => [o.name, o.expected, o.expectedBy]),
    );
    expect({ once, recorded }).toEqual({ once: n, recorded: n });
  }, 120_000);
});
