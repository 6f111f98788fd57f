// Leader election around the controller half: the elector (elector.ts) over the Lease
// (lease.ts) starts the controller when this replica becomes the leader and stops it, waiting for
// its watches and mirror pass to end, when it stops leading. The worker half is not involved:
// every replica polls the task queue. The workflows' own ids are the second line of defence:
// policy workflows are started by update-with-start under a deterministic id with USE_EXISTING,
// so a controller racing the leader in the moment before it stops attaches to the same run.
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import type { OperatorConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { LeaderElector } from './elector.js';
import { leaseStore } from './lease.js';

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The Lease's namespace: configured (flag, env, POD_NAMESPACE), the pod's, the kubeconfig's. */
export async function leaseNamespace(config: OperatorConfig, kc: KubeConfig): Promise<string> {
  if (config.leaderElectionNamespace) return config.leaderElectionNamespace;
  const fromFile = await readFile(SA_NAMESPACE_FILE, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (fromFile) return fromFile;
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}

export interface Leadership {
  leading(): boolean;
  /** One line for /readyz and logs: who leads. */
  statusLine(): string;
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  config: OperatorConfig;
  kc: KubeConfig;
  registry: Registry;
  logger: Logger;
  /** Starts the controller half; the returned function stops it. */
  lead(): Promise<() => Promise<void>>;
}

export async function startLeadership(opts: LeadershipOptions): Promise<Leadership> {
  const { config, registry, logger } = opts;
  const namespace = await leaseNamespace(config, opts.kc);
  const timings = {
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
  };
  const gauge = new Gauge({
    name: 'kubeskippy_leader',
    help: 'Whether this replica holds the controller Lease (1) and so runs the controller, or follows (0)',
    registers: [registry],
  });
  gauge.set(0);
  let stopHalf: (() => Promise<void>) | undefined;
  const elector = new LeaderElector({
    // Each request may take up to the renew deadline: by then the leader stops anyway.
    store: leaseStore(opts.kc, {
      namespace,
      name: config.leaderElectionId,
      timeoutMs: timings.renewDeadlineMs,
    }),
    identity: config.leaderElectionIdentity,
    timings,
    logger,
    onStartedLeading: async () => {
      stopHalf = await opts.lead();
    },
    onStoppedLeading: async () => {
      const stop = stopHalf;
      stopHalf = undefined;
      await stop?.();
    },
    onHolder: (_holder, leading) => gauge.set(leading ? 1 : 0),
  });
  elector.start();
  return {
    leading: () => elector.leading,
    statusLine: () =>
      elector.leading
        ? `leader (${config.leaderElectionIdentity}, Lease ${namespace}/${config.leaderElectionId})`
        : `follower of ${elector.holder ?? 'nobody yet'} (Lease ${namespace}/${config.leaderElectionId})`,
    stop: () => elector.stop(),
  };
}
