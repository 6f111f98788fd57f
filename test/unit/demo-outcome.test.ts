// The demo's judge for the `ai` scenario (a model answered, and the action ended as the rules
// allow), how a skipped scenario is reported, and the model reachability check it runs first.
import { describe, expect, it } from 'vitest';
import type { HealingAction, HealingActionStatus } from '../../crds/healing-action.js';
import { checkModel, ollamaBaseUrl } from '../../tools/demo/model.js';
import type { DemoSnapshot } from '../../tools/demo/observe.js';
import { aiText, judge, skippedResult } from '../../tools/demo/outcome.js';
import { SCENARIOS, selectScenarios } from '../../tools/demo/scenarios.js';
import { summaryTable } from '../../tools/demo/summary.js';
import { renderFrame } from '../../tools/demo/frame.js';
import { narrate } from '../../tools/demo/view.js';

const ai = SCENARIOS.find((s) => s.name === 'ai')!;

const answered = {
  model: 'llama3.2',
  confidence: 0.9,
  rootCause: 'memory grows until the container is killed',
  recommendation: 'rollout-restart',
  rationale: 'replace every pod',
  followed: true,
  reason: 'Followed: decide mode runs rollout-restart instead of restart-pod',
};

function action(status: HealingActionStatus, n = 1): HealingAction {
  return {
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingAction',
    metadata: { name: `ai-analysis-restart-pod-ai-app-x-${n}`, namespace: 'demo-apps' },
    spec: {
      policyRef: { name: 'ai-analysis', namespace: 'demo-apps' },
      targetResource: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ai-app', namespace: 'demo-apps' },
      action: { name: 'restart-pod', type: 'restart' },
      trigger: { name: 'high-memory', observedValue: '81.7', threshold: '> 75' },
    },
    status,
  } as HealingAction;
}

const snap = (...actions: HealingAction[]): DemoSnapshot => ({
  atMs: Date.now(),
  apps: [],
  actions,
  policies: {},
  errors: [],
});

describe('judge: dry-run-unchanged', () => {
  const dryrun = SCENARIOS.find((s) => s.name === 'dryrun')!;
  const dryAction = (status: HealingActionStatus, dryRun: boolean, n: number): HealingAction => {
    const a = action(status, n);
    return { ...a, spec: { ...a.spec, policyRef: { ...a.spec.policyRef, name: dryrun.policy }, dryRun } };
  };
  it('passes while a later dry run is Executing its server-side dry run (it changes nothing)', () => {
    const r = judge(
      dryrun,
      snap(
        dryAction({ phase: 'DryRun', reason: 'DryRun' }, true, 1),
        dryAction({ phase: 'Executing', reason: 'Executing', message: 'dry run of restart' }, true, 2),
      ),
      undefined,
      false,
    );
    expect(r.status).toBe('passed');
  });
  it('fails when an action that is not a dry run executed', () => {
    const r = judge(
      dryrun,
      snap(
        dryAction({ phase: 'DryRun', reason: 'DryRun' }, true, 1),
        dryAction({ phase: 'Executing', reason: 'Executing' }, false, 2),
      ),
      undefined,
      false,
    );
    expect(r).toMatchObject({ status: 'failed', outcome: 'CHANGED: an action ran' });
  });
});

