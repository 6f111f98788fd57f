// `kubeskippy suspend | unsuspend | suspension`, run as a user runs them (a child process with a
// kubeconfig), against a live operator: suspend creates the KubeSkippyConfig named cluster and
// the policy's fires are refused (Suspended); suspension shows it; unsuspend lets the action run.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterWorkflowId } from '../../domain/ids.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  policyStatus,
} from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'kubeskippy.js');
let engine: Engine;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('node', [bin, ...args, '--kubeconfig', engine.kubeconfig], {
    timeout: 60_000,
  });
  return stdout;
}

beforeAll(async () => {
  engine = await startEngine({ timeScale: 0.1 });
});
afterAll(async () => {
  await engine?.client.workflow
    .getHandle(clusterWorkflowId(engine.config.taskQueue))
    .terminate('test finished')
    .catch(() => undefined);
  await engine?.stop();
});

describe('kubeskippy suspend / unsuspend / suspension', () => {
  it(
    'suspend stops every new action, suspension shows it, unsuspend lets it run',
    { timeout: 180_000 },
    async () => {
      expect(await cli('suspension')).toContain('no KubeSkippyConfig named cluster');
      // --reason is required: a kill switch nobody can explain helps no one at 3 a.m.
      await expect(cli('suspend')).rejects.toMatchObject({
        stderr: expect.stringContaining("required option '--reason <text>'"),
      });

      expect(await cli('suspend', '--reason', 'e2e upgrade')).toContain('cluster suspended: e2e upgrade');
      await eventually(
        'the operator to see the switch',
        async () => (await cli('suspension')).includes('In effect:   suspended'),
        30_000,
        1000,
      );
      engine.apply([
        deployment('cli-app', { replicas: 1 }),
        healingPolicy(engine.namespace, 'cli', 'cli-app', {
          triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
          actions: [
            {
              name: 'delete-pod',
              type: 'restart',
              restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
            },
          ],
          safetyRules: { minReadyReplicas: 0 },
          verification: { enabled: false },
        }),
      ]);
      const refused = await eventually(
        'Suspended refusals',
        async () => {
          const s = await policyStatus(engine, 'cli').catch(() => undefined);
          return (s?.counters.refusals.Suspended ?? 0) >= 2 ? s : undefined;
        },
        40_000,
      );
      expect(refused.lastRefusals.find((r) => r.reason === 'Suspended')?.message).toContain('e2e upgrade');
      expect(actionsOf(engine, 'cli')).toEqual([]);
      const shown = JSON.parse(await cli('suspension', '-o', 'json'));
      expect(shown.spec).toMatchObject({ suspended: true });
      expect(shown.spec.reason).toMatch(/^e2e upgrade \(by .+\)$/);

      expect(await cli('unsuspend')).toContain('cluster resumed');
      await eventually(
        () => `an action of cli: ${describeActions(engine, 'cli')}`,
        () => actionsOf(engine, 'cli').some((a) => a.status?.phase === 'Succeeded'),
        40_000,
      );
      const after = JSON.parse(await cli('suspension', '-o', 'json'));
      expect(after.spec.suspended).toBe(false);
      expect(after.spec.reason).toBeUndefined();
    },
  );
});
