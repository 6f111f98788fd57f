// Chaos, part 2: the Temporal server itself goes away mid-run. A dev server of this file's own,
// persisted in a SQLite file, serves an operator running four policies with actions in flight;
// it is stopped with SIGTERM and started again on the same file and port, then killed with
// SIGKILL (no shutdown at all) and started again. Every policy workflow must carry on evaluating
// (its status query's lastEvaluated moves past the restart), and the API server's request log
// must show every action's destructive call exactly once, every action ending in a terminal phase.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findFreePort, startDevServer, type DevServer } from '../../tools/dev-server.js';
import { auditActions, describeAll, startedActionWorkflows } from '../support/chaos.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { alwaysTrue, healingPolicy, policyStatus, sleep } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

let dir: string;
let port: number;
let server: DevServer | undefined;
let engine: Engine;
const namespace = inject('temporalNamespace');

async function startServer(): Promise<DevServer> {
  const cliPath = inject('temporalCliPath');
  if (!cliPath) throw new Error('no temporal CLI was resolved in globalSetup; see docs/temporal.md');
  server = await startDevServer({
    cliPath,
    port,
    headless: true,
    namespace,
    dbFile: join(dir, 'temporal.sqlite'),
  });
  return server;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeskippy-chaos-temporal-'));
  port = await findFreePort();
  const s = await startServer();
  engine = await startEngine({ timeScale: 0.1, temporal: { address: s.address, namespace } });
});
afterAll(async () => {
  await engine?.stop();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const POLICIES = ['tr-evict', 'tr-delete', 'tr-scale', 'tr-watch'] as const;
const BUDGET = { 'tr-evict': 4, 'tr-delete': 4, 'tr-scale': 3 } as const;
const EXPECTED = Object.values(BUDGET).reduce((a, b) => a + b, 0);

function workload(ns: string): ReturnType<typeof healingPolicy>[] {
  const verification = { delay: '4s', timeout: '20s', interval: '1s', requireTriggerCleared: false };
  const safetyRules = (n: number): Record<string, unknown> => ({
    maxActionsPerHour: n,
    maxConcurrentActions: 1,
    minReadyReplicas: 0,
    // The always-true trigger "relapses" after every action, which is what this test wants: many
    // actions. Ineffective-fix detection would rightly hold the fix after 3 and ask a person.
    ineffectiveRemediation: { enabled: false },
  });
  const restart = (strategy: string, grace: number): Record<string, unknown>[] => [
    { name: strategy, type: 'restart', restartAction: { strategy, gracePeriodSeconds: grace } },
  ];
  const busy = alwaysTrue('busy', { cooldownPeriod: '2s' });
  return [
    deployment('tr-evict', { replicas: 3, behaviour: { behavior: 'healthy' } }),
    healingPolicy(ns, 'tr-evict', 'tr-evict', {
      triggers: [busy],
      actions: restart('evict', 1),
      safetyRules: safetyRules(BUDGET['tr-evict']),
      verification,
    }),
    deployment('tr-delete', { replicas: 3, behaviour: { behavior: 'healthy' } }),
    healingPolicy(ns, 'tr-delete', 'tr-delete', {
      triggers: [busy],
      actions: restart('delete', 0),
      safetyRules: safetyRules(BUDGET['tr-delete']),
      verification,
    }),
    deployment('tr-scale', { replicas: 1, behaviour: { behavior: 'healthy' } }),
    healingPolicy(ns, 'tr-scale', 'tr-scale', {
      triggers: [busy],
      actions: [
        {
          name: 'scale-up',
          type: 'scale',
          scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 1 + BUDGET['tr-scale'] },
        },
      ],
      safetyRules: safetyRules(BUDGET['tr-scale']),
      verification,
    }),
    // Monitor mode: it only evaluates, so it shows the loop itself resuming.
    healingPolicy(ns, 'tr-watch', 'tr-evict', {
      mode: 'monitor',
      triggers: [busy],
      actions: restart('evict', 1),
    }),
  ];
}

/** How many policies evaluate again after `sinceMs` (their workflow's own lastEvaluated). */
async function resumed(sinceMs: number): Promise<number> {
  let n = 0;
  for (const name of POLICIES) {
    const view = await policyStatus(engine, name).catch(() => undefined);
    if ((view?.lastEvaluatedMs ?? 0) > sinceMs) n++;
  }
  return n;
}

async function restart(how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const old = server!;
  if (how === 'SIGTERM') await old.stop();
  else {
    process.kill(old.pid, 'SIGKILL');
    await old.exited;
  }
  await sleep(1500); // down for a moment: the worker's polls and the controller's calls fail
  await startServer();
}

describe('Temporal restarted on its SQLite file mid-run', () => {
  it('every policy resumes; no action is lost or doubled', { timeout: 180_000 }, async () => {
    engine.apply(workload(engine.namespace));
    await eventually('all policies evaluating', async () => (await resumed(0)) === POLICIES.length, 60_000);
    let restarts = 0;
    const resumedAfter: number[] = [];
    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      // Wait for an action in flight, so the restart lands in the middle of one.
      await eventually(
        () => `an action in flight before the ${how} restart:\n${describeAll(engine)}`,
        () =>
          engine.actions().some((a) => a.status?.phase === 'Verifying' || a.status?.phase === 'Executing'),
        60_000,
        100,
      );
      const at = Date.now();
      await restart(how);
      restarts++;
      const n = await eventually(
        `every policy evaluating after the ${how} restart`,
        async () => {
          const r = await resumed(at);
          return r === POLICIES.length ? r : undefined;
        },
        60_000,
        500,
      );
      resumedAfter.push(n);
    }
    await eventually(
      () => `every action started and terminal:\n${describeAll(engine)}`,
      async () => {
        const audit = auditActions(engine, await startedActionWorkflows(engine));
        return audit.total >= EXPECTED && audit.terminal === audit.total;
      },
      90_000,
      1000,
    );
    await sleep(2000); // time for a wrongly repeated call to show
    const audit = auditActions(engine, await startedActionWorkflows(engine));
    const p = Math.min(...resumedAfter);
    console.log(
      `chaos: temporal restarted ${restarts}x, ${p}/${POLICIES.length} policies resumed, ` +
        `${audit.lost} lost, ${audit.duplicates} doubled`,
    );
    const detail = `${audit.problems.join('\n')}\n${describeAll(engine)}`;
    expect(p).toBe(POLICIES.length);
    expect(audit.lost, detail).toBe(0);
    expect(audit.duplicates, detail).toBe(0);
    expect(audit.terminal, detail).toBe(audit.total);
    expect(audit.total, detail).toBe(EXPECTED);
  });
});
