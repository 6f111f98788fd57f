// The controller end to end on the simulated cluster: a HealingPolicy edited while it runs reaches
// the same workflow run through the updatePolicy update; an edit that only our validation rejects
// leaves the last good spec running and says why on the CR; deleting the CR cancels the workflow
// but keeps its HealingActions; the informer comes back after its watch breaks; and an operator
// started before the CRDs exist says how to install them, is not ready, and starts working once
// they are applied — without a restart.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingPolicyStatus } from '../../crds/healing-policy.js';
import { renderCrdStream } from '../../crds/render.js';
import { missingCrdMessage } from '../../operator/controller/missing-crd.js';
import { KubeSkippyMode } from '../../workflows/search-attributes.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  describeActions,
  healingPolicy,
  policyHandle,
  policyStatus,
} from '../support/engine-scenarios.js';
import { kubectlFor } from '../support/kubectl.js';
import { deployment } from '../support/sim-fixtures.js';

const POLICIES = 'kubeskippy.io/v1alpha1/healingpolicies';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const restart = {
  name: 'delete-pod',
  type: 'restart',
  restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
};
const spec = (mode: string): Record<string, unknown> => ({
  mode,
  triggers: [alwaysTrue('busy', { cooldownPeriod: '2s' })],
  actions: [restart],
  safetyRules: { maxActionsPerHour: 100, minReadyReplicas: 0, maxConcurrentActions: 1 },
  verification: { enabled: false },
});

type Cond = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };
const crStatus = (engine: Engine, name: string): HealingPolicyStatus | undefined =>
  engine.sim.store.get(POLICIES, engine.namespace, name)?.status as HealingPolicyStatus | undefined;
const readyOf = (engine: Engine, name: string): Cond | undefined =>
  (crStatus(engine, name)?.conditions as Cond[] | undefined)?.find((c) => c.type === 'Ready');

/** Edits the CR through the API server, as `kubectl patch --type merge` would. */
const patchSpec = (engine: Engine, name: string, patch: Record<string, unknown>): Promise<unknown> =>
  engine.kube.custom.patchNamespacedCustomObject(
    {
      group: 'kubeskippy.io',
      version: 'v1alpha1',
      namespace: engine.namespace,
      plural: 'healingpolicies',
      name,
      body: { spec: patch },
    },
    mergePatch,
  );

