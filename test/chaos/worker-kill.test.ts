// Chaos, part 1: the operator (`kubeskippy operator`, a child process) is SIGKILLed at 20 random
// moments while five policies run about twenty healing actions — evictions, deletes, scales, a
// patch that does not heal and is reverted, and restarts that wait for an approval the test gives
// by annotation — and a fresh process is started after each kill. The kill moments are drawn from
// a seeded random source (printed; KUBESKIPPY_CHAOS_SEED replays the same sequence of points and
// pauses, though not the machine's timing) among the steps of an action: just after start-up
// (plans and HealingActions being created), while one is Pending, AwaitingApproval, Executing or
// Verifying, right after an approval, and at the very moment the API server applies a destructive
// write or a revert (the call has landed, its activity has not reported back). Then the API
// server's request log is compared with the records: every eviction, delete and Deployment PATCH
// must be accounted for by exactly one action, and every started action must end terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliOperator } from '../support/cli-operator.js';
import {
  auditActions,
  chaosSeed,
  describeAll,
  readyCliOperator,
  seededRandom,
  startedActionWorkflows,
} from '../support/chaos.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { sleep } from '../support/engine-scenarios.js';
import {
  chaosPolicies,
  EXPECTED_ACTIONS,
  startApprover,
  type Approver,
} from '../support/chaos-kill-fixtures.js';
import { killPoint, KILL_POINTS, type KillPoint } from '../support/chaos-kill-points.js';

const KILLS = 20;
let engine: Engine;
let approver: Approver | undefined;
const children: CliOperator[] = [];

beforeAll(async () => {
  // 0.1: pods start, crash and terminate ten times faster than in behaviour time.
  engine = await startEngine({ timeScale: 0.1, operator: false });
});
afterAll(async () => {
  approver?.stop();
  for (const c of children) await c.kill();
  await engine?.stop();
});

async function startOperator(): Promise<CliOperator> {
  const child = await readyCliOperator(engine);
  children.push(child);
  return child;
}

describe('the operator killed at random points', () => {
  // The time budget: 20 start-and-kill rounds (4-15 s each on a loaded machine, ~170 s in CI) and
  // the final wait for every action (at most 150 s: a killed activity returns after its timeout).
  it('never acts twice, never loses an action, and finishes every one', { timeout: 480_000 }, async () => {
    const rnd = seededRandom(chaosSeed('KUBESKIPPY_CHAOS_SEED'));
    engine.apply(chaosPolicies(engine.namespace));
    approver = startApprover(engine, rnd);
    const landed: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const t0 = Date.now();
      const child = await startOperator();
      const up = Date.now() - t0;
      const point: KillPoint = KILL_POINTS[Math.floor(rnd() * KILL_POINTS.length)]!;
      landed.push(await killPoint(point, { engine, child, rnd, approver }));
      process.stderr.write(
        `kill ${i + 1}: ${landed.at(-1)} (up in ${up} ms, killed after ${Date.now() - t0 - up} ms)\n`,
      );
      expect((await child.exited).signal).toBe('SIGKILL');
    }
    console.log(`chaos kill points: ${landed.join(', ')}`);

    // A last process finishes what the killed ones left: killed activities come back after their
    // start-to-close timeouts (60 s at most), killed workflow tasks after theirs.
    const last = await startOperator();
    await eventually(
      () => `every action started and terminal:\n${describeAll(engine)}\n${last.output().slice(-2000)}`,
      async () => {
        const started = await startedActionWorkflows(engine);
        const audit = auditActions(engine, started);
        return started.length >= EXPECTED_ACTIONS && audit.terminal === audit.total;
      },
      150_000,
      1000,
    );
    await sleep(2000); // time for a wrongly repeated call to show
    const audit = auditActions(engine, await startedActionWorkflows(engine));
    console.log(
      `chaos: ${KILLS} kills, ${audit.duplicates} duplicate destructive calls, ${audit.lost} lost, ` +
        `${audit.terminal}/${audit.total} terminal`,
    );
    const detail = `${audit.problems.join('\n')}\n${describeAll(engine)}`;
    expect(audit.duplicates, detail).toBe(0);
    expect(audit.lost, detail).toBe(0);
    expect(audit.terminal, detail).toBe(audit.total);
    expect(audit.total, detail).toBeGreaterThanOrEqual(EXPECTED_ACTIONS);
  });
});
