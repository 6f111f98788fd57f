// `kubeskippy policy pause|resume|mode|list|status` and `action list`, run as a user runs them
// (a child process), against a live policy: pause stops new actions, resume restarts them.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../sim/contract.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { deployment } from '../support/sim-fixtures.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'kubeskippy.js');
let engine: Engine;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'node',
    [
      bin,
      ...args,
      '--temporal-address',
      engine.config.temporalAddress,
      '--cluster-name',
      engine.config.clusterName,
    ],
    { timeout: 60_000 },
  );
  return stdout;
}

function policy(namespace: string): KObject {
  return {
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingPolicy',
    metadata: { name: 'always-scale', namespace },
    spec: {
      mode: 'automatic',
      evaluationInterval: '1s',
      selector: { namespaces: [namespace], labelSelector: { matchLabels: { app: 'web' } } },
      // Always true once the app runs.
      triggers: [
        {
          name: 'any-memory',
          type: 'metric',
          metricTrigger: { query: 'memory_usage_bytes', threshold: 1, for: '10s' },
          cooldownPeriod: '2s',
        },
      ],
      actions: [
        { name: 'scale-out', type: 'scale', scaleAction: { direction: 'up', replicas: 1, maxReplicas: 4 } },
      ],
      verification: { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
      safetyRules: { maxActionsPerHour: 20 },
    },
  };
}

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine?.stop());

describe('kubeskippy policy / action commands', () => {
  // Each CLI call is a fresh node process (a few seconds on a busy machine): generous timeouts.
  it('pause stops new actions and resume restarts them', { timeout: 240_000 }, async () => {
    const ref = `${engine.namespace}/always-scale`;
    // The policy first, with nothing to select yet, so nothing can fire before the pause lands.
    engine.apply([policy(engine.namespace)]);
    await eventually(
      'the policy workflow',
      () => cli('policy', 'status', ref).catch(() => undefined),
      30_000,
      500,
    );
    expect(await cli('policy', 'pause', ref, '--reason', 'e2e')).toContain('paused');
    engine.apply([
      deployment('web', { namespace: engine.namespace, replicas: 1, behaviour: { behavior: 'healthy' } }),
    ]);

    const status = JSON.parse(await cli('policy', 'status', ref, '-o', 'json'));
    expect(status.paused).toBe(true);
    // Well past the 10s window: fires are refused with reason Paused and nothing is started.
    await eventually(
      'Paused refusals',
      async () => JSON.parse(await cli('policy', 'status', ref, '-o', 'json')).counters.refusals.Paused > 0,
      40_000,
      1000,
    );
    expect(engine.actions()).toHaveLength(0);
    expect(engine.sim.store.get('apps/v1/deployments', engine.namespace, 'web')!.spec.replicas).toBe(1);

    expect(await cli('policy', 'resume', ref)).toContain('resumed');
    await eventually(
      'a scale-out after resume',
      () => engine.sim.store.get('apps/v1/deployments', engine.namespace, 'web')!.spec.replicas > 1,
      30_000,
    );
    expect(engine.actions().length).toBeGreaterThan(0);

    const list = await cli('policy', 'list', '-n', engine.namespace);
    expect(list).toMatch(new RegExp(`${engine.namespace}\\s+always-scale\\s+automatic\\s+false`));
    // The policy keeps scaling out (cooldown 2s), so an action may start while the list runs: the
    // list must name every action that existed before it was asked, and nothing else.
    const before = engine.actions().map((a) => a.metadata.name!);
    const actions = await cli('action', 'list', '-n', engine.namespace);
    for (const name of before) expect(actions).toContain(name);
    // And each listed name is a HealingAction (its record may trail its workflow by a moment).
    const listed = actions
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/)[1]!);
    await eventually('a HealingAction for every listed action', () => {
      const known = new Set(engine.actions().map((a) => a.metadata.name!));
      return listed.every((name) => known.has(name));
    });
  });

  it('mode overrides the spec until resume', { timeout: 120_000 }, async () => {
    const ref = `${engine.namespace}/always-scale`;
    expect(await cli('policy', 'mode', ref, 'dryrun')).toContain('dryrun');
    expect(JSON.parse(await cli('policy', 'status', ref, '-o', 'json'))).toMatchObject({
      mode: 'dryrun',
      specMode: 'automatic',
    });
    await cli('policy', 'resume', ref);
    expect(JSON.parse(await cli('policy', 'status', ref, '-o', 'json')).mode).toBe('automatic');
  });

  it('refuses bad input with a message that says what to do', { timeout: 120_000 }, async () => {
    await expect(cli('policy', 'mode', `${engine.namespace}/always-scale`, 'yolo')).rejects.toThrow(
      /mode must be one of monitor, dryrun, automatic, manual/,
    );
    await expect(cli('policy', 'pause', 'not-a-ref')).rejects.toThrow(/must be <namespace>\/<name>/);
    await expect(cli('policy', 'status', `${engine.namespace}/nope`)).rejects.toThrow(
      /no policy workflow for/,
    );
  });

  it('action list still names every action while no worker can answer its status query', async () => {
    const names = engine.actions().map((a) => a.metadata.name!);
    expect(names.length).toBeGreaterThan(0);
    await engine.stopOperator();
    const list = await cli('action', 'list', '-n', engine.namespace);
    for (const name of names) expect(list).toContain(name);
  });
});
