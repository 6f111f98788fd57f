// A fleet: two real control planes (the tier's and a second `kubeskippy cluster` on other ports and
// another data directory) and one Temporal dev server, with an operator for each (--cluster-name a
// and b, each on its default task queue kubeskippy-<cluster>). The SAME namespace, Deployment and
// HealingPolicy names in both clusters: before cluster names were in the workflow ids, the second
// operator's policy would have found the first's workflow (signal-with-start, USE_EXISTING) and
// the two clusters would have shared one workflow, healed by whichever worker polled it.
// The tier's dev server is headless, so this file starts its own with the Web UI, to ask the UI's
// HTTP API the question a person types into its search box.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCluster, type ClusterHandle } from '../../cluster/index.js';
import type { HealingAction } from '../../crds/healing-action.js';
import { parseActionWorkflowId, parsePolicyWorkflowId, policyWorkflowId } from '../../domain/ids.js';
import { startDevServer, type DevServer } from '../../tools/dev-server.js';
import { prepareOperatorIdentity } from '../../tools/demo/real-cluster.js';
import { eventually } from '../support/engine-harness.js';
import { healingPolicy } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';
import { startRealEngine, type RealEngine } from './support.js';

const CLUSTERS = ['a', 'b'] as const;
type Name = (typeof CLUSTERS)[number];

