// `npm run demo -- --cluster real` as a user runs it: the demo starts its own real control plane,
// installs the operator's identity from deploy/operator and runs the operator as that
// ServiceAccount; every scenario must heal as on the sim, with no 403 in the operator's log.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDemo } from '../support/demo-cli.js';

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'demo-real-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('kubeskippy demo --cluster real', () => {
  it('refuses --time-scale with the real cluster (kwok runs in real time)', async () => {
    const run = await runDemo(dir, ['--cluster', 'real', '--time-scale', '0.5'], 60_000);
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/--time-scale speeds the simulated cluster only/);
  });

  it(
    'plays every scenario on the real control plane and heals each as expected',
    { timeout: 540_000 },
    async () => {
      const { code, out } = await runDemo(
        dir,
        ['--cluster', 'real', '--scenario', 'all', '--temporal-address', inject('temporalAddress')],
        500_000,
      );
      expect(out).toContain(
        'the operator runs as system:serviceaccount:kubeskippy-system:kubeskippy-operator',
      );
      const summary = out.slice(out.lastIndexOf('\nSummary'));
      const row = (name: string): string => summary.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
      expect(row('memory-leak'), out).toMatch(
        /PASS .*high-memory .*evicted Pod\/memory-leak-app-.*healed: Healed/,
      );
      expect(row('crashloop'), out).toMatch(/PASS .*patched Deployment\/crashloop-app.*healed: Healed/);
      expect(row('cpu-spike'), out).toMatch(
        /PASS .*high-cpu .*scaled Deployment\/cpu-spike-app 2 → [3-6] .*healed: Healed/,
      );
      expect(row('protected'), out).toMatch(/PASS .*refused \d+× \(Protected\), untouched/);
      expect(row('dryrun'), out).toMatch(
        /PASS .*would patch Deployment\/flaky-web-app .*recorded only, unchanged/,
      );
      expect(row('approval'), out).toMatch(
        /PASS .*deleted Pod\/approval-app-.*approved by kubeskippy-demo, healed/,
      );
      expect(row('ai'), out).toMatch(/SKIPPED/);
      expect(code, out).toBe(0);
      const log = await readFile(path.join(dir, '.kubeskippy', 'demo-operator.log'), 'utf8');
      expect(log.split('\n').filter((l) => /\b403\b|forbidden/i.test(l))).toEqual([]);
    },
  );
});