describe('judge: ai-analysed', () => {
  it('passes when the model answered and its choice healed', () => {
    const r = judge(
      ai,
      snap(action({ phase: 'Succeeded', reason: 'Healed', aiAnalysis: answered })),
      undefined,
      false,
    );
    expect(r.status).toBe('passed');
    expect(r.outcome).toBe(
      'healed: Healed; llama3.2 → rollout-restart (0.90, followed): memory grows until the container is killed',
    );
  });

  it('passes when the model chose to do nothing and the action was Skipped (AiRecommendedNone)', () => {
    const none = { ...answered, recommendation: 'none', reason: 'AiRecommendedNone: no action' };
    const r = judge(
      ai,
      snap(action({ phase: 'Skipped', reason: 'AiRecommendedNone', aiAnalysis: none })),
      undefined,
      false,
    );
    expect(r.status).toBe('passed');
    expect(r.outcome).toMatch(/^skipped as the model advised \(AiRecommendedNone\); llama3.2 → none \(0.90/);
    expect(r.done).toBe('nothing (AiRecommendedNone): restart Deployment/ai-app not run');
  });

  it('passes when the model was unsure and the rule ran (the answer is recorded, not followed)', () => {
    const unsure = {
      ...answered,
      confidence: 0.4,
      followed: false,
      reason: 'BelowMinConfidence: confidence 0.40 is below minConfidence 0.60; the rule runs',
    };
    const r = judge(
      ai,
      snap(action({ phase: 'Succeeded', reason: 'Healed', aiAnalysis: unsure })),
      undefined,
      false,
    );
    expect(r.status).toBe('passed');
    expect(r.outcome).toMatch(/\(0.40, not followed: BelowMinConfidence\)/);
  });

  it('does not pass without an answer: the rule healed, but the model timed out', () => {
    const down = { model: 'llama3.2', followed: false, reason: 'AiTimeout: did not answer within 60000 ms' };
    const a = action({ phase: 'Succeeded', reason: 'Healed', aiAnalysis: down });
    expect(judge(ai, snap(a), undefined, false)).toMatchObject({
      status: 'pending',
      outcome: 'Succeeded Healed; the model gave no answer: AiTimeout: did not answer within 60000 ms',
    });
    expect(judge(ai, snap(a), undefined, true).status).toBe('failed');
    expect(aiText(a)).toBe('llama3.2: no answer (AiTimeout)');
  });

  it('is pending while the action runs, and fails at the deadline when the answered action failed', () => {
    expect(judge(ai, snap(), undefined, false)).toMatchObject({
      status: 'pending',
      outcome: 'no action yet',
    });
    const running = action({ phase: 'Verifying', aiAnalysis: answered });
    expect(judge(ai, snap(running), undefined, false)).toMatchObject({ status: 'pending' });
    const failed = action({ phase: 'Failed', reason: 'NotHealed', aiAnalysis: answered });
    const r = judge(ai, snap(failed), undefined, true);
    expect(r.status).toBe('failed');
    expect(r.outcome).toMatch(/^NOT AS EXPECTED: Failed NotHealed; llama3.2 → rollout-restart/);
  });

  it('a later answered success passes even after an earlier failure', () => {
    const r = judge(
      ai,
      snap(
        action({ phase: 'Failed', reason: 'NotHealed', aiAnalysis: answered }, 1),
        action({ phase: 'Succeeded', reason: 'Healed', aiAnalysis: answered }, 2),
      ),
      undefined,
      true,
    );
    expect(r.status).toBe('passed');
  });
});

describe('the analysis in the narration and the live view', () => {
  const done = action({ phase: 'Succeeded', reason: 'Healed', aiAnalysis: answered });
  const name = done.metadata.name;

  it('narrates it once, after the phase it came with, with why it was followed', () => {
    const first = narrate(
      snap(action({ phase: 'Executing' })),
      { ...snap(done), atMs: Date.now() },
      Date.now(),
    );
    expect(first.map((l) => l.replace(/^\[\d\d:\d\d\] /, ''))).toEqual([
      `HealingAction ${name}: Executing → Succeeded (Healed)`,
      `HealingAction ${name}: AI llama3.2 → rollout-restart (0.90, followed): memory grows until the container is killed`,
      '  Followed: decide mode runs rollout-restart instead of restart-pod',
    ]);
    expect(narrate(snap(done), snap(done), Date.now())).toEqual([]);
  });

  it('shows it under the action in the frame, and a skipped scenario with its own mark', () => {
    const lines = renderFrame(snap(done), {
      title: 't',
      startedMs: Date.now(),
      results: [skippedResult(ai, 'no model reachable (OLLAMA_HOST is not set)')],
      notes: [],
      columns: 200,
      rows: 50,
    });
    expect(
      lines.some((l) => l.includes('AI llama3.2 → rollout-restart (0.90, followed): memory grows')),
    ).toBe(true);
    expect(lines).toContain('  – ai           skipped: no model reachable (OLLAMA_HOST is not set)');
  });
});

describe('skipped scenarios', () => {
  it('the summary shows SKIPPED and the reason in plain words', () => {
    const table = summaryTable([skippedResult(ai, 'no model reachable (OLLAMA_HOST is not set)')]);
    expect(table).toMatch(/^ai +SKIPPED .*skipped: no model reachable \(OLLAMA_HOST is not set\)$/m);
  });

  it('`all` includes ai', () => {
    expect(selectScenarios('all')?.map((s) => s.name)).toContain('ai');
    expect(selectScenarios('ai')).toEqual([ai]);
  });
});

describe('checkModel', () => {
  const tags = (models: string[]): typeof fetch =>
    (async () => new Response(JSON.stringify({ models: models.map((name) => ({ name })) }))) as typeof fetch;

  it('normalises OLLAMA_HOST like the ollama client does', () => {
    expect(ollamaBaseUrl('127.0.0.1')).toBe('http://127.0.0.1:11434');
    expect(ollamaBaseUrl('gpu-box:8080')).toBe('http://gpu-box:8080');
    expect(ollamaBaseUrl(':1234')).toBe('http://127.0.0.1:1234');
    expect(ollamaBaseUrl('https://ollama.example.com/')).toBe('https://ollama.example.com');
  });

  it('unset: skipped, saying so', async () => {
    expect(await checkModel({})).toEqual({
      reachable: false,
      model: 'llama3.2',
      why: 'OLLAMA_HOST is not set',
    });
  });

  it('reachable when /api/tags lists the model (with or without its tag)', async () => {
    expect(await checkModel({ ollamaHost: 'h:1', fetch: tags(['llama3.2:latest']) })).toEqual({
      reachable: true,
      host: 'http://h:1',
      model: 'llama3.2',
    });
    expect(
      await checkModel({ ollamaHost: 'h:1', model: 'qwen2.5:7b', fetch: tags(['qwen2.5:7b']) }),
    ).toMatchObject({
      reachable: true,
    });
  });

  it('a server without the model: skipped, with the command that fixes it', async () => {
    const r = await checkModel({ ollamaHost: 'h:1', model: 'llama3.2', fetch: tags(['mistral:latest']) });
    expect(r).toMatchObject({ reachable: false });
    expect(!r.reachable && r.why).toBe(
      'http://h:1 has no model llama3.2 (ollama pull llama3.2, or set KUBESKIPPY_AI_MODEL; it has mistral:latest)',
    );
  });

  it('a closed port or a silent host: "did not answer", with the cause', async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    expect(await checkModel({ ollamaHost: 'http://127.0.0.1:1', fetch: refused })).toMatchObject({
      reachable: false,
      why: 'http://127.0.0.1:1 did not answer: ECONNREFUSED',
    });
    const silent = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
      )) as typeof fetch;
    expect(await checkModel({ ollamaHost: 'http://h:2', fetch: silent, timeoutMs: 50 })).toMatchObject({
      reachable: false,
      why: 'http://h:2 did not answer: no answer within 0.1s',
    });
  });
});
