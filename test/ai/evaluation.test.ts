// A small evaluation set of recorded incidents (incidents.json), each with the choices that are
// safe. Against a real Ollama when OLLAMA_HOST is set (model: KUBESKIPPY_AI_MODEL or the default);
// otherwise the model test is skipped and says so in its name. Whatever the model answers, the
// verdict must never leave the allow-list; the expected choice measures the model itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeIncident } from '../../activities/ai/analyze.js';
import type { IncidentContext } from '../../domain/ai-context.js';
import { loadConfig } from '../../operator/config.js';

interface RecordedIncident {
  name: string;
  description: string;
  safe: string[];
  context: IncidentContext;
}

const incidents = JSON.parse(
  readFileSync(join(import.meta.dirname, 'incidents.json'), 'utf8'),
) as RecordedIncident[];
const config = loadConfig();
const host = config.ollamaHost;

describe('AI evaluation set', () => {
  it('every expected choice is an allowed action or none', () => {
    expect(incidents.length).toBeGreaterThanOrEqual(4);
    for (const i of incidents) {
      const allowed = [...i.context.allowedActions.map((a) => a.name), 'none'];
      expect(
        i.safe.every((s) => allowed.includes(s)),
        i.name,
      ).toBe(true);
    }
  });

  for (const incident of incidents) {
    const name = host
      ? `${incident.name}: the model picks a safe choice (${incident.safe.join(' or ')})`
      : `${incident.name}: skipped: OLLAMA_HOST not set`;
    it.skipIf(!host)(
      name,
      async () => {
        const result = await analyzeIncident(
          { ollamaHost: host!, ...(config.aiModel ? { defaultModel: config.aiModel } : {}) },
          {
            settings: { provider: 'ollama', minConfidence: 0.7, mode: 'decide', timeoutMs: 120_000 },
            context: incident.context,
          },
        );
        const choice = result.answer.recommendation.action;
        console.info(
          `[ai-eval] ${incident.name}: ${result.model} chose ${choice} (confidence ${result.answer.confidence}): ${result.answer.recommendation.rationale}`,
        );
        expect([...incident.context.allowedActions.map((a) => a.name), 'none']).toContain(choice);
        expect(incident.safe, `${incident.name}: ${choice}`).toContain(choice);
      },
      150_000,
    );
  }
});
