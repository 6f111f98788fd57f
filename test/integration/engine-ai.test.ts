// AI analysis end to end: the operator on the simulated cluster asks a fake model server (the real
// ollama client over HTTP). decide mode runs the recommended allowed action; advise mode records
// the analysis while the rule's action runs; with the model down the rule runs and says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import {
  actionsOf,
  alwaysTrue,
  deploymentOf,
  describeActions,
  eventsWith,
  healingPolicy,
  policyHandle,
  policyStatus,
} from '../support/engine-scenarios.js';
import { answer, startFakeModel, type FakeModel } from '../support/fake-model.js';
import { recordHistories } from '../support/record-histories.js';
import { deployment } from '../support/sim-fixtures.js';

let engine: Engine;
let model: FakeModel;
beforeAll(async () => {
  model = await startFakeModel();
  model.reply({ content: answer('scale-up', 0.9) });
  // openai points at a closed port: "the model is down".
  engine = await startEngine({ ai: { ollamaHost: model.url, openaiBaseUrl: 'http://127.0.0.1:9/v1' } });
});
afterAll(async () => {
  await engine?.stop();
  await model?.close();
});

function aiPolicy(name: string, app: string, ai: Record<string, unknown>): ReturnType<typeof healingPolicy> {
  return healingPolicy(engine.namespace, name, app, {
    triggers: [alwaysTrue('always', { cooldownPeriod: '1h' })],
    actions: [
      { name: 'restart', type: 'restart', priority: 20 },
      {
        name: 'scale-up',
        type: 'scale',
        priority: 10,
        scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 5 },
      },
    ],
    // One action per policy keeps the story readable.
    safetyRules: { maxActionsPerHour: 1, maxConcurrentActions: 1 },
    verification: { delay: '1s', timeout: '30s', interval: '1s', requireTriggerCleared: false },
    aiAnalysis: { enabled: true, minConfidence: 0.7, timeout: '5s', ...ai },
  });
}

