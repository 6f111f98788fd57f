// `startCluster()`: a real Kubernetes control plane on this machine, no containers —
//
//   etcd → kube-apiserver (TLS, Node+RBAC) → kube-controller-manager → kube-scheduler
//        → kwok (fake nodes, pod lifecycle, resource usage) → metrics-server (metrics.k8s.io)
//        → kube-state-metrics (kube_pod_* series for Prometheus)
//
// Ready means: /readyz ok, every fake node Ready, and the metrics API answering with node usage.
// `stop()` (and Ctrl-C / SIGTERM in the CLI) stops every process; a component that dies while the
// cluster runs is reported through `died` and the rest are stopped.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { startLoadSpreader } from './load-spreader.js';
import { componentSpecs, type Layout, type Ports } from './components.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { bootstrap } from './bootstrap.js';
import { pickPorts } from './ports.js';
import { ensurePki, type Pki } from './pki.js';
import type { ComponentDiedError } from './processes.js';
import { reapStale, Supervisor, waitReady } from './processes.js';
import { resolveClusterTools, type ClusterTools } from './tools.js';

export { ComponentDiedError } from './processes.js';
export { ClusterToolsError } from './tools.js';
export { writeServiceAccountKubeconfig } from './service-account.js';
// The niced Go build step with progress lines, shared with tools/helm.ts (which builds helm the same way).
export { formatElapsed, runGo, type GoRunner, type ResolveBuiltToolOptions } from './go-run.js';

const CLUSTER_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DEFAULT_KWOK_CONFIG_DIR = path.join(CLUSTER_DIR, 'kwok');

export interface StartClusterOptions {
  /** The API server's port; 0 = a free one. */
  port: number;
  /** Holds the PKI, etcd's data, logs, kubeconfigs and the pid file; kept between starts. */
  dataDir: string;
  /** Also write the admin kubeconfig here. */
  kubeconfigOut?: string;
  /** kwok config files (Stages, ClusterResourceUsage, Metric); default: cluster/kwok/*.yaml. */
  kwokConfigs?: readonly string[];
  nodes?: number;
  /** Start from an empty etcd (the certificates are kept): the demo wants a clean cluster. */
  freshData?: boolean;
  log?: (msg: string) => void;
  /** Resolve the binaries without building them (tests: the build is its own CI step). */
  allowBuild?: boolean;
  tools?: ClusterTools;
}

