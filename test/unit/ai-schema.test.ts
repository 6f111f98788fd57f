// The JSON schema sent to the model must be one OpenAI's strict structured outputs accept
// (https://platform.openai.com/docs/guides/structured-outputs, "Supported schemas"): a request with
// an unsupported schema is a 400 from a real endpoint, which would turn every analysis into
// AiUnavailable. No network here, so the documented rules are checked on the schema itself.
import { describe, expect, it } from 'vitest';
import { parseAnswer } from '../../activities/ai/analyze.js';
import { answerJsonSchema, AiAnswerSchema, unrequestedFields } from '../../activities/ai/schema.js';

// Keywords strict mode supports (per type), plus the annotations every type may carry.
const COMMON = new Set(['type', 'description', 'enum', 'title']);
const BY_TYPE: Record<string, Set<string>> = {
  object: new Set(['properties', 'required', 'additionalProperties']),
  array: new Set(['items', 'minItems', 'maxItems']),
  string: new Set(['pattern', 'format']),
  number: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  integer: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  boolean: new Set(),
};

/** Every violation of strict mode's rules, with the path where it is. */
function strictViolations(schema: Record<string, unknown>, path = '$'): string[] {
  const out: string[] = [];
  const type = schema.type as string;
  const allowed = BY_TYPE[type];
  if (!allowed) return [`${path}: type ${JSON.stringify(type)} is not supported`];
  for (const key of Object.keys(schema))
    if (!COMMON.has(key) && !allowed.has(key)) out.push(`${path}: keyword ${key} is not supported`);
  if (type === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    if (schema.additionalProperties !== false) out.push(`${path}: additionalProperties must be false`);
    const required = new Set((schema.required ?? []) as string[]);
    for (const [name, sub] of Object.entries(props)) {
      if (!required.has(name)) out.push(`${path}.${name}: every property must be required`);
      out.push(...strictViolations(sub, `${path}.${name}`));
    }
  }
  if (type === 'array' && schema.items)
    out.push(...strictViolations(schema.items as Record<string, unknown>, `${path}[]`));
  return out;
}

describe('the answer schema sent to the model', () => {
  const schema = answerJsonSchema(['restart-pod', 'scale-up']);

  it('is valid for OpenAI strict structured outputs', () => {
    expect(strictViolations(schema)).toEqual([]);
  });

  it('the checker itself catches what strict mode refuses', () => {
    expect(strictViolations({ type: 'object', properties: { a: { type: 'string' } } })).toEqual([
      '$: additionalProperties must be false',
      '$.a: every property must be required',
    ]);
    expect(strictViolations({ type: 'string', minLength: 1 })).toEqual([
      '$: keyword minLength is not supported',
    ]);
  });

  it('offers only the allowed actions and "none", and has no $schema key', () => {
    const rec = (schema.properties as Record<string, { properties: Record<string, { enum: string[] }> }>)
      .recommendation!;
    expect(rec.properties.action!.enum).toEqual(['none', 'restart-pod', 'scale-up']);
    expect(schema).not.toHaveProperty('$schema');
  });

  it('whatever follows the schema parses back', () => {
    const sample = {
      analysis: 'a',
      rootCause: 'b',
      confidence: 0.5,
      recommendation: { action: 'scale-up', rationale: 'c' },
      similarIncidents: [],
    };
    expect(AiAnswerSchema.parse(sample)).toEqual(sample);
  });
});

describe('an answer that asks for more than an action name', () => {
  it('keeps the answer, drops the extra fields and names them (a target, a namespace, replicas)', () => {
    const reply = {
      analysis: 'a',
      rootCause: 'r',
      confidence: 1,
      recommendation: { action: 'scale-up', rationale: 'x', replicas: 100, namespace: 'kube-system' },
      similarIncidents: [],
      target: { namespace: 'kube-system', name: 'coredns' },
    };
    const parsed = parseAnswer(JSON.stringify(reply));
    expect(parsed.recommendation).toEqual({ action: 'scale-up', rationale: 'x' });
    expect(parsed.ignored).toEqual([
      'target={"namespace":"kube-system","name":"coredns"}',
      'recommendation.replicas=100',
      'recommendation.namespace="kube-system"',
    ]);
  });

  it('a reply with only the schema fields has nothing ignored', () => {
    const reply = {
      analysis: 'a',
      rootCause: 'r',
      confidence: 0.5,
      recommendation: { action: 'none', rationale: 'x' },
      similarIncidents: [],
    };
    expect(parseAnswer(JSON.stringify(reply)).ignored).toBeUndefined();
    expect(unrequestedFields(reply)).toEqual([]);
  });
});
