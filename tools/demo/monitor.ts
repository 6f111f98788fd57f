// `kubeskippy demo monitor` (demo/monitor.sh): the demo's live view for any cluster, without
// starting or deploying anything. Temporal is optional; with it the view adds policy refusals.
import type { Client } from '@temporalio/client';
import { createKube, loadKubeConfig } from '../../activities/kube/clients.js';
import { loadConfig } from '../../operator/config.js';
import { connectClient } from '../../operator/temporal.js';
import { observe, type DemoSnapshot } from './observe.js';
import { drawFrame, narrate, renderFrame } from './view.js';
import { GROUP_VERSION } from '../../crds/api-group.js';

export interface MonitorOptions {
  kubeconfig?: string;
  namespace: string;
  temporalAddress?: string;
  /** Stop after this long (tests); default: until Ctrl-C. */
  durationMs?: number;
}

export async function runMonitor(opts: MonitorOptions): Promise<void> {
  const out = process.stdout;
  const tty = out.isTTY === true;
  const kube = createKube(loadKubeConfig(opts.kubeconfig));
  let client: Client | undefined;
  if (opts.temporalAddress)
    client = await connectClient(loadConfig({ temporalAddress: opts.temporalAddress }));
  let stop = false;
  const onSignal = (): void => void (stop = true);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const startedMs = Date.now();
  let snap: DemoSnapshot | undefined;
  if (tty) out.write('\x1b[?25l\x1b[2J');
  try {
    while (!stop && (opts.durationMs === undefined || Date.now() - startedMs < opts.durationMs)) {
      const policies = await kube.custom
        .listNamespacedCustomObject({
          ...GROUP_VERSION,
          namespace: opts.namespace,
          plural: 'healingpolicies',
        })
        .then((l) => (l as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name))
        .catch(() => []);
      const next = await observe(
        { kube, namespace: opts.namespace, policies, ...(client ? { client } : {}) },
        snap,
      );
      if (tty) {
        const notes = ['Ctrl-C to stop watching (it changes nothing in the cluster).'];
        const title = `KubeSkippy monitor: namespace ${opts.namespace}`;
        drawFrame(
          out,
          renderFrame(next, { title, startedMs, results: [], notes, width: out.columns || 160 }),
        );
      } else for (const line of narrate(snap, next, startedMs)) out.write(`${line}\n`);
      snap = next;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    if (tty) out.write('\x1b[?25h\n');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await client?.connection.close();
  }
}
