// The analyzeIncident activity: one bounded question to Ollama or an OpenAI-compatible API, one
// schema-validated answer. Nothing is cached between calls: a model that was down a minute ago is
// simply asked again. Every failure is a typed, non-retryable ApplicationFailure, because the
// fallback (the rule's action) is better than waiting: the workflow records the type as the reason.
import { ApplicationFailure } from '@temporalio/common';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import type { IncidentContext } from '../../domain/ai-context.js';
import type { AiSettings } from '../../domain/ai-plan.js';
import type { AiAnswer } from '../../domain/ai-verdict.js';
import { buildMessages, type ChatMessage } from './prompt.js';
import { AiAnswerSchema, answerJsonSchema, unrequestedFields } from './schema.js';

/** Endpoints and credentials: operator configuration only, never the policy. */
export interface AiDeps {
  ollamaHost?: string;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  /** Model when the policy names none. */
  defaultModel?: string;
}

export interface AnalyzeIncidentInput {
  settings: AiSettings;
  context: IncidentContext;
}

export interface AnalyzeIncidentResult {
  provider: AiSettings['provider'];
  model: string;
  answer: AiAnswer;
}

export const AiErrorType = {
  NotConfigured: 'AiNotConfigured',
  Unavailable: 'AiUnavailable',
  Timeout: 'AiTimeout',
  Malformed: 'AiMalformedResponse',
} as const;

export const DEFAULT_MODELS = { ollama: 'llama3.2', openai: 'gpt-4o-mini' } as const;
const SCHEMA_NAME = 'incident_analysis';

const fail = (type: string, message: string): ApplicationFailure =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

interface Ask {
  model: string;
  messages: ChatMessage[];
  schema: Record<string, unknown>;
  signal: AbortSignal;
  timeoutMs: number;
}

async function askOllama(host: string, q: Ask): Promise<string> {
  const client = new Ollama({
    host,
    fetch: (url, init) =>
      fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, q.signal]) : q.signal }),
  });
  const res = await client.chat({
    model: q.model,
    messages: q.messages,
    format: q.schema,
    stream: false,
    options: { temperature: 0 },
  });
  return res.message.content;
}

async function askOpenAi(deps: AiDeps, q: Ask): Promise<string> {
  const client = new OpenAI({
    // A local OpenAI-compatible server may need no key; the client insists on one.
    apiKey: deps.openaiApiKey ?? 'not-needed',
    ...(deps.openaiBaseUrl ? { baseURL: deps.openaiBaseUrl } : {}),
    maxRetries: 0,
    timeout: q.timeoutMs,
  });
  const res = await client.chat.completions.create(
    {
      model: q.model,
      messages: q.messages,
      temperature: 0,
      response_format: {
        type: 'json_schema',
        json_schema: { name: SCHEMA_NAME, schema: q.schema, strict: true },
      },
    },
    { signal: q.signal },
  );
  return res.choices[0]?.message?.content ?? '';
}

/** Parses the reply text; anything but a valid answer is AiMalformedResponse. */
export function parseAnswer(text: string): AiAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail(AiErrorType.Malformed, `the model's reply is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const parsed = AiAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw fail(AiErrorType.Malformed, `the model's reply does not match the schema: ${issues.join('; ')}`);
  }
  const ignored = unrequestedFields(json as Record<string, unknown>);
  return ignored.length ? { ...parsed.data, ignored } : parsed.data;
}

export async function analyzeIncident(
  deps: AiDeps,
  input: AnalyzeIncidentInput,
): Promise<AnalyzeIncidentResult> {
  const { settings, context } = input;
  const provider = settings.provider;
  if (provider === 'ollama' && !deps.ollamaHost)
    throw fail(AiErrorType.NotConfigured, 'OLLAMA_HOST is not set in the operator configuration');
  if (provider === 'openai' && !deps.openaiApiKey && !deps.openaiBaseUrl)
    throw fail(AiErrorType.NotConfigured, 'neither OPENAI_API_KEY nor OPENAI_BASE_URL is set');
  const model = settings.model ?? deps.defaultModel ?? DEFAULT_MODELS[provider];
  const allowed = context.allowedActions.map((a) => a.name);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  const q: Ask = {
    model,
    messages: buildMessages(context),
    schema: answerJsonSchema(allowed),
    signal: controller.signal,
    timeoutMs: settings.timeoutMs,
  };
  let text: string;
  try {
    text = provider === 'ollama' ? await askOllama(deps.ollamaHost!, q) : await askOpenAi(deps, q);
  } catch (err) {
    if (controller.signal.aborted)
      throw fail(
        AiErrorType.Timeout,
        `${provider} model ${model} did not answer within ${settings.timeoutMs} ms`,
      );
    throw fail(AiErrorType.Unavailable, `${provider} model ${model} unavailable: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  return { provider, model, answer: parseAnswer(text) };
}
