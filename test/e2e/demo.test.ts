// `kubeskippy demo` as a user runs it: a child process against the suite's Temporal server, every
// scenario played out on the simulated cluster, judged, and summarised. The exit code says whether
// every scenario healed as expected; the summary must show each one with its expected outcome.
// The `ai` scenario runs against the fake model server (Ollama protocol) and, without a model, is
// skipped with the reason in plain words.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDemo as runInDir } from '../support/demo-cli.js';
import { answer, startFakeModel } from '../support/fake-model.js';
import {
  dashboardQueries,
  loadDashboard,
  missingSeries,
  readmeSeries,
  servedNames,
  unservedNames,
} from '../support/metric-names.js';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));
let dir: string;

beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'demo-cli-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const runDemo = (
  args: string[],
  timeoutMs: number,
  ai: Record<string, string> = {},
  onOutput?: (out: string) => void,
): ReturnType<typeof runInDir> => runInDir(dir, args, timeoutMs, ai, onOutput);

/**
 * Scrapes the demo's operator every 2 s from when the demo prints where its /metrics is until the
 * demo stops it, keeping the last answer: the series after the scenarios' work.
 */
function demoScraper(): {
  onOutput: (out: string) => void;
  last: () => string | undefined;
  stop: () => void;
} {
  let url: string | undefined;
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const scrape = (): void =>
    void fetch(url!, { signal: AbortSignal.timeout(1500) })
      .then(async (r) => void (last = await r.text()))
      .catch(() => undefined);
  return {
    onOutput: (out) => {
      if (url) return;
      url = /^operator metrics: (\S+)$/m.exec(out)?.[1];
      if (url) timer = setInterval(scrape, 2000);
    },
    last: () => last,
    stop: () => clearInterval(timer),
  };
}

