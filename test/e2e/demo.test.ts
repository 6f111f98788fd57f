// `kubeskippy demo` as a user runs it: a child process against the suite's Temporal server, every
// scenario played out on the simulated cluster, judged, and summarised. The exit code says whether
// every scenario healed as expected; the summary must show each one with its expected outcome.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));
let dir: string;

beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'demo-cli-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

function runDemo(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // Its own working directory: the demo writes .kubeskippy/ (kubeconfig, operator log) there.
    const child = spawn(process.execPath, [bin, 'demo', ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('kubeskippy demo', () => {
  it('rejects a bad --scenario, naming the flag and the valid values', () => {
    const run = spawnSync(process.execPath, [bin, 'demo', '--scenario', 'memory-leek'], {
      encoding: 'utf8',
      timeout: 55_000,
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /--scenario must be all or a comma-separated list of: memory-leak, crashloop, cpu-spike, protected, dryrun, approval; got "memory-leek"/,
    );
  });

  it('plays every scenario and heals each as expected (exit 0, one PASS row per scenario)', async () => {
    const address = inject('temporalAddress');
    const { code, out } = await runDemo(
      ['--scenario', 'all', '--time-scale', '0.5', '--temporal-address', address],
      280_000,
    );
    const summary = out.slice(out.lastIndexOf('\nSummary'));
    const row = (name: string): string => summary.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row('memory-leak'), out).toMatch(
      /PASS .*high-memory .*evicted Pod\/memory-leak-app-.*healed: Healed/,
    );
    expect(row('crashloop'), out).toMatch(
      /PASS .*restarts-in-window .*patched Deployment\/crashloop-app.*healed: Healed/,
    );
    expect(row('cpu-spike'), out).toMatch(
      /PASS .*high-cpu .*scaled Deployment\/cpu-spike-app 2 → [3-6] .*healed: Healed/,
    );
    expect(row('protected'), out).toMatch(
      /PASS .*nothing: .*protected.*refused \d+× \(Protected\), untouched/,
    );
    expect(row('dryrun'), out).toMatch(
      /PASS .*would patch Deployment\/flaky-web-app .*recorded only, unchanged/,
    );
    expect(row('approval'), out).toMatch(
      /PASS .*deleted Pod\/approval-app-.*approved by kubeskippy-demo, healed/,
    );
    // The approval commands were shown before the demo approved it.
    expect(out).toMatch(
      /kubectl --kubeconfig \S+ -n demo-apps annotate healingaction manual-approval-\S+ kubeskippy.io\/approve=true/,
    );
    expect(out).toMatch(/node bin\/kubeskippy.js action approve demo-apps\/manual-approval-\S+/);
    expect(out).toMatch(/temporal workflow update execute .*--name approveAction/);
    expect(out).toContain('get healingpolicies,healingactions -A');
    expect(code, out).toBe(0);
  }, 300_000);
});
