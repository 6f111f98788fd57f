import { describe, expect, it } from 'vitest';
import { applyDefaults, prune, validate, type Schema } from '../../sim/api/schema.js';

const schema: Schema = {
  type: 'object',
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['action'],
      properties: {
        mode: { type: 'string', enum: ['monitor', 'automatic'], default: 'monitor' },
        replicas: { type: 'integer', minimum: 1, maximum: 10 },
        name: { type: 'string', pattern: '^[a-z]+$', minLength: 2 },
        action: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            limits: { type: 'object', properties: { max: { type: 'integer', default: 3 } } },
          },
        },
        items: {
          type: 'array',
          minItems: 1,
          items: { type: 'object', properties: { weight: { type: 'integer', default: 1 } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        budget: { 'x-kubernetes-int-or-string': true },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

describe('structural schema handling', () => {
  it('applies defaults where the parent exists, including in array items', () => {
    const obj = { spec: { action: { limits: {} }, items: [{}, { weight: 5 }] } };
    applyDefaults(obj, schema);
    expect(obj.spec).toEqual({
      mode: 'monitor',
      action: { limits: { max: 3 } },
      items: [{ weight: 1 }, { weight: 5 }],
    });
  });

  it('prunes unknown fields but keeps preserved ones and metadata', () => {
    const obj = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', extra: 1 },
      bogus: 1,
      spec: { action: { type: 'a', junk: true }, free: { any: { thing: 1 } }, labels: { a: 'b' } },
    };
    prune(obj, schema, true);
    expect(obj).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', extra: 1 },
      spec: { action: { type: 'a' }, free: { any: { thing: 1 } }, labels: { a: 'b' } },
    });
  });

  it('reports each violation with the field path and the Kubernetes reason', () => {
    const causes = validate(
      { spec: { mode: 'bogus', replicas: 0, name: 'A', items: [], labels: { a: 1 }, budget: 1.5 } },
      schema,
      '',
    );
    expect(causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.action' },
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "bogus": supported values: "monitor", "automatic"',
        field: 'spec.mode',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
        field: 'spec.replicas',
      },
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "A": spec.name in body should match '^[a-z]+$'`,
        field: 'spec.name',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "A": spec.name in body should be at least 2 chars long',
        field: 'spec.name',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: spec.items in body should have at least 1 items',
        field: 'spec.items',
      },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
        field: 'spec.labels.a',
      },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "number": spec.budget in body must be of type integer,string: "number"',
        field: 'spec.budget',
      },
    ]);
  });

  it('requires top-level fields', () => {
    expect(validate({}, schema, '')).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec' },
    ]);
    expect(validate({ spec: { action: {}, budget: '50%' } }, schema, '')).toEqual([]);
  });
});
