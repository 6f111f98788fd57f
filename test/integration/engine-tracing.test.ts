// OpenTelemetry end to end: with OTEL_EXPORTER_OTLP_ENDPOINT set, one incident is one trace at a
// local OTLP receiver: the policy tick that decided, the HealingAction workflow it started, that
// workflow's activities (safety snapshot, execute, verify) and the Kubernetes requests they made,
// linked parent to child in one tree.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyStatusQuery } from '../../workflows/messages.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { actionsOf, healingPolicy, policyHandle } from '../support/engine-scenarios.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { crashLoopingDeployment } from '../support/sim-fixtures.js';

let receiver: OtlpReceiver;
let engine: Engine;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // 0.1: a crash 50 ms after each start, so CrashLoopBackOff comes within seconds.
  engine = await startEngine({ timeScale: 0.1, otlpEndpoint: receiver.url });
});
afterAll(async () => {
  await engine?.stop();
  await receiver?.close();
});

/** The chain of span names from `span` up to its trace's root. */
function ancestry(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): string[] {
  const names = [span.name];
  for (let p = span.parentSpanId; p; p = byId.get(p)?.parentSpanId)
    names.push(byId.get(p)?.name ?? `missing ${p}`);
  return names;
}

describe('tracing', () => {
  it('exports a demo incident as one trace: tick → action workflow → activities → Kubernetes calls', async () => {
    engine.apply([
      crashLoopingDeployment('traced', '500ms'),
      healingPolicy(engine.namespace, 'traced', 'traced', {
        triggers: [
          {
            name: 'backoff',
            type: 'condition',
            conditionTrigger: { type: 'CrashLoopBackOff' },
            cooldownPeriod: '5m',
          },
        ],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        verification: { delay: '1s', timeout: '5s', interval: '1s' },
      }),
    ]);
    const done = await eventually(
      'a finished action',
      () => actionsOf(engine, 'traced').find((a) => a.status?.completionTime),
      60_000,
    );
    // The record is finished a little before the workflow is: its last span ends with the run.
    await engine.client.workflow.getHandle(done.status!.workflowId!).result();
    await engine.stopOperator(); // a graceful stop flushes the spans still batched

    const heal = receiver.spans.find(
      (s) => s.name === 'HealAction' && s.attributes['kubeskippy.healing_action'] === done.metadata.name,
    );
    expect(heal, 'the HealAction span of the finished action').toBeDefined();
    expect(heal!.attributes).toMatchObject({
      'kubeskippy.policy': 'traced',
      'kubeskippy.namespace': engine.namespace,
      'kubeskippy.target': `Pod/${done.spec.targetResource.name}`,
      'kubeskippy.action': 'restart',
    });
    expect(heal!.resource).toMatchObject({ 'service.name': 'kubeskippy', 'service.version': '0.1.0' });
    const trace = receiver.spans.filter((s) => s.traceId === heal!.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    // One tree: a single root (the deciding tick), and every other span's parent is in the trace.
    const roots = trace.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => s.name)).toEqual(['PolicyTick']);
    expect(roots[0]!.attributes).toMatchObject({ 'kubeskippy.policy': 'traced' });
    for (const s of trace)
      if (s.parentSpanId) expect(byId.has(s.parentSpanId), `${s.name}'s parent`).toBe(true);

    const run = trace.find((s) => s.name === 'RunWorkflow:healingActionWorkflow');
    expect(run && ancestry(run, byId)).toEqual([
      'RunWorkflow:healingActionWorkflow',
      'StartChildWorkflow:healingActionWorkflow',
      'HealAction',
      'PolicyTick',
    ]);
    const underAction = (name: string): ReceivedSpan[] =>
      trace.filter((s) => s.name === name && ancestry(s, byId).includes('RunWorkflow:healingActionWorkflow'));
    // The safety check's snapshot and the verification's re-reads, the execution, the records.
    expect(underAction('RunActivity:collectSnapshot').length).toBeGreaterThanOrEqual(2);
    for (const activity of ['clusterSuspension', 'executeAction', 'recordAction', 'updateActionStatus'])
      expect(underAction(`RunActivity:${activity}`), activity).not.toHaveLength(0);
    // The Kubernetes call that healed: DELETE of the pod, inside executeAction.
    const podPath = `/api/v1/namespaces/${engine.namespace}/pods/${done.spec.targetResource.name}`;
    const del = trace.find((s) => s.name === 'DELETE' && s.attributes['url.path'] === podPath);
    expect(del && ancestry(del, byId).slice(0, 3)).toEqual([
      'DELETE',
      'RunActivity:executeAction',
      'StartActivity:executeAction',
    ]);
    expect(del!.attributes['http.response.status_code']).toBe(200);
    // The shared watch cache's list+watch loop is in no incident's trace.
    expect(trace.filter((s) => String(s.attributes['url.query'] ?? '').includes('watch=true'))).toEqual([]);
  }, 120_000);

  it('carries a CLI signal into the policy workflow: `kubeskippy policy pause` and its handling are one trace', async () => {
    await engine.startOperator(); // a second traced operator in this process: the first one's globals are gone
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'kubeskippy.js');
    const ref = `${engine.namespace}/traced`;
    await promisify(execFile)(
      process.execPath,
      [
        bin,
        'policy',
        'pause',
        ref,
        '--temporal-address',
        engine.config.temporalAddress,
        '--cluster-name',
        engine.config.clusterName,
      ],
      { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, timeout: 60_000 },
    );
    await eventually(
      'the policy paused',
      async () => (await policyHandle(engine, 'traced').query(policyStatusQuery)).paused,
    );
    await engine.stopOperator();
    const sent = receiver.spans.find((s) => s.name === 'SignalWorkflow:pause');
    expect(sent, 'the CLI exported its signal span before exiting').toBeDefined();
    expect(sent!.parentSpanId).toBeUndefined();
    const handled = receiver.spans.find((s) => s.name === 'HandleSignal:pause');
    expect(handled && { traceId: handled.traceId, parentSpanId: handled.parentSpanId }).toEqual({
      traceId: sent!.traceId,
      parentSpanId: sent!.spanId,
    });
  }, 120_000);
});
