// Is there a language model for the `ai` scenario? Asked once, before anything is deployed: Ollama
// at OLLAMA_HOST (from the operator configuration, operator/config.ts) must answer `/api/tags`
// within a couple of seconds and, when it lists its models, have the one the policy will use.
// When not, the scenario is skipped and the demo says why in plain words; it is not a failure.
import { DEFAULT_MODELS } from '../../activities/ai/analyze.js';
import type { OperatorConfig } from '../../operator/config.js';
import { readManifests } from './cluster.js';
import { skippedResult, type ScenarioResult } from './outcome.js';
import type { Scenario } from './scenarios.js';

export type ModelCheck =
  { reachable: true; host: string; model: string } | { reachable: false; why: string; model: string };

export interface ModelCheckInput {
  /** OLLAMA_HOST as configured (may lack the scheme or port, like Ollama's own clients accept). */
  ollamaHost?: string;
  /** The policy's model, else KUBESKIPPY_AI_MODEL, else the provider default. */
  model?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const OLLAMA_PORT = '11434';

/** Like the ollama client: "host" → http://host:11434, ":1234" → http://127.0.0.1:1234. */
export function ollamaBaseUrl(host: string): string {
  let h = host.trim();
  let explicit = h.includes('://');
  if (h.startsWith(':')) {
    h = `http://127.0.0.1${h}`;
    explicit = true;
  }
  if (!explicit) h = `http://${h}`;
  const url = new URL(h);
  const port = url.port || (explicit ? '' : OLLAMA_PORT);
  return `${url.protocol}//${url.hostname}${port ? `:${port}` : ''}${url.pathname}`.replace(/\/+$/, '');
}

/** "llama3.2" and "llama3.2:latest" name the same model. */
const sameModel = (a: string, b: string): boolean => {
  const tagged = (m: string): string => (m.includes(':') ? m : `${m}:latest`);
  return tagged(a) === tagged(b);
};

export async function checkModel(input: ModelCheckInput): Promise<ModelCheck> {
  const model = input.model ?? DEFAULT_MODELS.ollama;
  if (!input.ollamaHost) return { reachable: false, model, why: 'OLLAMA_HOST is not set' };
  let base: string;
  try {
    base = ollamaBaseUrl(input.ollamaHost);
  } catch {
    return { reachable: false, model, why: `OLLAMA_HOST "${input.ollamaHost}" is not a URL` };
  }
  const timeoutMs = input.timeoutMs ?? 2500;
  let res: Response;
  try {
    res = await (input.fetch ?? fetch)(`${base}/api/tags`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${(timeoutMs / 1000).toFixed(1)}s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { reachable: false, model, why: `${base} did not answer: ${why}` };
  }
  if (!res.ok) return { reachable: false, model, why: `${base}/api/tags answered HTTP ${res.status}` };
  // Ollama lists its models; anything else that answers (a proxy) gets the benefit of the doubt.
  const body = (await res.json().catch(() => undefined)) as { models?: { name?: string }[] } | undefined;
  const names = Array.isArray(body?.models) ? body.models.map((m) => m.name ?? '') : undefined;
  if (names && !names.some((n) => sameModel(n, model))) {
    const has = names.length ? `it has ${names.join(', ')}` : 'it has none';
    return {
      reachable: false,
      model,
      why: `${base} has no model ${model} (ollama pull ${model}, or set KUBESKIPPY_AI_MODEL; ${has})`,
    };
  }
  return { reachable: true, host: base, model };
}

/**
 * The scenarios that need a model and have none, as `skipped` results by name; says one line for
 * each scenario that needs a model, reachable or not. The policy's model wins over
 * KUBESKIPPY_AI_MODEL, as in the operator.
 */
export async function skipWithoutModel(
  scenarios: readonly Scenario[],
  config: Pick<OperatorConfig, 'ollamaHost' | 'aiModel'>,
  say: (line: string) => void,
): Promise<Map<string, ScenarioResult>> {
  const skipped = new Map<string, ScenarioResult>();
  for (const s of scenarios.filter((x) => x.needsModel)) {
    const policy = (await readManifests(s.policyFile)).find((o) => o.kind === 'HealingPolicy');
    const fromPolicy = (policy?.spec?.aiAnalysis as { model?: string } | undefined)?.model;
    const model = fromPolicy ?? config.aiModel;
    const check = await checkModel({
      ...(config.ollamaHost ? { ollamaHost: config.ollamaHost } : {}),
      ...(model ? { model } : {}),
    });
    if (check.reachable) {
      say(`${s.name}: using model ${check.model} at ${check.host} (Ollama)`);
    } else {
      const why = `no model reachable (${check.why})`;
      say(`${s.name}: skipped — ${why}`);
      skipped.set(s.name, skippedResult(s, why));
    }
  }
  return skipped;
}
