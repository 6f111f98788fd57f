// The controller against a cluster without the KubeSkippy CRDs: one clear error naming the fix
// (not a 404 every two seconds), not ready with that reason, and picked up without a restart once
// the CRDs are applied. Runs the controller against the simulated API server (no Temporal needed:
// nothing reaches a workflow here).
import { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { createKube, type Kube } from '../../activities/kube/clients.js';
import { renderCrdFiles } from '../../crds/render.js';
import type { KObject } from '../../sim/contract.js';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { Controller } from '../../operator/controller/controller.js';
import { isNotFound, missingCrdMessage, nextRetryDelay } from '../../operator/controller/missing-crd.js';
import { eventually } from '../support/engine-harness.js';

describe('missing-CRD wording and back-off', () => {
  it('names the kinds and the command that installs them', () => {
    expect(missingCrdMessage(['HealingPolicy'])).toBe(
      'the HealingPolicy CRD is not installed in this cluster: install it with `kubeskippy crds | kubectl apply -f -`',
    );
    expect(missingCrdMessage(['HealingPolicy', 'HealingAction'])).toBe(
      'the HealingPolicy and HealingAction CRDs are not installed in this cluster: install them with `kubeskippy crds | kubectl apply -f -`',
    );
  });

  it('recognises a 404 from a list (ApiException.code) and from a watch (statusCode)', () => {
    expect(isNotFound({ code: 404 })).toBe(true);
    expect(isNotFound(Object.assign(new Error('Not Found'), { statusCode: 404 }))).toBe(true);
    expect(isNotFound({ code: 500 })).toBe(false);
    expect(isNotFound(new Error('socket hang up'))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });

  it('doubles the retry delay up to the maximum', () => {
    const seen: number[] = [];
    let d: number | undefined;
    for (let i = 0; i < 7; i++) seen.push((d = nextRetryDelay(d, 2000, 30_000)));
    expect(seen).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
});

interface Line {
  level: number;
  msg: string;
  resource?: string;
}

describe('controller without the CRDs', () => {
  let api: ApiServerHandle | undefined;
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.stop();
    await api?.stop();
  });

  const setup = async (
    opts: { missingCrdLogEveryMs?: number } = {},
  ): Promise<{ lines: Line[]; lists: Record<string, number> }> => {
    api = await startApiServer();
    const config = new KubeConfig();
    config.loadFromString(api.kubeconfigYaml());
    const real = createKube(config);
    // Counts list calls per resource, so the test can wait for retries instead of sleeping.
    const lists: Record<string, number> = {};
    const custom = new Proxy(real.custom, {
      get: (target, prop, receiver) =>
        prop === 'listClusterCustomObject'
          ? (req: Parameters<typeof target.listClusterCustomObject>[0]) => {
              lists[req.plural] = (lists[req.plural] ?? 0) + 1;
              return target.listClusterCustomObject(req);
            }
          : Reflect.get(target, prop, receiver),
    });
    const kube: Kube = { ...real, custom };
    const lines: Line[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
    controller = new Controller({
      kube,
      client: {} as Client, // no policies exist, so no workflow is ever touched
      cluster: 'unit',
      taskQueue: 'unused',
      logger,
      restartDelayMs: 20,
      missingCrdMaxDelayMs: 80,
      ...opts,
    });
    await controller.start();
    return { lines, lists };
  };

  const installCrds = (): void => {
    for (const f of renderCrdFiles())
      for (const d of parseAllDocuments(f.content))
        api!.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', d.toJS() as KObject);
  };

  it('logs what to do once, stays not ready with that reason, and recovers when the CRDs appear', async () => {
    const { lines, lists } = await setup();
    const errors = (): Line[] => lines.filter((l) => l.level >= 50);
    expect(controller!.ready).toBe(false);
    // Several checks go by while the CRDs are missing...
    await eventually('five checks for HealingPolicies', () => (lists.healingpolicies ?? 0) >= 5, 10_000, 10);
    // ...yet each kind's error was logged once, and no raw "watch failed" 404 noise.
    expect(errors().map((l) => l.msg)).toEqual(
      expect.arrayContaining([missingCrdMessage(['HealingPolicy']), missingCrdMessage(['HealingAction'])]),
    );
    expect(errors()).toHaveLength(2);
    expect(lines.filter((l) => l.msg.includes('watch failed'))).toEqual([]);
    expect(controller!.ready).toBe(false);
    expect(controller!.notReadyReason()).toBe(missingCrdMessage(['HealingPolicy', 'HealingAction']));

    installCrds();
    await eventually('ready after the CRDs were installed', () => controller!.ready, 10_000, 10);
    expect(controller!.notReadyReason()).toBeUndefined();
    expect(lines.filter((l) => l.msg.includes('CRD is installed now')).map((l) => l.resource)).toEqual(
      expect.arrayContaining(['healingpolicies', 'healingactions']),
    );
  });

  it('repeats the error when it is still missing after the log interval', async () => {
    const { lines } = await setup({ missingCrdLogEveryMs: 0 });
    const policyErrors = (): number =>
      lines.filter((l) => l.msg === missingCrdMessage(['HealingPolicy'])).length;
    await eventually('the error logged again at later checks', () => policyErrors() >= 3, 10_000, 10);
    expect(controller!.ready).toBe(false);
  });

  it('reports one missing kind when only that CRD is absent', async () => {
    api = await startApiServer();
    for (const f of renderCrdFiles())
      for (const d of parseAllDocuments(f.content)) {
        const crd = d.toJS() as KObject;
        if (crd.spec.names.kind === 'HealingPolicy')
          api.store.create('apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      }
    const config = new KubeConfig();
    config.loadFromString(api.kubeconfigYaml());
    controller = new Controller({
      kube: createKube(config),
      client: {} as Client,
      cluster: 'unit',
      taskQueue: 'unused',
      logger: pino({ level: 'silent' }),
      restartDelayMs: 20,
    });
    await controller.start();
    expect(controller.notReadyReason()).toBe(missingCrdMessage(['HealingAction']));
  });
});
