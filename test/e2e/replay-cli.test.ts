// `kubeskippy replay`, `incident export`, `record` and `backtest`, run as a user runs them (child
// processes), against an incident that really happened on the engine: a restart policy acted on
// a pod; its history replays the same from the server and from the exported directory, a
// tampered history is reported as different, and a recorded timeline backtests two policies.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { policyWorkflowId } from '../../domain/ids.js';
import type { KObject } from '../../sim/contract.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, alwaysTrue, healingPolicy, isTerminal } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'kubeskippy.js');
let engine: Engine;
let dir: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; a non-zero exit is a result, not an exception. */
async function cli(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], { timeout: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
const temporal = (): string[] => ['--temporal-address', engine.config.temporalAddress];

function restartPolicy(mode: string, name = 'restart-once', app = 'web'): KObject {
  return healingPolicy(engine.namespace, name, app, {
    mode,
    triggers: [alwaysTrue('always', { cooldownPeriod: '1h' })],
    actions: [
      { name: 'restart', type: 'restart', restartAction: { strategy: 'delete', gracePeriodSeconds: 0 } },
    ],
    verification: { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
    safetyRules: { maxActionsPerHour: 1 },
  });
}

beforeAll(async () => {
  engine = await startEngine();
  dir = await mkdtemp(join(tmpdir(), 'kubeskippy-replay-e2e-'));
});
afterAll(async () => {
  await engine?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('replaying an incident', () => {
  it(
    'replay, incident export and replay of the export agree; a tampered history is different',
    { timeout: 400_000 },
    async () => {
      // Two replicas: with one, minReadyReplicas (default 1) refuses every restart.
      engine.apply([
        deployment('web', { namespace: engine.namespace, replicas: 2 }),
        restartPolicy('automatic'),
      ]);
      const action = await eventually(
        'a finished HealingAction',
        () => actionsOf(engine, 'restart-once').find(isTerminal),
        90_000,
      );
      const actionId = action.status!.workflowId!;
      const policyId = policyWorkflowId(engine.config.clusterName, engine.namespace, 'restart-once');
      const out = join(dir, 'incident');

      const [fromServer, exported] = await Promise.all([
        cli('replay', '--workflow-id', actionId, ...temporal()),
        cli(
          'incident',
          'export',
          '--workflow-id',
          policyId,
          '--out',
          out,
          '--kubeconfig',
          engine.kubeconfig,
          ...temporal(),
        ),
      ]);
      expect(fromServer.stdout, fromServer.stderr).toMatch(/^SAME: today's code makes the same decisions/);
      expect(fromServer.code).toBe(0);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toContain(`replay it with: kubeskippy replay --history ${out}`);

      expect((await readdir(out)).sort()).toEqual([
        'README.txt',
        'events.json',
        'healing-actions.json',
        'healing-policy.json',
        'history.json',
        'incident.json',
      ]);
      const read = async <T>(f: string): Promise<T> => JSON.parse(await readFile(join(out, f), 'utf8')) as T;
      expect(await read<KObject>('healing-policy.json')).toMatchObject({
        kind: 'HealingPolicy',
        metadata: { name: 'restart-once' },
      });
      const actions = await read<KObject[]>('healing-actions.json');
      expect(actions.map((a) => a.metadata.name)).toContain(action.metadata.name);
      const events = await read<{ involvedObject: { kind: string }; reason: string }[]>('events.json');
      expect(
        events.some(
          (e) =>
            e.involvedObject.kind === 'HealingAction' ||
            e.involvedObject.kind === 'HealingPolicy' ||
            e.involvedObject.kind === 'Pod',
        ),
      ).toBe(true);
      expect(await read('incident.json')).toMatchObject({
        workflowId: policyId,
        workflowType: 'policyWorkflow',
      });
      expect(await readFile(join(out, 'README.txt'), 'utf8')).toContain('kubeskippy.js replay --history');

      // Tamper: the first scheduled activity becomes one today's code never schedules.
      const history = await read<{
        events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
      }>('history.json');
      history.events.find(
        (e) => e.activityTaskScheduledEventAttributes,
      )!.activityTaskScheduledEventAttributes!.activityType = { name: 'scaleToZero' };
      const tampered = join(dir, 'tampered.json');
      await writeFile(tampered, JSON.stringify(history));

      const [fromExport, different] = await Promise.all([
        cli('replay', '--history', out),
        cli('replay', '--history', tampered),
      ]);
      expect(fromExport.stdout, fromExport.stderr).toMatch(
        new RegExp(`^SAME: .* policyWorkflow ${policyId.replace(/\//g, '\\/')}`),
      );
      expect(fromExport.code).toBe(0);
      expect(different.code, different.stderr).toBe(3);
      expect(different.stdout).toMatch(/^DIFFERENT: today's code would NOT make the same decisions/);
      expect(different.stdout).toContain("'scaleToZero'");
      expect(different.stdout).toContain('patched()');
    },
  );

  it('records a timeline and backtests two policies on it, side by side', { timeout: 300_000 }, async () => {
    const automatic = join(dir, 'automatic.yaml');
    const monitor = join(dir, 'monitor.yaml');
    await writeFile(automatic, stringify(restartPolicy('automatic', 'auto')));
    await writeFile(monitor, stringify(restartPolicy('monitor', 'watch')));
    const timeline = join(dir, 'timeline.jsonl');
    const recorded = await cli(
      'record',
      '--kubeconfig',
      engine.kubeconfig,
      '--policy',
      automatic,
      '--out',
      timeline,
      '--for',
      '4s',
      '--interval',
      '1s',
    );
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toMatch(/recorded [3-9] snapshots \(0 failed collections\)/);

    const [json, text] = await Promise.all([
      cli('backtest', '--policy', automatic, '--policy', monitor, '--timeline', timeline, '-o', 'json'),
      cli('backtest', '--policy', automatic, '--policy', monitor, '--timeline', timeline),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      reports: {
        policy: string;
        rows: { kind: string; reason?: string; action?: string; targetKey?: string }[];
        summary: { actions: number };
      }[];
    };
    const [auto, watch] = report.reports;
    // maxActionsPerHour 1: one restart, then every later fire is refused for the budget or cooldown.
    expect(auto!.summary.actions).toBe(1);
    expect(auto!.rows.find((r) => r.kind === 'action')).toMatchObject({ action: 'restart' });
    expect(
      auto!.rows.some(
        (r) =>
          r.kind === 'refused' &&
          /BudgetExhausted|Cooldown|ActionInProgress|MinReadyReplicas/.test(r.reason ?? ''),
      ),
    ).toBe(true);
    expect(watch!.summary.actions).toBe(0);
    expect(watch!.rows.some((r) => r.kind === 'refused' && r.reason === 'MonitorMode')).toBe(true);
    expect(text.stdout).toContain('Side by side:');
    expect(text.stdout).toMatch(/ACTION\s+always\s+\S+\/Pod\/web-/);
  });

  it(
    'records by label selector, before any policy exists, and a policy backtests on it',
    { timeout: 300_000 },
    async () => {
      const bad = await cli('record', '--selector', 'app in (web', '--out', join(dir, 'x.jsonl'));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--selector: "app in \(web" is not a label requirement/);

      engine.apply([deployment('api', { namespace: engine.namespace, replicas: 2 })]);
      await eventually('2 running api pods', () =>
        engine.sim.store
          .list('core/v1/pods', { namespace: engine.namespace })
          .filter((p) => p.metadata.labels?.app === 'api' && p.status?.phase === 'Running').length === 2
          ? true
          : undefined,
      );
      const timeline = join(dir, 'by-selector.jsonl');
      const recorded = await cli(
        'record',
        '--kubeconfig',
        engine.kubeconfig,
        '--selector',
        'app=api',
        '-n',
        engine.namespace,
        '--out',
        timeline,
        '--for',
        '3s',
        '--interval',
        '1s',
      );
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stderr).toContain(`recording pods in ${engine.namespace} matching "app=api"`);
      const [header] = (await readFile(timeline, 'utf8')).split('\n').map((l) => JSON.parse(l || '{}'));
      expect(header).toMatchObject({
        policy: `selector ${engine.namespace}: app=api`,
        request: { labelSelector: { matchLabels: { app: 'api' } }, needUsage: true },
      });

      const automatic = join(dir, 'automatic-later.yaml');
      await writeFile(automatic, stringify(restartPolicy('automatic', 'auto', 'api')));
      const json = await cli('backtest', '--policy', automatic, '--timeline', timeline, '-o', 'json');
      expect(json.code, json.stderr).toBe(0);
      const [auto] = (JSON.parse(json.stdout) as { reports: { summary: { actions: number } }[] }).reports;
      expect(auto!.summary.actions).toBe(1);
    },
  );
});
