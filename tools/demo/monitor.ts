// `kubeskippy demo monitor` (demo/monitor.sh): the demo's live view for any cluster, without
// starting or deploying anything. Temporal is optional; with it the view adds policy refusals.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { createKube, loadKubeConfig } from '../../activities/kube/clients.js';
import { loadConfig } from '../../operator/config.js';
import { connectClient } from '../../operator/temporal.js';
import { observe, type DemoSnapshot } from './observe.js';
import { liveOutput } from './screen.js';
import { GROUP_VERSION } from '../../crds/api-group.js';

export interface MonitorOptions {
  kubeconfig?: string;
  namespace: string;
  temporalAddress?: string;
  /** Stop after this long (tests); default: until Ctrl-C. */
  durationMs?: number;
}

export async function runMonitor(opts: MonitorOptions): Promise<void> {
  const kube = createKube(loadKubeConfig(opts.kubeconfig));
  // The cluster name an operator using this kubeconfig would have (its policy workflow ids).
  const { clusterName } = loadConfig(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {});
  let client: Client | undefined;
  if (opts.temporalAddress)
    client = await connectClient(loadConfig({ temporalAddress: opts.temporalAddress }));
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const startedMs = Date.now();
  let snap: DemoSnapshot | undefined;
  const live = liveOutput(process.stdout, { narrateFromMs: startedMs });
  const title = `KubeSkippy monitor: namespace ${opts.namespace}`;
  const notes = ['Ctrl-C to stop watching (it changes nothing in the cluster).'];
  try {
    while (
      !stop.signal.aborted &&
      (opts.durationMs === undefined || Date.now() - startedMs < opts.durationMs)
    ) {
      const policies = await kube.custom
        .listNamespacedCustomObject({
          ...GROUP_VERSION,
          namespace: opts.namespace,
          plural: 'healingpolicies',
        })
        .then((l) => (l as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name))
        .catch(() => []);
      const next = await observe(
        { kube, namespace: opts.namespace, cluster: clusterName, policies, ...(client ? { client } : {}) },
        snap,
      );
      live.show(snap, next, { title, startedMs, results: [], notes });
      snap = next;
      await sleep(1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    live.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await client?.connection.close();
  }
}