export interface ClusterHandle {
  server: string;
  /** The admin kubeconfig (system:masters). */
  kubeconfig: string;
  dataDir: string;
  pki: Pki;
  logDir: string;
  /** Settles when a component dies while the cluster runs (never while it is healthy). */
  died: Promise<ComponentDiedError>;
  /** ms from the start of startCluster(): `prepared` (binaries, PKI, ports), each component ready, `ready`. */
  timings: Record<string, number>;
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

export async function startCluster(opts: StartClusterOptions): Promise<ClusterHandle> {
  const started = Date.now();
  const log = opts.log ?? ((): void => {});
  const p = await prepare(opts, log);
  const timings: Record<string, number> = { prepared: Date.now() - started };
  const supervisor = new Supervisor(p.pidFile, p.specs);
  try {
    for (const spec of p.specs) {
      const run = await supervisor.start(spec, p.logDir);
      await waitReady(run, spec, p.tls, spec.name === 'kube-apiserver' ? 120_000 : 60_000);
      timings[spec.name] = Date.now() - started;
      log(`${spec.name} ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      if (spec.name === 'kube-apiserver') {
        // Nodes and the metrics APIService go in as soon as the API answers, so kwok and
        // metrics-server find them when they start.
        await bootstrap.beforeKwok(p.kubeconfigs.admin, { nodes: opts.nodes ?? 1, ports: p.ports });
      }
    }
    await bootstrap.untilReady(p.kubeconfigs.admin, { nodes: opts.nodes ?? 1, log });
    // CEL in kwok's usage sees one pod; how many replicas share a workload's load comes from here.
    const kc = new KubeConfig();
    kc.loadFromFile(p.kubeconfigs.admin);
    const spreader = await startLoadSpreader(kc, { onError: (err) => log(`load spreader: ${String(err)}`) });
    supervisor.onStop(() => spreader.stop());
    timings.ready = Date.now() - started;
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  if (opts.kubeconfigOut) {
    await mkdir(path.dirname(path.resolve(opts.kubeconfigOut)), { recursive: true });
    await writeFile(opts.kubeconfigOut, await readFile(p.kubeconfigs.admin));
  }
  return {
    server: p.server,
    kubeconfig: p.kubeconfigs.admin,
    dataDir: p.dataDir,
    pki: p.pki,
    logDir: p.logDir,
    died: supervisor.died,
    timings,
    pids: () => Object.fromEntries(supervisor.runs.map((r) => [r.name, r.child.pid])),
    stop: () => supervisor.stopAndForget(),
  };
}

interface Prepared {
  dataDir: string;
  logDir: string;
  pidFile: string;
  pki: Pki;
  ports: Ports;
  server: string;
  kubeconfigs: Layout['kubeconfigs'];
  specs: ReturnType<typeof componentSpecs>;
  tls: { ca: Buffer; cert: Buffer; key: Buffer };
}

/** Everything before the first process starts: folders, leftovers, binaries, PKI, ports, kubeconfigs. */
async function prepare(opts: StartClusterOptions, log: (msg: string) => void): Promise<Prepared> {
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const pidFile = path.join(dataDir, 'pids.json');
  await reapStale(pidFile, log);
  if (opts.freshData) await rm(path.join(dataDir, 'etcd'), { recursive: true, force: true });
  const tools =
    opts.tools ?? (await resolveClusterTools({ allowBuild: opts.allowBuild ?? false, onProgress: log }));
  const pki = await ensurePki(path.join(dataDir, 'pki'));
  // The last start's ports are reused when free, so a restart keeps the same URLs.
  const portsFile = path.join(dataDir, 'ports.json');
  const previous = JSON.parse(await readFile(portsFile, 'utf8').catch(() => '{}')) as Partial<Ports>;
  const ports = await pickPorts(opts.port, previous);
  await writeFile(portsFile, `${JSON.stringify(ports, null, 2)}\n`);
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfigs = await writeKubeconfigs(dataDir, server, pki);
  const kwokConfigs = opts.kwokConfigs ?? (await defaultKwokConfigs());
  const specs = componentSpecs(tools, { dataDir, pki, ports, kubeconfigs, kwokConfigs });
  const tls = {
    ca: await readFile(pki.ca.cert),
    cert: await readFile(pki.admin.cert),
    key: await readFile(pki.admin.key),
  };
  return { dataDir, logDir, pidFile, pki, ports, server, kubeconfigs, specs, tls };
}

async function writeKubeconfigs(dataDir: string, server: string, pki: Pki): Promise<Layout['kubeconfigs']> {
  const dir = path.join(dataDir, 'kubeconfig');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const write = async (name: string, cert: Pki['admin']): Promise<string> => {
    const file = path.join(dir, `${name}.kubeconfig`);
    await writeFile(file, await kubeconfigYaml({ server, caFile: pki.ca.cert, user: { name, cert } }), {
      mode: 0o600,
    });
    return file;
  };
  return {
    admin: await write('admin', pki.admin),
    controllerManager: await write('kube-controller-manager', pki.controllerManager),
    scheduler: await write('kube-scheduler', pki.scheduler),
  };
}

async function defaultKwokConfigs(): Promise<string[]> {
  const files = (await readdir(DEFAULT_KWOK_CONFIG_DIR).catch(() => []))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return files.map((f) => path.join(DEFAULT_KWOK_CONFIG_DIR, f));
}
