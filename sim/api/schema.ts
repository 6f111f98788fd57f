// The parts of apiextensions-apiserver's structural-schema handling a client can observe:
// defaulting, pruning of unknown fields, and OpenAPI v3 validation with Kubernetes-style causes.
// Not modelled: CEL rules (x-kubernetes-validations), list-type uniqueness, formats.
import type { StatusCause } from './errors.js';
import { clone, deepEqual, isPlainObject } from './util.js';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  description?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

/** The schema of `key` in an object of schema `s` (a declared property, or additionalProperties). */
export const childSchema = (s: Schema, key: string): Schema | undefined =>
  s.properties?.[key] ?? (isPlainObject(s.additionalProperties) ? s.additionalProperties : undefined);

/** Fills `default`s top-down; a default applies only where the parent object exists. */
export function applyDefaults(value: unknown, s: Schema): void {
  if (isPlainObject(value)) {
    for (const [k, ps] of Object.entries(s.properties ?? {})) {
      if (value[k] === undefined && ps.default !== undefined) value[k] = clone(ps.default);
    }
    for (const [k, v] of Object.entries(value)) {
      const cs = childSchema(s, k);
      if (cs) applyDefaults(v, cs);
    }
  } else if (Array.isArray(value) && s.items) {
    for (const v of value) applyDefaults(v, s.items);
  }
}

/** Drops fields the schema does not declare, unless it preserves unknown fields. */
export function prune(value: unknown, s: Schema, root = false): void {
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) return;
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const cs = childSchema(s, k);
      if (cs) prune(value[k], cs);
      else if (!s['x-kubernetes-preserve-unknown-fields'] && s.additionalProperties !== true) delete value[k];
    }
  } else if (Array.isArray(value) && s.items) {
    for (const v of value) prune(v, s.items);
  }
}

const goType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

function typeMatches(v: unknown, s: Schema): boolean {
  if (s['x-kubernetes-int-or-string']) return Number.isInteger(v) || typeof v === 'string';
  switch (s.type) {
    case undefined:
      return true;
    case 'object':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    default:
      return typeof v === s.type;
  }
}

const show = (v: unknown): string => JSON.stringify(v);

/** Validates `value` at `path` (e.g. "spec.action"); returns causes in document order. */
export function validate(value: unknown, s: Schema, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const cause = (reason: string, message: string): void => void out.push({ reason, message, field: path });
  if (value === null) {
    if (!s.nullable && s.type)
      cause(
        'FieldValueTypeInvalid',
        `Invalid value: "null": ${path} in body must be of type ${s.type}: "null"`,
      );
    return out;
  }
  if (!typeMatches(value, s)) {
    const t = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
    cause(
      'FieldValueTypeInvalid',
      `Invalid value: "${goType(value)}": ${path} in body must be of type ${t}: "${goType(value)}"`,
    );
    return out;
  }
  if (s.enum && !s.enum.some((e) => deepEqual(e, value))) {
    cause(
      'FieldValueNotSupported',
      `Unsupported value: ${show(value)}: supported values: ${s.enum.map(show).join(', ')}`,
    );
  }
  if (typeof value === 'string') {
    if (s.pattern && !new RegExp(s.pattern, 'u').test(value))
      cause(
        'FieldValueInvalid',
        `Invalid value: ${show(value)}: ${path} in body should match '${s.pattern}'`,
      );
    if (s.minLength !== undefined && [...value].length < s.minLength)
      cause(
        'FieldValueInvalid',
        `Invalid value: ${show(value)}: ${path} in body should be at least ${s.minLength} chars long`,
      );
    if (s.maxLength !== undefined && [...value].length > s.maxLength)
      cause('FieldValueTooLong', `Too long: may not be more than ${s.maxLength} bytes`);
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum)) {
      cause(
        'FieldValueInvalid',
        `Invalid value: ${value}: ${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`,
      );
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum)) {
      cause(
        'FieldValueInvalid',
        `Invalid value: ${value}: ${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`,
      );
    }
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      cause(
        'FieldValueInvalid',
        `Invalid value: ${value.length}: ${path} in body should have at least ${s.minItems} items`,
      );
    if (s.maxItems !== undefined && value.length > s.maxItems)
      cause('FieldValueTooMany', `Too many: ${value.length}: must have at most ${s.maxItems} items`);
    if (s.items) value.forEach((v, i) => out.push(...validate(v, s.items!, `${path}[${i}]`)));
  }
  if (isPlainObject(value)) {
    for (const r of s.required ?? []) {
      if (value[r] === undefined)
        out.push({
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: path ? `${path}.${r}` : r,
        });
    }
    for (const [k, v] of Object.entries(value)) {
      const cs = childSchema(s, k);
      if (cs && v !== undefined) out.push(...validate(v, cs, path ? `${path}.${k}` : k));
    }
  }
  for (const sub of s.allOf ?? []) out.push(...validate(value, sub, path));
  if (s.anyOf && !s.anyOf.some((sub) => validate(value, sub, path).length === 0))
    cause(
      'FieldValueInvalid',
      `Invalid value: ${show(value)}: ${path} in body must match at least one schema in anyOf`,
    );
  if (s.oneOf && s.oneOf.filter((sub) => validate(value, sub, path).length === 0).length !== 1)
    cause(
      'FieldValueInvalid',
      `Invalid value: ${show(value)}: ${path} in body must validate one and only one schema (oneOf)`,
    );
  return out;
}
