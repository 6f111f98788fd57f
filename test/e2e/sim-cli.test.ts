// `kubeskippy sim` as a user runs it: flags are checked, the kubeconfig works with kubectl,
// scenarios are applied, bad input says what to do, SIGTERM stops it cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor } from '../support/kubectl.js';
import { waitFor } from '../support/sim-fixtures.js';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));
const demoApp = fileURLToPath(new URL('../../demo/apps/crashloop-app.yaml', import.meta.url));
let dir: string;

beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'sim-cli-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

// Start-up transpiles the whole CLI with tsx: seconds normally, tens of seconds on a busy machine.
const sim = (...args: string[]) =>
  spawnSync(process.execPath, [bin, 'sim', ...args], { encoding: 'utf8', timeout: 55_000 });

describe('kubeskippy sim', () => {
  it.each([
    [['--port', 'abc'], /--port must be a port number .* got "abc"/],
    [['--time-scale', '0'], /--time-scale must be a positive number/],
    [['--nodes', 'two'], /--nodes must be a whole number/],
  ])('rejects %j, naming the flag', (args, message) => {
    const run = sim('--kubeconfig-out', path.join(dir, 'unused'), ...args);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('names a scenario file it cannot read', () => {
    const run = sim(
      '--port',
      '0',
      '--kubeconfig-out',
      path.join(dir, 'kc-missing'),
      '--scenario',
      '/nonexistent/apps.yaml',
    );
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.stderr).toMatch(/cannot read scenario \/nonexistent\/apps\.yaml/);
  });

  it('says what to do when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = sim('--port', String(port), '--kubeconfig-out', path.join(dir, 'kc-busy'));
      expect(run.stderr).toMatch(new RegExp(`port ${port} is already in use.*--port 0`));
    } finally {
      blocker.close();
    }
  });

  it('serves a cluster kubectl can use, with the scenarios applied, and stops on SIGTERM', async () => {
    const kubeconfig = path.join(dir, 'sim.kubeconfig');
    const args = [
      bin,
      'sim',
      '--port',
      '0',
      '--kubeconfig-out',
      kubeconfig,
      '--scenario',
      demoApp,
      '--time-scale',
      '0.05',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await Promise.race([
        expect.poll(() => out, { timeout: 55_000, interval: 50 }).toMatch(/Press Ctrl-C/),
        closed.then((code) => {
          throw new Error(`kubeskippy sim exited (code ${code}) before it was ready:\n${out}`);
        }),
      ]);
      expect(out).toContain(`kubectl --kubeconfig ${kubeconfig} get pods -A`);
      expect(out).toContain('deployment/crashloop-app created');
      expect(out).toMatch(/Simulated cluster ready in \d+ ms \(2 nodes, time scale 0.05\)/);
      const kubectl = kubectlFor(kubeconfig);
      expect(await kubectl('get', 'nodes')).toMatch(/sim-node-2\s+Ready/);
      await waitFor(
        async () =>
          /crashloop-app-\S+\s+\S+\s+(Running|Error|CrashLoopBackOff)/.test(
            await kubectl('get', 'pods', '-n', 'demo-apps'),
          ),
        'crashloop pods',
      );
      child.kill('SIGTERM');
      expect(await closed).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000); // CLI start-up (tsx) is slow on a loaded machine
});
