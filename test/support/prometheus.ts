// A real Prometheus (the Debian package's binary, installed by .ci/run) scraping the sim's
// /metrics/pods, for PromQL triggers to meet real data. Each one gets its own temp dir (config and
// TSDB) and a free port, scrapes every second, and is ready only after its first scrape. Nothing is
// downloaded: without the binary the test fails and says how to install it.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { queryUrl } from '../../activities/snapshot/prometheus.js';

export interface RunningPrometheus {
  /** The base URL, with the route prefix when there is one. */
  url: string;
  /** An instant query; the vector's samples, labels and value. */
  instant(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/** A scrape job other than the sim's: e.g. kwok's kubelet-style metrics on the real cluster. */
export interface ScrapeJob {
  jobName: string;
  scheme: 'http' | 'https';
  metricsPath: string;
  /** host:port */
  target: string;
  /** kwok's node port serves a self-signed certificate, as a kubelet's often does. */
  insecureSkipVerify?: boolean;
}

export interface PrometheusOptions {
  /** Base URL of the sim's API server; Prometheus scrapes its /metrics/pods. */
  simUrl?: string;
  /** Scrape these instead of the sim. */
  jobs?: ScrapeJob[];
  /** Scrape and rule evaluation interval in seconds (default 1). */
  intervalSec?: number;
  /** Serve everything under this path (--web.route-prefix), as behind a proxy: e.g. "/prom". */
  routePrefix?: string;
  /** Alerting rules: rule groups as in a rule file's `groups:` list. */
  ruleGroups?: Record<string, unknown>[];
  /** Where firing alerts go: an Alertmanager's host:port. */
  alertmanager?: string;
}

/** The binary on PATH, else where the Debian package puts it. */
export async function findBinary(name: string): Promise<string> {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  throw new Error(
    `${name} not found on PATH or in /usr/bin: apt-get install -y --no-install-recommends prometheus prometheus-alertmanager (.ci/run does)`,
  );
}

/** A port free now (the kernel picks it); Prometheus binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function scrapeJobs(opts: PrometheusOptions): ScrapeJob[] {
  if (opts.jobs?.length) return opts.jobs;
  if (!opts.simUrl) throw new Error('startPrometheus: simUrl or jobs is needed');
  return [
    { jobName: 'sim-pods', scheme: 'http', metricsPath: '/metrics/pods', target: new URL(opts.simUrl).host },
  ];
}

function config(
  jobs: ScrapeJob[],
  intervalSec: number,
  alerting: { rules?: string; alertmanager?: string },
): string {
  const every = `${intervalSec}s`;
  return stringify({
    global: { scrape_interval: every, scrape_timeout: every, evaluation_interval: every },
    ...(alerting.rules ? { rule_files: [alerting.rules] } : {}),
    ...(alerting.alertmanager
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [alerting.alertmanager] }] }] } }
      : {}),
    scrape_configs: jobs.map((job) => ({
      job_name: job.jobName,
      // The series name their pod in `namespace`/`pod` labels; keep them over the target's.
      honor_labels: true,
      scheme: job.scheme,
      metrics_path: job.metricsPath,
      ...(job.insecureSkipVerify ? { tls_config: { insecure_skip_verify: true } } : {}),
      static_configs: [{ targets: [job.target] }],
    })),
  });
}

async function instantQuery(
  url: string,
  promql: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const body = (await (await fetch(queryUrl(url, promql), { signal: AbortSignal.timeout(5000) })).json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
  return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await probe().catch(() => false))) {
    // Exited (a bad flag, the port taken in between): say so now rather than at the deadline.
    if (child.exitCode !== null) throw new Error(`Prometheus exited before ${what}\n${log()}`);
    if (Date.now() > deadline) throw new Error(`Prometheus: timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // SIGTERM lets it close the TSDB; a hung one is killed after 10 s.
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = await findBinary('prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const jobs = scrapeJobs(opts);
  const rules = opts.ruleGroups ? join(dir, 'rules.yml') : undefined;
  if (rules) await writeFile(rules, stringify({ groups: opts.ruleGroups }));
  await writeFile(
    configFile,
    config(jobs, opts.intervalSec ?? 1, {
      ...(rules ? { rules } : {}),
      ...(opts.alertmanager ? { alertmanager: opts.alertmanager } : {}),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${opts.routePrefix ?? ''}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(opts.routePrefix ? [`--web.route-prefix=${opts.routePrefix}`] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // A test process that dies without stop() must not leave a Prometheus behind.
  const orphan = (): void => void child.kill('SIGKILL');
  process.once('exit', orphan);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  const log = (): string => `exit ${child.exitCode ?? 'none'}; stderr: ${stderr}`;
  const stop = async (): Promise<void> => {
    process.off('exit', orphan);
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('/-/ready', async () => (await fetch(`${url}/-/ready`)).ok, child, log);
    for (const job of jobs)
      await waitUntil(
        `the first scrape of ${job.jobName}`,
        async () => (await instantQuery(url, `up{job="${job.jobName}"} == 1`)).length === 1,
        child,
        log,
      );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, instant: (promql) => instantQuery(url, promql), stop };
}