/** Names of the signals the policy workflow received. */
async function signalsTo(policy: string): Promise<string[]> {
  const history = await engine.client.workflow
    .getHandle(policyHandle(engine, policy).workflowId)
    .fetchHistory();
  return (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
}

async function finished(policy: string): Promise<HealingAction> {
  return eventually(
    () => `a finished action of ${policy}: ${describeActions(engine, policy)}`,
    () => actionsOf(engine, policy).find((a) => a.status?.completionTime),
    60_000,
  );
}

describe('AI analysis on the engine', () => {
  it('decide: the recommended allowed action runs, on the resolved Deployment, and is learned', async () => {
    engine.apply([
      deployment('ai-decide', { replicas: 3 }),
      aiPolicy('ai-decide', 'ai-decide', { mode: 'decide' }),
    ]);
    // While it runs, the policy's open action names what really runs (the Deployment, scale-up), so
    // its conflict checks hold back the Deployment's other pods; the rule had planned the pod.
    const open = await eventually('the policy to see the AI-chosen action open', async () => {
      const status = await policyStatus(engine, 'ai-decide').catch(() => undefined); // not started yet
      return status?.openActions.find((o) => o.action === 'scale-up');
    });
    expect(open.targetKey).toBe(`${engine.namespace}/Deployment/ai-decide`);
    const done = await finished('ai-decide');
    expect(done.spec.action.name).toBe('scale-up');
    expect(done.spec.targetResource).toMatchObject({ kind: 'Deployment', name: 'ai-decide' });
    expect(done.status, JSON.stringify(done.status)).toMatchObject({
      phase: 'Succeeded',
      aiAnalysis: { model: 'llama3.2', confidence: 0.9, recommendation: 'scale-up', followed: true },
    });
    expect(done.status!.aiAnalysis!.reason).toMatch(
      /^Followed: decide mode runs scale-up instead of restart/,
    );
    expect(deploymentOf(engine, 'ai-decide').spec.replicas).toBe(4);
    const status = await eventually('a learned outcome', async () => {
      const s = await policyStatus(engine, 'ai-decide');
      return s.learning?.byTriggerAction['always#scale-up']?.succeeded === 1 ? s : undefined;
    });
    expect(Object.keys(status.learning!.bySubject)).toEqual([`${engine.namespace}/Deployment/ai-decide`]);
    const sent = model.requests.find((r) => JSON.stringify(r.body).includes('ai-decide'));
    expect(sent?.body.format).toBeDefined();
    // `kubectl describe` tells the story: an AiAnalysis Event on the target and on the policy.
    const [event] = eventsWith(engine, 'AiAnalysis', 'ai-decide');
    expect(event, 'AiAnalysis Event on the Deployment').toMatchObject({
      type: 'Normal',
      message: expect.stringMatching(
        /^ai-decide\/scale-up: llama3\.2 recommends scale-up \(confidence 0\.90\); root cause: .+; followed: Followed/,
      ),
    });
    // The policy was told what really ran, so its conflict checks saw the Deployment, not the pod.
    expect(await signalsTo('ai-decide')).toContain('actionRetargeted');
    await recordHistories(engine, 'ai-decide', {
      policy: policyHandle(engine, 'ai-decide').workflowId,
      action: done.status!.workflowId!,
    });
  });

  it('advise: the analysis is recorded and the rule runs', async () => {
    engine.apply([
      deployment('ai-advise', { replicas: 3 }),
      aiPolicy('ai-advise', 'ai-advise', { mode: 'advise' }),
    ]);
    const done = await finished('ai-advise');
    expect(done.spec.action.name).toBe('restart');
    expect(done.status, JSON.stringify(done.status)).toMatchObject({
      phase: 'Succeeded',
      aiAnalysis: { recommendation: 'scale-up', followed: false, rootCause: expect.any(String) },
    });
    expect(done.status!.aiAnalysis!.reason).toMatch(/^AdviseOnly/);
    expect(deploymentOf(engine, 'ai-advise').spec.replicas).toBe(3);
    expect(await signalsTo('ai-advise')).not.toContain('actionRetargeted');
  });

  it('model down: the rule runs and the HealingAction says why', async () => {
    engine.apply([
      deployment('ai-down', { replicas: 3 }),
      aiPolicy('ai-down', 'ai-down', { mode: 'decide', provider: 'openai', model: 'gpt-test' }),
    ]);
    const done = await finished('ai-down');
    expect(done.spec.action.name).toBe('restart');
    expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
    expect(done.status!.aiAnalysis).toMatchObject({ followed: false, model: 'gpt-test' });
    expect(done.status!.aiAnalysis!.reason).toMatch(/^AiUnavailable: .*; the rule's action restart runs$/);
    const [event] = eventsWith(engine, 'AiAnalysis', done.spec.targetResource.name);
    expect(event, 'a Warning AiAnalysis Event on the pod').toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(/^ai-down\/restart: gpt-test gave no analysis: AiUnavailable: /),
    });
  });

  it('counts analyses in the metrics, by whether they were followed and why', async () => {
    const base = `http://127.0.0.1:${engine.operator!.metricsPort}`;
    const ns = engine.namespace;
    const series = (
      policy: string,
      provider: string,
      mode: string,
      followed: boolean,
      reason: string,
    ): RegExp =>
      new RegExp(
        `kubeskippy_ai_analyses_total\\{policy="${policy}",namespace="${ns}",provider="${provider}",` +
          `mode="${mode}",followed="${followed}",reason="${reason}",cluster="${engine.config.clusterName}"\\} 1\\b`,
      );
    const body = await (await fetch(`${base}/metrics`)).text();
    expect(body).toMatch(series('ai-decide', 'ollama', 'decide', true, 'Followed'));
    expect(body).toMatch(series('ai-advise', 'ollama', 'advise', false, 'AdviseOnly'));
    expect(body).toMatch(series('ai-down', 'openai', 'decide', false, 'AiUnavailable'));
    // Only answered analyses have a confidence: two of the three.
    expect(body).toMatch(
      new RegExp(
        `kubeskippy_ai_confidence_count\\{cluster="${engine.config.clusterName}",policy="ai-decide",provider="ollama"\\} 1\\b`,
      ),
    );
    expect(body).not.toMatch(/kubeskippy_ai_confidence_count\{policy="ai-down"/);
  });
});