let dir: string;
let second: ClusterHandle | undefined;
let temporal: DevServer | undefined;
const engines = {} as Record<Name, RealEngine>;
/** The one namespace name both clusters use (the collision case). */
const namespace = `r-fleet-${randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-fleet-'));
  const log = (msg: string): void => void process.stderr.write(`[cluster b] ${msg}\n`);
  // Both at once: the second control plane takes ~10 s, the dev server ~2 s.
  const [cluster, server] = await Promise.all([
    startCluster({ port: 0, dataDir: path.join(dir, 'cluster-b'), allowBuild: false, log }),
    startDevServer({ port: 0, uiPort: 0, ...cliPath() }),
  ]);
  second = cluster;
  temporal = server;
  // Its own directory: the identity's kubeconfig has a fixed file name.
  const identityDir = path.join(dir, 'identity-b');
  await mkdir(identityDir);
  const identity = await prepareOperatorIdentity(cluster.kubeconfig, identityDir);
  const target = { address: server.address, namespace: server.namespace };
  engines.a = await startRealEngine({ clusterName: 'a', namespace, temporal: target });
  engines.b = await startRealEngine({
    clusterName: 'b',
    namespace,
    temporal: target,
    adminKubeconfig: cluster.kubeconfig,
    operatorKubeconfig: identity.kubeconfig,
  });
}, 240_000);

afterAll(async () => {
  for (const name of CLUSTERS) await engines[name]?.stop().catch(() => undefined);
  await temporal?.stop();
  await second?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

function cliPath(): { cliPath?: string } {
  const found = inject('temporalCliPath');
  return found ? { cliPath: found } : {};
}

/** Every Ready pod fires; one eviction per hour, so each cluster heals exactly once. */
const policy = healingPolicy(namespace, 'heal', 'web', {
  triggers: [{ name: 'busy', type: 'condition', conditionTrigger: { type: 'Ready', status: 'True' } }],
  actions: [{ name: 'evict', type: 'restart', restartAction: { strategy: 'evict', gracePeriodSeconds: 0 } }],
  safetyRules: { minReadyReplicas: 0, maxActionsPerHour: 1 },
  verification: { delay: '1s', timeout: '90s', interval: '1s', requireTriggerCleared: false },
});

async function list(client: Client, query: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query })) out.push(wf);
  return out;
}

/** The Web UI's own HTTP API: what its search box asks for `KubeSkippyCluster="a"`. */
async function uiSearch(query: string): Promise<string[]> {
  const url = `${temporal!.uiUrl}/api/v1/namespaces/${temporal!.namespace}/workflows?query=${encodeURIComponent(query)}`;
  const res = await fetch(url);
  expect(res.status, `${url}: ${await res.clone().text()}`).toBe(200);
  const body = (await res.json()) as { executions?: { execution: { workflowId: string } }[] };
  return (body.executions ?? []).map((e) => e.execution.workflowId).sort();
}

describe('two clusters, one Temporal namespace', () => {
  it(
    'the same namespace and policy in both: each cluster heals its own target, neither sees the other',
    { timeout: 300_000 },
    async () => {
      const started: Record<string, number> = {};
      const done = {} as Record<Name, HealingAction>;
      const before = {} as Record<Name, string[]>;
      for (const name of CLUSTERS) {
        await engines[name].apply([deployment('web', { replicas: 1 })]);
      }
      for (const name of CLUSTERS) {
        before[name] = await eventually(
          `cluster ${name}: web running`,
          async () => {
            const pods = (await engines[name].pods('web')).filter((p) => p.status?.phase === 'Running');
            return pods.length === 1 ? pods.map((p) => p.metadata.uid!) : undefined;
          },
          120_000,
        );
      }
      for (const name of CLUSTERS) {
        started[name] = Date.now();
        await engines[name].apply([policy]);
      }
      await Promise.all(
        CLUSTERS.map(async (name) => {
          done[name] = await eventually(
            `cluster ${name}: a Succeeded action`,
            async () => (await engines[name].actions()).find((a) => a.status?.phase === 'Succeeded'),
            180_000,
          );
          const end = Date.parse(done[name].status!.completionTime!);
          process.stdout.write(
            `[fleet] cluster ${name}: healed in ${((end - started[name]!) / 1000).toFixed(1)}s ` +
              `(policy applied → action Succeeded), HealingAction ${done[name].metadata!.name}\n`,
          );
        }),
      );

      // Each cluster's record names its own cluster, its own target, and only its own.
      for (const name of CLUSTERS) {
        const records = await engines[name].actions();
        expect(records.length, `cluster ${name}: ${records.map((r) => r.metadata?.name).join(', ')}`).toBe(1);
        const [record] = records;
        expect(record!.metadata!.labels?.['kubeskippy.io/cluster']).toBe(name);
        expect(record!.spec.cluster).toBe(name);
        expect(before[name]).toContain(record!.spec.targetResource.uid);
        const other = CLUSTERS.find((c) => c !== name)!;
        expect(before[other]).not.toContain(record!.spec.targetResource.uid);
        const workflowId = record!.metadata!.annotations?.['kubeskippy.io/workflow-id'] ?? '';
        expect(parseActionWorkflowId(workflowId)).toMatchObject({ cluster: name, namespace, policy: 'heal' });
      }
      // Both evicted pods are gone and replaced, each in its own cluster.
      for (const name of CLUSTERS) {
        await eventually(
          `cluster ${name}: web replaced`,
          async () => {
            const pods = (await engines[name].pods('web')).filter(
              (p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
            );
            return pods.length === 1 && !before[name].includes(pods[0]!.metadata.uid!);
          },
          120_000,
        );
      }

      // Visibility: one policy workflow per cluster (not one shared), each cluster's own actions.
      const client = engines.a.client;
      const ids = {} as Record<Name, string[]>;
      for (const name of CLUSTERS) {
        const found = await eventually(`visibility of cluster ${name}`, async () => {
          const wfs = await list(
            client,
            `KubeSkippyCluster="${name}" AND KubeSkippyNamespace="${namespace}"`,
          );
          return wfs.some((w) => parseActionWorkflowId(w.workflowId)) ? wfs : undefined;
        });
        ids[name] = found.map((w) => w.workflowId).sort();
        expect(ids[name]).toContain(policyWorkflowId(name, namespace, 'heal'));
        for (const w of found) {
          const parsed = parsePolicyWorkflowId(w.workflowId) ?? parseActionWorkflowId(w.workflowId);
          expect(parsed?.cluster, w.workflowId).toBe(name);
          expect(w.taskQueue).toBe(`kubeskippy-${name}`);
        }
        const policies = found.filter((w) => parsePolicyWorkflowId(w.workflowId)).length;
        process.stdout.write(
          `[fleet] cluster ${name}: ${found.length} workflows (${policies} policy, ` +
            `${found.length - policies} action) with KubeSkippyCluster="${name}"\n`,
        );
      }
      expect(ids.a.filter((id) => ids.b.includes(id))).toEqual([]);

      // The Web UI's search: KubeSkippyCluster="a" finds only cluster a (the whole namespace's).
      const all = (await list(client, 'KubeSkippyCluster="a"')).map((w) => w.workflowId).sort();
      expect(all).toEqual(ids.a);
      const ui = await eventually('the Web UI search', async () => {
        const got = await uiSearch('KubeSkippyCluster="a"');
        return got.length === ids.a.length ? got : undefined;
      });
      expect(ui).toEqual(ids.a);
      expect(ui.filter((id) => ids.b.includes(id))).toEqual([]);
      process.stdout.write(
        `[fleet] Web UI search KubeSkippyCluster="a": ${ui.length} workflows, all cluster a's\n`,
      );
    },
  );
});
