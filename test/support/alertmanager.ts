// A real Alertmanager (the Debian package's `prometheus-alertmanager`) posting to the operator's
// receiver with its webhook_configs, as a user would configure it: a bearer token, send_resolved,
// and short group timings so a test sees a notification within seconds. Clustering is off (no
// gossip port), its own temp dir and a free port each.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findBinary, freePort, stopChild } from './prometheus.js';

export interface RunningAlertmanager {
  /** host:port, for Prometheus' alerting.alertmanagers. */
  address: string;
  stop(): Promise<void>;
}

/** The receiver config the README shows, with test timings. */
export function alertmanagerConfig(webhookUrl: string, token: string): Record<string, unknown> {
  return {
    route: {
      receiver: 'kubeskippy',
      group_by: ['alertname', 'namespace'],
      group_wait: '1s',
      group_interval: '2s',
      repeat_interval: '1h',
    },
    receivers: [
      {
        name: 'kubeskippy',
        webhook_configs: [
          {
            url: webhookUrl,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: token } },
          },
        ],
      },
    ],
  };
}

export async function startAlertmanager(webhookUrl: string, token: string): Promise<RunningAlertmanager> {
  const binary = await findBinary('prometheus-alertmanager');
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, stringify(alertmanagerConfig(webhookUrl, token)));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const orphan = (): void => void child.kill('SIGKILL');
  process.once('exit', orphan);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    process.off('exit', orphan);
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Alertmanager did not become ready (exit ${child.exitCode ?? 'none'}): ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { address: `127.0.0.1:${port}`, stop };
}
