// The sim's hanging requests (faults.ts `timeoutRate`): a request held until the client gives up
// or the hold ends with kube-apiserver's 504, either not carried out or carried out with only its
// answer lost; errors and timeouts share one die; the request log records what the server did.
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerHandle } from '../../sim/api/index.js';
import { Faults } from '../../sim/api/faults.js';
import type { ApiError } from '../../sim/api/errors.js';

const started: ApiServerHandle[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function cluster(faults: Parameters<ApiServerHandle['setFaults']>[0]): Promise<{
  api: ApiServerHandle;
  core: k8s.CoreV1Api;
}> {
  const api = await startApiServer({ faults });
  started.push(api);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfigYaml());
  return { api, core: kc.makeApiClient(k8s.CoreV1Api) };
}

const configMaps = '/api/v1/namespaces/default/configmaps';
const createBody = (name: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }),
});

/** A small deterministic generator, so the shares below are exact for a given seed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('sim fault injection: hanging requests', () => {
  it('holds a request for timeoutMs, then answers 504 Timeout without doing it', async () => {
    const { api } = await cluster({ timeoutRate: { create: 1 }, timeoutMs: 300 });
    const t0 = Date.now();
    const res = await fetch(`${api.url}${configMaps}`, createBody('held'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ reason: 'Timeout', code: 504 });
    expect(api.store.get('core/v1/configmaps', 'default', 'held')).toBeUndefined();
    expect(api.requestCounts().byPathStatus[`POST ${configMaps}`]).toEqual({ 504: 1 });
    expect(api.faultCounts()).toEqual({ errors: 0, timeouts: 1, timeoutsApplied: 0 });
  });

  it('lets go as soon as the client gives up, and keeps serving', async () => {
    const { api } = await cluster({ timeoutRate: 1, timeoutMs: 60_000 });
    const t0 = Date.now();
    await expect(fetch(`${api.url}${configMaps}`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    await expect.poll(() => api.requestCounts().byPathStatus[`GET ${configMaps}`]).toEqual({ 504: 1 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    api.setFaults({});
    expect((await fetch(`${api.url}${configMaps}`)).status).toBe(200);
  });

  it('with timeoutApplied, carries the write out and loses only the answer', async () => {
    const { api, core } = await cluster({
      timeoutRate: { create: 1 },
      timeoutApplied: { create: true },
      timeoutMs: 300,
    });
    const res = await fetch(`${api.url}${configMaps}`, createBody('done-anyway'));
    expect(res.status).toBe(504);
    expect(api.store.get('core/v1/configmaps', 'default', 'done-anyway')?.metadata.name).toBe('done-anyway');
    // The log says what the server did: created, although the client heard 504.
    expect(api.requestCounts().byPathStatus[`POST ${configMaps}`]).toEqual({ 201: 1 });
    expect(api.faultCounts()).toEqual({ errors: 0, timeouts: 1, timeoutsApplied: 1 });
    // A dry run is told apart: it did nothing.
    api.setFaults({});
    await fetch(`${api.url}${configMaps}?dryRun=All`, createBody('only-dry'));
    expect(api.requestCounts().byPathStatus[`POST ${configMaps}`]).toEqual({ 201: 1 });
    expect(api.requestCounts().byPathStatus[`POST (dryRun) ${configMaps}`]).toEqual({ 201: 1 });
    api.setFaults({ timeoutRate: { create: 1 }, timeoutApplied: { create: true }, timeoutMs: 300 });
    // Through the real client: the retry a careful client makes finds it there (409).
    await expect(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'done-anyway' } } }),
    ).rejects.toMatchObject({ code: 504 });
    api.setFaults({});
    await expect(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'done-anyway' } } }),
    ).rejects.toMatchObject({ code: 409 });
  });

  it('hangs a watch before it starts: the client-node Watch sees the 504', async () => {
    const { api } = await cluster({ timeoutRate: { watch: 1 }, timeoutMs: 200 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(api.kubeconfigYaml());
    const err = await new Promise<unknown>((resolve) => {
      void new k8s.Watch(kc).watch(configMaps, {}, () => undefined, resolve);
    });
    expect(err).toMatchObject({ statusCode: 504 });
  });

  it('rolls errors and timeouts on one die: 15% + 5% fail 20% in all', async () => {
    const faults = new Faults(
      { errorRate: 0.15, timeoutRate: 0.05, timeoutMs: 0, errorCodes: [429, 500, 503] },
      seeded(13),
    );
    const codes: number[] = [];
    for (let i = 0; i < 4000; i++) {
      await faults.before('get', '/api/v1/pods').then(
        () => codes.push(200),
        (e: ApiError) => codes.push(e.code),
      );
    }
    const share = (pred: (c: number) => boolean): number => codes.filter(pred).length / codes.length;
    expect(share((c) => c === 504)).toBeCloseTo(0.05, 1);
    expect(share((c) => c !== 200 && c !== 504)).toBeCloseTo(0.15, 1);
    expect(new Set(codes)).toEqual(new Set([200, 429, 500, 503, 504]));
    // Without timeoutRate the die is the one errorRate always used: same verdicts for a seed.
    const plain = new Faults({ errorRate: 0.5 }, seeded(7));
    const old = seeded(7);
    for (let i = 0; i < 50; i++) {
      const failed = await plain.before('get', '/x').then(
        () => false,
        () => true,
      );
      const expected = old() < 0.5;
      if (expected) old(); // the code pick
      expect(failed).toBe(expected);
    }
  });
});