describe('the controller on a cluster with the CRDs', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine({ timeScale: 0.1, captureLogs: true });
  });
  afterAll(() => engine?.stop());

  let runId: string;

  it('delivers an edited spec to the running workflow as updatePolicy: same run, new generation, new behaviour', async () => {
    engine.apply([
      deployment('edit-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'edit', 'edit-app', spec('monitor')),
    ]);
    // Monitor mode: the trigger fires, but only MonitorMode refusals, no actions.
    const watching = await eventually(
      'MonitorMode refusals of generation 1',
      async () => {
        const s = await policyStatus(engine, 'edit').catch(() => undefined);
        return s && (s.counters.refusals.MonitorMode ?? 0) >= 2 ? s : undefined;
      },
      30_000,
    );
    expect(watching.policy.generation).toBe(1);
    expect(actionsOf(engine, 'edit')).toEqual([]);
    const before = await policyHandle(engine, 'edit').describe();
    runId = before.runId;

    await patchSpec(engine, 'edit', { mode: 'automatic' });
    expect(engine.sim.store.get(POLICIES, engine.namespace, 'edit')?.metadata.generation).toBe(2);
    const updated = await eventually(
      'generation 2 in the workflow',
      async () => {
        const s = await policyStatus(engine, 'edit');
        return s.policy.generation === 2 ? s : undefined;
      },
      20_000,
    );
    expect(updated.specMode).toBe('automatic');
    expect(updated.mode).toBe('automatic');
    // The new mode acts: pods get restarted.
    await eventually(
      () => `a Succeeded action after the edit: ${describeActions(engine, 'edit')}`,
      () =>
        actionsOf(engine, 'edit').some((a) => a.status?.phase === 'Succeeded' && a.spec.mode === 'automatic'),
      30_000,
    );
    // The same run took the update; nothing was restarted, and counters carried on.
    const after = await policyHandle(engine, 'edit').describe();
    expect(after.runId).toBe(runId);
    expect(after.status.name).toBe('RUNNING');
    expect(after.typedSearchAttributes.get(KubeSkippyMode)).toBe('automatic');
    expect((await policyStatus(engine, 'edit')).counters.refusals.MonitorMode).toBeGreaterThanOrEqual(2);
    // The CR says so.
    const cr = await eventually(
      'observedGeneration 2 and Ready=True on the CR',
      () => {
        const s = crStatus(engine, 'edit');
        return s?.observedGeneration === 2 && readyOf(engine, 'edit')?.status === 'True' ? s : undefined;
      },
      20_000,
    );
    expect(cr.mode).toBe('automatic');
  });

  it('rejects an edit the schema accepts but validation does not: Ready=False names the field, the last good spec keeps running', async () => {
    const startedBefore = (await policyStatus(engine, 'edit')).counters.actionsStarted;
    // Passes the CRD schema (triggers is a list of strings), but no trigger is called "nope".
    await patchSpec(engine, 'edit', { actions: [{ ...restart, triggers: ['nope'] }] });
    expect(engine.sim.store.get(POLICIES, engine.namespace, 'edit')?.metadata.generation).toBe(3);
    const ready = await eventually(
      'Ready=False for generation 3',
      () => {
        const r = readyOf(engine, 'edit');
        return r?.status === 'False' && r.observedGeneration === 3 ? r : undefined;
      },
      20_000,
    );
    expect(ready.reason).toBe('InvalidSpec');
    expect(ready.message).toContain('spec.actions[0].triggers');
    expect(ready.message).toContain('"nope"');
    expect(ready.message).toContain('generation 2 keeps running');
    const rejectedAt = Date.now();

    // The workflow never saw generation 3 and keeps acting on generation 2, in the same run.
    const s = await policyStatus(engine, 'edit');
    expect(s.policy.generation).toBe(2);
    expect(s.counters.actionsStarted).toBeGreaterThanOrEqual(startedBefore);
    await eventually(
      () => `a new Succeeded action under generation 2: ${describeActions(engine, 'edit')}`,
      () =>
        actionsOf(engine, 'edit').some(
          (a) => a.status?.phase === 'Succeeded' && Date.parse(a.status.startTime ?? '') > rejectedAt,
        ),
      30_000,
    );
    expect((await policyHandle(engine, 'edit').describe()).runId).toBe(runId);

    // Later mirror passes (lastEvaluated moves on) keep saying the spec is invalid.
    const mirrored = await eventually(
      'a mirror pass after the rejection',
      () => {
        const st = crStatus(engine, 'edit');
        return st?.lastEvaluated && Date.parse(st.lastEvaluated) > rejectedAt + 1000 ? st : undefined;
      },
      20_000,
    );
    expect(mirrored.observedGeneration).toBe(3);
    expect(readyOf(engine, 'edit')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });

  it('cancels the workflow when the CR is deleted, and keeps its HealingActions', async () => {
    const actions = actionsOf(engine, 'edit').map((a) => a.metadata.name);
    expect(actions.length).toBeGreaterThan(0);
    await engine.kube.custom.deleteNamespacedCustomObject({
      group: 'kubeskippy.io',
      version: 'v1alpha1',
      namespace: engine.namespace,
      plural: 'healingpolicies',
      name: 'edit',
    });
    const closed = await eventually(
      'the policy workflow closed',
      async () => {
        const d = await policyHandle(engine, 'edit').describe();
        return d.status.name !== 'RUNNING' ? d : undefined;
      },
      20_000,
    );
    expect(closed.runId).toBe(runId);
    // It closed because the controller asked it to cancel, and says so.
    const history = await policyHandle(engine, 'edit').fetchHistory();
    expect(history.events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);
    expect(closed.status.name).toBe('CANCELLED');
    expect(engine.logs.some((l) => l.msg === 'policy deleted; workflow cancelled')).toBe(true);
    // The audit record stays.
    const left = actionsOf(engine, 'edit').map((a) => a.metadata.name);
    expect(left).toEqual(expect.arrayContaining(actions));
  });

  it('resumes watching after the HealingPolicy watch breaks, and picks up CRs created during and after', async () => {
    engine.apply([
      deployment('watch-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'early', 'watch-app', spec('monitor')),
    ]);
    await eventually(
      'the early policy running',
      () => policyStatus(engine, 'early').catch(() => undefined),
      20_000,
    );
    const watchFailures = (): number =>
      engine.logs.filter((l) => l.msg === 'watch failed; restarting' && l.resource === 'healingpolicies')
        .length;
    const failuresBefore = watchFailures();

    // Every HealingPolicy watch closes after its next event, and lists and watches fail with 503.
    engine.sim.setFaults({
      pathPattern: '/healingpolicies',
      watchDropProbability: 1,
      errorRate: { list: 1, watch: 1 },
      errorCodes: [503],
    });
    engine.sim.store.mutate(POLICIES, engine.namespace, 'early', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, poke: 'drop-the-watch' };
    });
    await eventually('the controller saw its watch fail', () => watchFailures() > failuresBefore, 20_000);
    engine.apply([healingPolicy(engine.namespace, 'during', 'watch-app', spec('monitor'))]);
    const failuresAfterCreate = watchFailures();
    await eventually(
      'another failed attempt while the CR exists',
      () => watchFailures() > failuresAfterCreate,
      20_000,
    );
    // Not seen while the watch is down.
    await expect(policyHandle(engine, 'during').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    engine.sim.setFaults({});
    engine.apply([healingPolicy(engine.namespace, 'after', 'watch-app', spec('monitor'))]);
    for (const name of ['during', 'after']) {
      const s = await eventually(
        `policy ${name} running`,
        () => policyStatus(engine, name).catch(() => undefined),
        30_000,
      );
      expect(s.policy.generation).toBe(1);
      await eventually(`Ready=True on ${name}`, () => readyOf(engine, name)?.status === 'True', 20_000);
    }
  });
});

