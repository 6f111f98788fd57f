// The demo and demo/monitor.sh at a real terminal: a pseudo-terminal of 80×24 (util-linux
// `script`), Ctrl-C typed into it, so the SIGINT reaches the whole foreground process group as it
// does for a person. Every frame must fit the terminal; Ctrl-C must stop the demo within 3 s with
// the summary printed, the right closing words, and no Running workflow left in the dev server's
// database. Without a terminal, the monitor prints plain lines.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../activities/kube/clients.js';
import { GROUP_VERSION } from '../../crds/api-group.js';
import { actionWorkflowId, healingActionName } from '../../domain/ids.js';
import { loadConfig } from '../../operator/config.js';
import { startSim, type SimHandle } from '../../sim/index.js';
import { startDevServer } from '../../tools/dev-server.js';
import { applyAll, installCrds, readManifests, scenarioManifests } from '../../tools/demo/cluster.js';
import { DEMO_NAMESPACE, SCENARIOS } from '../../tools/demo/scenarios.js';
import { envWith } from '../support/demo-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin/kubeskippy.js');
const hasScript = spawnSync('script', ['--version']).status === 0;
const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

interface TtyRun {
  out: string;
  /** ms from Ctrl-C to the process's exit. */
  stopMs: number;
  code: number | null;
}

/**
 * Runs `command` in an 80×24 pseudo-terminal; types Ctrl-C once `ready` matches the output (plus
 * `afterMs`), or after `timeoutMs` whatever happened.
 */
