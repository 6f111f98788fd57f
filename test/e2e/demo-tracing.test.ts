// `kubeskippy demo` with OTEL_EXPORTER_OTLP_ENDPOINT set: the operator the demo runs in-process
// exports the incident's trace to a local OTLP receiver, and the demo's stop flushes it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDemo } from '../support/demo-cli.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

let dir: string;
let receiver: OtlpReceiver;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'demo-tracing-'));
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('kubeskippy demo with tracing', () => {
  it('exports the crash-loop incident as one trace from the tick to the patch of the Deployment', async () => {
    const { code, out } = await runDemo(
      dir,
      ['--scenario', 'crashloop', '--time-scale', '0.5', '--temporal-address', inject('temporalAddress')],
      200_000,
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    );
    expect(code, out).toBe(0);
    const patch = receiver.spans.find(
      (s) =>
        s.name === 'PATCH' &&
        String(s.attributes['url.path']).endsWith('/namespaces/demo-apps/deployments/crashloop-app'),
    );
    expect(patch, 'the PATCH of the crash-looping Deployment').toBeDefined();
    const trace = receiver.spans.filter((s) => s.traceId === patch!.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const chain: string[] = [];
    for (
      let s: (typeof trace)[number] | undefined = patch;
      s;
      s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined
    )
      chain.push(s.name);
    expect(chain).toEqual([
      'PATCH',
      'RunActivity:executeAction',
      'StartActivity:executeAction',
      'RunWorkflow:healingActionWorkflow',
      'StartChildWorkflow:healingActionWorkflow',
      'HealAction',
      'PolicyTick',
    ]);
    const heal = trace.find((s) => s.name === 'HealAction')!;
    expect(heal.attributes).toMatchObject({
      'kubeskippy.namespace': 'demo-apps',
      'kubeskippy.target': 'Deployment/crashloop-app',
      'kubeskippy.action': 'patch',
    });
    expect(heal.resource['service.name']).toBe('kubeskippy');
  }, 240_000);
});