describe('the operator on a cluster without the CRDs', () => {
  let engine: Engine;
  let dir: string;
  beforeAll(async () => {
    engine = await startEngine({ timeScale: 0.1, crds: false, operator: false, captureLogs: true });
    dir = await mkdtemp(join(tmpdir(), 'kubeskippy-crds-'));
  });
  afterAll(async () => {
    await engine?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const readyz = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${engine.operator!.metricsPort}/readyz`);
    return { status: res.status, body: await res.text() };
  };

  it('says how to install them, is not ready until they exist, then works without a restart', async () => {
    await engine.startOperator();
    const missing = missingCrdMessage(['HealingPolicy']);
    await eventually(
      'the missing-CRD error in the log',
      () => engine.logs.some((l) => l.msg === missing),
      20_000,
    );
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.body).toContain(missingCrdMessage(['HealingPolicy', 'HealingAction']));
    // One clear line per kind, not a raw 404 every two seconds.
    expect(engine.logs.filter((l) => l.msg === missing)).toHaveLength(1);
    expect(engine.logs.filter((l) => l.msg.includes('watch failed'))).toEqual([]);
    expect(engine.logs.some((l) => JSON.stringify(l).includes('HTTP-Code: 404'))).toBe(false);

    // What the message says to do: `kubeskippy crds | kubectl apply -f -`.
    const file = join(dir, 'crds.yaml');
    await writeFile(file, renderCrdStream());
    await kubectlFor(engine.kubeconfig)('apply', '-f', file);
    const ready = await eventually(
      'ready after the CRDs were applied',
      async () => {
        const r = await readyz();
        return r.status === 200 ? r : undefined;
      },
      45_000,
      500,
    );
    expect(ready.body).toBe('ready');
    expect(engine.logs.some((l) => l.msg.startsWith('the HealingPolicy CRD is installed now'))).toBe(true);

    // And a policy works.
    engine.apply([
      deployment('late-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'late', 'late-app', spec('automatic')),
    ]);
    await eventually(
      () => `a Succeeded action: ${describeActions(engine, 'late')}`,
      () => actionsOf(engine, 'late').some((a) => a.status?.phase === 'Succeeded'),
      45_000,
    );
    await eventually('Ready=True on the CR', () => readyOf(engine, 'late')?.status === 'True', 20_000);
  });
});