function inTerminal(
  command: string[],
  opts: { cwd: string; ready: RegExp; afterMs: number; timeoutMs: number },
): Promise<TtyRun> {
  const env: NodeJS.ProcessEnv = { ...envWith(), TERM: 'xterm-256color' };
  delete env.CI; // the point is the terminal: CI would make the demo print plain lines
  // No echo: a typed ^C would otherwise be drawn after the last frame.
  const shell = `stty cols 80 rows 24 -echo; exec ${command.map(quote).join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', shell, '/dev/null'], { cwd: opts.cwd, env });
    let out = '';
    let sentAt = 0;
    let scheduled = false;
    const interrupt = (): void => {
      if (sentAt) return;
      sentAt = Date.now();
      child.stdin.write('\x03');
    };
    const giveUp = setTimeout(interrupt, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!scheduled && opts.ready.test(out)) {
        scheduled = true;
        setTimeout(interrupt, opts.afterMs);
      }
    });
    child.on('close', (code) => {
      clearTimeout(giveUp);
      resolve({ out, code, stopMs: Date.now() - sentAt });
    });
  });
}

const strip = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''); // eslint-disable-line no-control-regex

/** The frames drawn on the alternate screen: each begins with cursor-home. */
function frames(out: string): string[][] {
  const views = out
    .split('\x1b[?1049h')
    .slice(1)
    .map((v) => v.split('\x1b[?1049l')[0]!);
  return views
    .flatMap((v) => v.split('\x1b[H').slice(1))
    .map((f) => f.split('\n').map((l) => strip(l).replace(/\r/g, '')))
    .map((lines) => (lines.at(-1) === '' ? lines.slice(0, -1) : lines));
}

function expectFits(out: string, columns: number, rows: number): void {
  const all = frames(out);
  expect(all.length, out).toBeGreaterThan(1);
  for (const f of all) {
    expect(f.length, f.join('\n')).toBeLessThanOrEqual(rows);
    for (const l of f) expect(stringWidth(l), l).toBeLessThanOrEqual(columns);
  }
  // The normal screen comes back at the end.
  expect(out.lastIndexOf('\x1b[?1049l')).toBeGreaterThan(out.lastIndexOf('\x1b[?1049h'));
}

describe.skipIf(!hasScript)('demo/monitor.sh at 80×24, with more actions than fit', () => {
  let dir: string;
  let sim: SimHandle;
  let kubeconfig: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'demo-monitor-'));
    kubeconfig = path.join(dir, 'sim.kubeconfig');
    sim = await startSim({ port: 0, nodes: 3, timeScale: 0.5, kubeconfigOut: kubeconfig });
    const kube = createKube(loadKubeConfig(kubeconfig));
    await installCrds(kube);
    await applyAll(kube, (await scenarioManifests(SCENARIOS, 0.5)).apps);
    // 40 HealingActions as the operator names them, from the demo policies' own actions.
    const policy = SCENARIOS[0]!;
    const spec = (await readManifests(policy.policyFile)).find((o) => o.kind === 'HealingPolicy')!.spec as {
      actions: { name: string }[];
    };
    for (let seq = 1; seq <= 40; seq++) {
      const workflowId = actionWorkflowId({
        cluster: loadConfig({ kubeconfig }, {}).clusterName,
        namespace: DEMO_NAMESPACE,
        policy: policy.policy,
        trigger: 'high-memory',
        targetKind: 'Deployment',
        targetName: policy.app,
        seq,
      });
      await kube.custom.createNamespacedCustomObject({
        ...GROUP_VERSION,
        namespace: DEMO_NAMESPACE,
        plural: 'healingactions',
        body: {
          apiVersion: 'kubeskippy.io/v1alpha1',
          kind: 'HealingAction',
          metadata: { name: healingActionName(workflowId, spec.actions[0]!.name), namespace: DEMO_NAMESPACE },
          spec: {
            policyRef: { name: policy.policy, namespace: DEMO_NAMESPACE },
            targetResource: {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: policy.app,
              namespace: DEMO_NAMESPACE,
            },
            action: spec.actions[0],
            trigger: { name: 'high-memory', type: 'metric', observedValue: '91.2', threshold: '> 85' },
          },
        },
      });
    }
  }, 120_000);

  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('every frame fits 80×24, and the screen is restored on Ctrl-C', async () => {
    const run = await inTerminal([path.join(root, 'demo/monitor.sh'), '--kubeconfig', kubeconfig], {
      cwd: dir,
      ready: /HealingActions: 40/,
      afterMs: 3000,
      timeoutMs: 60_000,
    });
    expectFits(run.out, 80, 24);
    expect(strip(run.out)).toMatch(/HealingActions: 40 \(newest \d+ below\): 40 Pending/);
    expect(run.code).toBe(0);
  }, 90_000);

  it('without a terminal: plain lines, no escape codes', async () => {
    const child = spawn(path.join(root, 'demo/monitor.sh'), ['--kubeconfig', kubeconfig], {
      cwd: dir,
      env: { ...envWith(), TERM: 'xterm-256color' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/HealingAction \S+: new, Pending/.test(out) && /memory-leak-app: pod \S+ Running/.test(out))
        child.kill('SIGINT');
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 60_000);
    await new Promise((r) => child.on('close', r));
    clearTimeout(timer);
    expect(out).toMatch(/HealingAction \S+: new, Pending/);
    expect(out).not.toContain('\x1b');
  }, 90_000);
});

describe.skipIf(!hasScript)('kubeskippy demo --watch at a terminal, stopped with Ctrl-C', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'demo-ctrl-c-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('stops within 3 s, prints the summary and ends the workflows it started', async () => {
    const args = ['--scenario', 'memory-leak,crashloop', '--time-scale', '0.5', '--watch'];
    // Its own dev server (free ports): the database it leaves behind is what this test reads.
    const run = await inTerminal(
      [process.execPath, bin, 'demo', ...args, '--temporal-port', '0', '--ui-port', '0'],
      {
        cwd: dir,
        ready: /HealingActions/,
        afterMs: 8000,
        timeoutMs: 150_000,
      },
    );
    const text = strip(run.out).replace(/\r/g, '');
    expectFits(run.out, 80, 24);
    expect(text).toContain('kubeskippy demo: stopping (Ctrl-C)');
    const after = text.slice(text.lastIndexOf('stopping (Ctrl-C)'));
    expect(after).toMatch(/\nSummary\n\nmemory-leak {2}(PASS|FAIL|PENDING)\n/);
    expect(after).toMatch(/\ncrashloop {2}(PASS|FAIL|PENDING)\n/);
    expect(after).not.toContain('--watch');
    expect(after).toContain('its workflows are ended');
    process.stdout.write(`Ctrl-C to exit: ${run.stopMs} ms\n`);
    expect(run.stopMs, text).toBeLessThan(3000);

    // The database it leaves: this run's workflows, none of them Running.
    const cliPath = inject('temporalCliPath');
    if (!cliPath) return; // no temporal binary: the SDK's server (not ours to read back)
    const server = await startDevServer({
      cliPath,
      port: 0,
      headless: true,
      dbFile: path.join(dir, '.kubeskippy/temporal.db'),
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection });
      const list = async (query: string): Promise<string[]> => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query }))
          ids.push(`${wf.workflowId} ${wf.status.name}`);
        return ids;
      };
      expect(await list(`KubeSkippyNamespace="${DEMO_NAMESPACE}"`)).not.toEqual([]);
      expect(await list('ExecutionStatus="Running"')).toEqual([]);
    } finally {
      await connection.close();
      await server.stop();
    }
  }, 200_000);
});
