// Leader election on the real control plane (issue 17): two `kubeskippy operator --leader-elect`
// processes as the operator's own ServiceAccount, through a fault proxy that injects nothing and
// only counts what the real kube-apiserver accepted; the Lease lives in kubeskippy-system, where
// the Role lets them write it. The leader is SIGKILLed while its policy's one action verifies: the
// follower takes over within the lease duration (plus retry jitter), the action ends exactly once,
// the destructive writes the API server accepted are the action's own, and Temporal holds one run
// of the policy workflow (test/support/leader-failover.ts; the same scenario runs on the sim).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { CliOperator } from '../support/cli-operator.js';
import { byPathStatus, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { expectExactlyOnce, runLeaderFailover } from '../support/leader-failover.js';
import { startRealEngine, type RealEngine } from './support.js';

const LEASE_NAMESPACE = 'kubeskippy-system';
let engine: RealEngine;
let proxy: FaultProxy;
let dir: string;
let kubeconfig: string;
const children: CliOperator[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(inject('realOperatorKubeconfig'));
  dir = await mkdtemp(join(tmpdir(), 'kubeskippy-leader-'));
  kubeconfig = join(dir, 'operator-via-proxy.kubeconfig');
  await writeFile(kubeconfig, proxy.kubeconfigYaml, { mode: 0o600 });
  engine = await startRealEngine({ operator: false });
});
afterAll(async () => {
  for (const c of children) await c.kill();
  if (engine)
    await engine.kube.config
      .makeApiClient(CoordinationV1Api)
      .deleteNamespacedLease({
        name: `kubeskippy-controller-${engine.namespace}`,
        namespace: LEASE_NAMESPACE,
      })
      .catch(() => undefined);
  await engine?.stop();
  await proxy?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('leader election on the real control plane: the leader killed mid-action', () => {
  it(
    'the follower takes over in time and the action happens exactly once',
    { timeout: 360_000 },
    async () => {
      const figures = await runLeaderFailover(
        {
          kubeconfig,
          config: engine.config,
          namespace: engine.namespace,
          leaseNamespace: LEASE_NAMESPACE,
          client: engine.client,
          apply: (objects) => engine.apply(objects),
          actions: () => engine.actions(),
          requests: () => byPathStatus(proxy.records()),
        },
        children,
      );
      expectExactlyOnce(figures, 'real control plane');
    },
  );
});