describe('kubeskippy demo', () => {
  it('rejects a bad --scenario, naming the flag and the valid values', () => {
    const run = spawnSync(process.execPath, [bin, 'demo', '--scenario', 'memory-leek'], {
      encoding: 'utf8',
      timeout: 55_000,
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /--scenario must be all or a comma-separated list of: memory-leak, crashloop, cpu-spike, protected, dryrun, approval, ai; got "memory-leek"/,
    );
  });

  it('ai without a model: says plainly it is skipped, deploys nothing, exits 0', async () => {
    const unset = await runDemo(['--scenario', 'ai'], 60_000);
    expect(unset.out).toContain('kubeskippy demo: ai: skipped — no model reachable (OLLAMA_HOST is not set)');
    expect(unset.out).toMatch(/^ai +SKIPPED .*skipped: no model reachable \(OLLAMA_HOST is not set\)$/m);
    expect(unset.out).not.toContain('starting the Temporal dev server');
    expect(unset.code, unset.out).toBe(0);

    const port = await closedPort();
    const closed = await runDemo(['--scenario', 'ai'], 60_000, { OLLAMA_HOST: `http://127.0.0.1:${port}` });
    expect(closed.out).toContain(
      `kubeskippy demo: ai: skipped — no model reachable (http://127.0.0.1:${port} did not answer: ECONNREFUSED)`,
    );
    expect(closed.code, closed.out).toBe(0);
  }, 150_000);

  it('ai with a model: asks it, follows its choice, shows the analysis (exit 0, PASS)', async () => {
    const model = await startFakeModel({ models: ['fake-llm:latest'] });
    // The policy's other allowed action, so decide mode visibly overrides the rule's choice.
    model.reply({ content: answer('rollout-restart', 0.9) });
    try {
      const address = inject('temporalAddress');
      const { code, out } = await runDemo(
        ['--scenario', 'ai', '--time-scale', '0.5', '--temporal-address', address],
        220_000,
        { OLLAMA_HOST: model.url, KUBESKIPPY_AI_MODEL: 'fake-llm' },
      );
      expect(out).toContain(`kubeskippy demo: ai: using model fake-llm at ${model.url} (Ollama)`);
      // The narration: the analysis, and that decide mode followed it.
      expect(out).toMatch(
        /HealingAction ai-analysis-\S+: AI fake-llm → rollout-restart \(0.90, followed\): memory grows until the container is killed/,
      );
      expect(out).toContain('Followed: decide mode runs rollout-restart instead of restart-pod');
      expect(out).toMatch(/^operator metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
      const summary = out.slice(out.lastIndexOf('\nSummary'));
      const row = summary.split('\n').find((l) => l.startsWith('ai ')) ?? '';
      expect(row, out).toMatch(
        /PASS .*high-memory .*patched Deployment\/ai-app .*healed: Healed; fake-llm → rollout-restart \(0.90, followed\): memory grows/,
      );
      // The operator the demo started asked the model it was configured with.
      const chats = model.requests.filter((r) => r.path === '/api/chat');
      expect(chats.length).toBeGreaterThanOrEqual(1);
      expect(chats[0]!.body.model).toBe('fake-llm');
      expect(code, out).toBe(0);
    } finally {
      await model.close();
    }
  }, 240_000);

  it('plays every scenario and heals each as expected (exit 0, one PASS row per scenario)', async () => {
    const address = inject('temporalAddress');
    // No model configured: `all` includes ai, which is skipped (and says so) without failing.
    const scraper = demoScraper();
    const { code, out } = await runDemo(
      ['--scenario', 'all', '--time-scale', '0.5', '--temporal-address', address],
      280_000,
      {},
      scraper.onOutput,
    ).finally(scraper.stop);
    expect(out).toContain('kubeskippy demo: ai: skipped — no model reachable (OLLAMA_HOST is not set)');
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
    expect(row('ai'), out).toMatch(/SKIPPED .*skipped: no model reachable \(OLLAMA_HOST is not set\)/);
    // The approval commands were shown before the demo approved it.
    expect(out).toMatch(
      /kubectl --kubeconfig \S+ -n demo-apps annotate healingaction manual-approval-\S+ kubeskippy.io\/approve=true/,
    );
    expect(out).toMatch(/node bin\/kubeskippy.js action approve demo-apps\/manual-approval-\S+/);
    expect(out).toMatch(/temporal workflow update execute .*--name approveAction/);
    expect(out).toContain('get healingpolicies,healingactions -A');
    // The operator's /metrics is on a free port: the demo says which, and its log too.
    const port = /^operator metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics$/m.exec(out)?.[1];
    expect(port, out).toBeDefined();
    const log = await readFile(path.join(dir, '.kubeskippy', 'demo-operator.log'), 'utf8');
    const said = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg?: string; metricsPort?: number })
      // The last one: the log file is the directory's, and an earlier test's demo ran here too.
      .findLast((l) => l.msg === 'health on /healthz and /readyz, metrics on /metrics');
    expect(said?.metricsPort).toBe(Number(port));
    await expectDemoMetrics(scraper.last());
    expect(code, out).toBe(0);
  }, 300_000);
});

/**
 * The demo's operator serves what the README promises (the Temporal SDK's temporal_* too, which
 * it once did not), with single-prefixed process series, and every series the Grafana dashboard
 * queries, the Alertmanager receiver's counter apart (the demo runs no receiver; the dashboard
 * test checks it on an operator that does).
 */
async function expectDemoMetrics(text: string | undefined): Promise<void> {
  expect(text, 'a scrape of the demo operator while it ran').toBeDefined();
  const served = servedNames(text!);
  const promised = await readmeSeries();
  expect(promised.length).toBeGreaterThanOrEqual(10);
  expect(missingSeries(promised, served), 'promised by the README, absent from the demo operator').toEqual(
    [],
  );
  expect([...served].filter((n) => n.startsWith('kubeskippy_process_process_'))).toEqual([]);
  const unserved = unservedNames(dashboardQueries(await loadDashboard()), served);
  expect(unserved.filter((u) => u.name !== 'kubeskippy_alert_notifications_total')).toEqual([]);
}
