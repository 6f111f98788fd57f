// Chaos, API faults on the real control plane (issue 13, part 3): the operator, as its own
// ServiceAccount, talks to the real kube-apiserver through a fault proxy (test/support/fault-proxy.ts)
// that answers 20% of its resource requests 429/500/503, cuts them before an answer, or carries
// them out and cuts the answer, and cuts watch streams. Two policies keep acting (evict, scale).
// After the faults every action is terminal, and the destructive requests the API server accepted
// (counted at the proxy) are exactly the ones the HealingActions account for.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { eventually } from '../support/engine-harness.js';
import { healingPolicy, isTerminal, sleep } from '../support/engine-scenarios.js';
import type { HealingAction } from '../../crds/healing-action.js';
import { byPathStatus, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { deployment } from '../support/sim-fixtures.js';
import {
  actionsRunning,
  compareWrites,
  destructiveCalls,
  expectedWrites,
  overlaps,
  policiesEnded,
  probeReadiness,
} from '../chaos/api-faults-support.js';
import { startRealEngine, type RealEngine } from './support.js';

const FAULT_MS = 60_000;
// After the faults the record writes may be backing off (recordWrites: up to 30 s between attempts)
// behind reads and an execute retry (up to 10 s and 30 s): an honest bound is their sum and more.
const SETTLE_MS = 90_000;

let engine: RealEngine;
let proxy: FaultProxy;
let dir: string;
beforeAll(async () => {
  proxy = await startFaultProxy(inject('realOperatorKubeconfig'));
  dir = await mkdtemp(join(tmpdir(), 'kubeskippy-fault-proxy-'));
  const kubeconfig = join(dir, 'operator-via-proxy.kubeconfig');
  await writeFile(kubeconfig, proxy.kubeconfigYaml, { mode: 0o600 });
  engine = await startRealEngine({ operatorKubeconfig: kubeconfig });
});
afterAll(async () => {
  await engine?.stop();
  await proxy?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** For a timeout's message: each open action's record and what its workflow is waiting for. */
async function whereStuck(open: HealingAction[]): Promise<string> {
  const lines = await Promise.all(
    open.map(async (a) => {
      const id = a.metadata.annotations?.['kubeskippy.io/workflow-id'] ?? '';
      const head = `${a.metadata.name} ${a.status?.phase} ${a.status?.message}`;
      try {
        const d = await engine.client.workflow.getHandle(id).describe();
        const pending = (d.raw.pendingActivities ?? []).map(
          (p) => `${p.activityType?.name} attempt ${p.attempt} ${p.state}: ${p.lastFailure?.message ?? ''}`,
        );
        return `${head} [workflow ${d.status.name}; ${pending.join('; ') || 'no pending activity'}]`;
      } catch (err) {
        return `${head} [workflow ${id}: ${(err as Error).message}]`;
      }
    }),
  );
  return lines.join(' | ');
}

const ready = {
  name: 'ready',
  type: 'condition',
  conditionTrigger: { type: 'Ready', status: 'True' },
  cooldownPeriod: '4s',
};
const policy = (app: string, action: Record<string, unknown>): ReturnType<typeof healingPolicy> =>
  healingPolicy(engine.namespace, app, app, {
    evaluationInterval: '2s',
    triggers: [ready],
    actions: [action],
    // The always-true trigger "relapses" after every action, which is what this test wants: many
    // actions. Ineffective-fix detection would rightly hold the fix after 3 and ask a person.
    safetyRules: {
      maxActionsPerHour: 200,
      maxConcurrentActions: 1,
      maxConsecutiveFailures: 50,
      ineffectiveRemediation: { enabled: false },
    },
    verification: { delay: '1s', interval: '1s', timeout: '30s', requireTriggerCleared: false },
  });

describe('chaos on the real control plane: API faults through a proxy', () => {
  it('every action ends and the API server saw each write once', { timeout: 240_000 }, async () => {
    await engine.apply([
      deployment('rf-evict', { replicas: 2 }),
      deployment('rf-scale', { replicas: 1 }),
      policy('rf-evict', {
        name: 'evict',
        type: 'restart',
        restartAction: { strategy: 'evict', gracePeriodSeconds: 0 },
      }),
      policy('rf-scale', {
        name: 'scale-up',
        type: 'scale',
        scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 40 },
      }),
    ]);
    await eventually('the first action', async () => (await engine.actions()).length >= 1, 60_000);
    const probes = probeReadiness(engine.operator!.metricsPort, 500);
    const first = proxy.records().length;
    // 20% in all: 14% answered 429/500/503, 2% cut before an answer, 4% done with the answer cut.
    proxy.set({
      errorRate: 0.14,
      errorCodes: [429, 500, 503],
      dropRate: 0.02,
      lostAnswerRate: 0.04,
      latencyMs: 20,
      watchCutAfterMs: 5_000,
    });
    await sleep(FAULT_MS);
    proxy.set({});
    // No new actions from here on, so the proxy's counts and the actions describe the same work:
    // a deleted policy's workflow ends, and its open actions finish alone.
    await engine.kube.custom.deleteCollectionNamespacedCustomObject({
      group: 'kubeskippy.io',
      version: 'v1alpha1',
      namespace: engine.namespace,
      plural: 'healingpolicies',
    });
    await eventually(
      'the deleted policies to end',
      () =>
        policiesEnded(engine.client, engine.config.clusterName, engine.namespace, ['rf-evict', 'rf-scale']),
      20_000,
    );
    const during = proxy.records().slice(first);
    const faulted = during.filter((r) => r.fate !== 'forwarded').length;
    const faultsEnded = Date.now();
    let open: HealingAction[] = [];
    const all = await eventually(
      'every action terminal',
      async () => {
        const actions = await engine.actions();
        open = actions.filter((a) => !isTerminal(a));
        if (open.length) return undefined;
        // A started action may still be backing off its HealingAction create: wait for it too.
        return (await actionsRunning(engine.client, engine.namespace)) === 0 ? actions : undefined;
      },
      SETTLE_MS,
      1_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await whereStuck(open)}`);
    });
    const settledS = ((Date.now() - faultsEnded) / 1000).toFixed(1);
    await sleep(2_000);
    const readiness = probes.stop();
    expect((await engine.actions()).length, 'no action started after the policies were deleted').toBe(
      all.length,
    );

    const calls = destructiveCalls({ byPathStatus: byPathStatus(proxy.records()) }, engine.namespace);
    const expected = expectedWrites(all);
    const { duplicates, missing, reasked } = compareWrites(calls.accepted, expected);
    const overlapping = overlaps(all);
    const terminal = all.filter((a) => isTerminal(a)).length;
    const replicas = (
      await engine.kube.apps.readNamespacedDeployment({ name: 'rf-scale', namespace: engine.namespace })
    ).spec?.replicas;
    const readyPct = ((100 * readiness.ready) / Math.max(1, readiness.total)).toFixed(1);
    const why = JSON.stringify({
      accepted: calls.accepted,
      expected: expected.byTarget,
      actions: all.map(
        (a) =>
          `${a.spec.targetResource.kind}/${a.spec.targetResource.name} ${a.status?.phase}/${a.status?.reason} ` +
          `exec ${a.status?.executionTime ?? '-'}: ${a.status?.message}`,
      ),
      evictions: proxy
        .records()
        .filter((r) => r.path.endsWith('/eviction'))
        .map((r) => `${r.path.split('/')[6]} ${r.fate} ${r.status}`),
    });
    console.log(
      `chaos: real api faults 20% for ${FAULT_MS / 1000}s via proxy, ${faulted} of ${during.length} requests failed ` +
        `(${during.filter((r) => r.fate === 'lost-answer').length} done with the answer cut), ` +
        `${all.length} actions, ${terminal}/${all.length} terminal (${settledS}s after), ` +
        `${duplicates} duplicates (${reasked} evictions asked again), ${missing} missing, ${overlapping.length} overlapping, ` +
        `ready ${readyPct}% of ${readiness.total} probes` +
        (readiness.reasons.length ? ` (not ready: ${readiness.reasons.join('; ')})` : ''),
    );

    expect(faulted / during.length).toBeGreaterThan(0.1);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(terminal).toBe(all.length);
    expect(duplicates, why).toBe(0);
    expect(missing, why).toBe(0);
    expect(overlapping).toEqual([]);
    expect(replicas).toBe(1 + expected.scales);
    expect(readiness.silent).toBe(0);
  });
});
