// Leader failover on the sim (test/support/leader-failover.ts; the same scenario runs on the real
// control plane in test/real/leader-election.test.ts): two `kubeskippy operator --leader-elect`
// processes, the leader SIGKILLed while its policy's one action is in flight; the follower takes
// over within the lease duration and the action ends exactly once.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { CliOperator } from '../support/cli-operator.js';
import { startEngine, type Engine } from '../support/engine-harness.js';
import { expectExactlyOnce, runLeaderFailover } from '../support/leader-failover.js';

let engine: Engine;
const children: CliOperator[] = [];

beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.2, operator: false });
});
afterAll(async () => {
  for (const c of children) await c.kill();
  await engine?.stop();
});

describe('leader election on the sim: the leader killed mid-action', () => {
  it(
    'the follower takes over in time and the action happens exactly once',
    { timeout: 300_000 },
    async () => {
      const figures = await runLeaderFailover(
        {
          ...engine,
          leaseNamespace: engine.namespace,
          apply: async (objects) => engine.apply(objects),
          actions: async () => engine.actions(),
          requests: () => engine.sim.requestCounts().byPathStatus,
        },
        children,
      );
      expectExactlyOnce(figures, 'sim');
    },
  );
});
