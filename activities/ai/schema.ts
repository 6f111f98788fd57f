// The structured answer requested from the model. One zod schema is the source of truth: the JSON
// schema sent as Ollama's `format` / OpenAI's `response_format` is generated from it, with the
// allowed action names as an enum, and the reply is parsed with it. The parser accepts any action
// name so the record can say what the model wanted; the allow-list is enforced again in domain/.
import { z } from 'zod';

const fields = (action: z.ZodType<string>): z.ZodRawShape => ({
  analysis: z.string().describe('What is happening, in a few sentences.'),
  rootCause: z.string().describe('The most likely root cause.'),
  confidence: z.number().min(0).max(1).describe('Confidence in the recommendation, from 0 to 1.'),
  recommendation: z
    .object({
      action: action.describe('The name of one allowed action, or "none".'),
      rationale: z.string().describe('Why this action, citing the data.'),
    })
    .describe('What to do.'),
  similarIncidents: z.array(z.string()).describe('Past outcomes in the data that resemble this incident.'),
});

/** The schema the model is asked to follow: the action must be an allowed name or "none". */
export function answerSchema(allowed: string[]): z.ZodObject {
  return z.object(fields(z.enum(['none', ...allowed])));
}

/** What is accepted back: the same shape, any action name (checked against the allow-list later). */
export const AiAnswerSchema = z.object({
  analysis: z.string(),
  rootCause: z.string(),
  confidence: z.number().min(0).max(1),
  recommendation: z.object({ action: z.string().min(1), rationale: z.string() }),
  similarIncidents: z.array(z.string()),
});
export type AiAnswerSchema = z.infer<typeof AiAnswerSchema>;

/** JSON schema for the provider, without the `$schema` key some servers reject. */
export function answerJsonSchema(allowed: string[]): Record<string, unknown> {
  const { $schema: _dropped, ...schema } = z.toJSONSchema(answerSchema(allowed)) as Record<string, unknown>;
  return schema;
}

const MAX_IGNORED = 5;
const cutText = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * What a (possibly prompt-injected) reply adds beyond the schema — a target, a namespace, replicas,
 * a patch — as `path=value`, a few and short. zod drops these keys; they are never used (a model
 * names only an action, the policy gives its target and bounds), but the record says they were
 * asked for, so an injection attempt is visible rather than silently discarded.
 */
export function unrequestedFields(json: Record<string, unknown>): string[] {
  const out: string[] = [];
  const collect = (obj: unknown, known: string[], prefix: string): void => {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
    for (const [k, v] of Object.entries(obj)) {
      if (!known.includes(k)) out.push(`${prefix}${k}=${cutText(JSON.stringify(v) ?? 'undefined', 80)}`);
    }
  };
  collect(json, Object.keys(AiAnswerSchema.shape), '');
  collect(json.recommendation, Object.keys(AiAnswerSchema.shape.recommendation.shape), 'recommendation.');
  return out.slice(0, MAX_IGNORED).map((f) => cutText(f, 100));
}
