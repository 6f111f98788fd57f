// fast-check arbitraries drawn from the zod schema itself: HealingPolicySpec → JSON Schema (zod's
// own `z.toJSONSchema`, the same source the CRD is generated from) → an arbitrary that produces
// documents of that shape. Sizes are kept small here (lists of at most three, short strings); the
// mutations (./mutations.ts) are where sizes, types and values go out of bounds on purpose.
import fc from 'fast-check';
import { z } from 'zod';
import { HealingPolicySpec } from '../../../crds/healing-policy.js';

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Small numbers are where the rules are (0, negatives, the bounds); huge ones come from mutations. */
const SMALL = 1000;

function stringArb(s: JsonSchema): fc.Arbitrary<Json> {
  if (s.pattern) {
    const matching = fc.stringMatching(new RegExp(s.pattern));
    return s.maxLength === undefined ? matching : matching.filter((v) => v.length <= s.maxLength!);
  }
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 12, 12));
  // Mostly plain words (names, reasons, queries a person would write), sometimes any text.
  return fc.oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) },
  );
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<Json> {
  const min = Math.max(s.minimum ?? -SMALL, -SMALL);
  const max = Math.min(s.maximum ?? SMALL, SMALL);
  if (integer) return fc.integer({ min, max });
  return fc.oneof(
    fc.integer({ min, max }),
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  );
}

function objectArb(s: JsonSchema): fc.Arbitrary<Json> {
  if (s.properties) {
    const model: Record<string, fc.Arbitrary<Json>> = {};
    for (const [key, child] of Object.entries(s.properties)) model[key] = arbitraryOf(child);
    return fc.record(model, { requiredKeys: s.required ?? [] }) as fc.Arbitrary<Json>;
  }
  const values = typeof s.additionalProperties === 'object' ? s.additionalProperties : { type: 'string' };
  return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9./-]{0,15}$/), arbitraryOf(values), {
    maxKeys: 3,
  }) as fc.Arbitrary<Json>;
}

/** An arbitrary producing values the JSON Schema `s` describes (within small sizes). */
export function arbitraryOf(s: JsonSchema): fc.Arbitrary<Json> {
  if (s.enum) return fc.constantFrom(...(s.enum as Json[]));
  if (s.anyOf) return fc.oneof(...s.anyOf.map(arbitraryOf));
  switch (s.type) {
    case 'object':
      return objectArb(s);
    case 'array': {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 3, 3));
      return fc.array(arbitraryOf(s.items ?? {}), { minLength, maxLength });
    }
    case 'string':
      return stringArb(s);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    default:
      return fc.constant(null);
  }
}

/** The input shape of HealingPolicySpec (defaults not applied: they are what the server fills in). */
export function specSchema(): JsonSchema {
  return z.toJSONSchema(HealingPolicySpec, { io: 'input' }) as JsonSchema;
}

/** Any document of the spec's shape: its rules between fields (CEL, zod refinements) may not hold. */
export const rawSpecArb = (): fc.Arbitrary<Json> => arbitraryOf(specSchema());
