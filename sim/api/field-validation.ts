// Unknown fields in a custom resource, handled as the API server's `fieldValidation` query says:
// Strict refuses the request naming every unknown field (kubectl's default, --validate=strict),
// Warn (the server's default) accepts it and sends one `Warning` header per field, which kubectl
// prints as "Warning: unknown field ...", Ignore drops them quietly. In every case the stored
// object is pruned (./schema.ts). Without this the sim dropped such fields in silence, where a
// real server says so.
import type { KObject } from '../contract.js';
import type { ApiRequest } from './context.js';
import { badRequest } from './errors.js';
import type { ResourceInfo } from './resources.js';
import { childSchema, type Schema } from './schema.js';
import { isPlainObject } from './util.js';

/** Paths the schema would prune, in the server's words: "spec.colour", "spec.triggers[0].treshold". */
export function unknownFields(value: unknown, s: Schema, path = '', out: string[] = []): string[] {
  if (s['x-kubernetes-preserve-unknown-fields'] || s.additionalProperties === true) return out;
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (path === '' && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const here = path ? `${path}.${k}` : k;
      const cs = childSchema(s, k);
      if (cs) unknownFields(v, cs, here, out);
      else out.push(here);
    }
  } else if (Array.isArray(value) && s.items) {
    value.forEach((v, i) => unknownFields(v, s.items!, `${path}[${i}]`, out));
  }
  return out;
}

/** The `Warning` headers for `obj`, or a 400 under Strict; nothing for built-in kinds. */
export function fieldValidationWarnings(req: ApiRequest, info: ResourceInfo, obj: KObject): string[] {
  if (!info.crd) return [];
  const mode = req.query.get('fieldValidation') ?? 'Warn';
  if (mode === 'Ignore') return [];
  const unknown = unknownFields(obj, info.crd.schema as Schema);
  if (!unknown.length) return [];
  const words = unknown.map((f) => `unknown field "${f}"`);
  if (mode === 'Strict')
    throw badRequest(
      `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${words.join(', ')}`,
    );
  return words.map((w) => `299 - ${JSON.stringify(w)}`);
}

/** Headers to send with the answer (the Warning list may be empty). */
export const warningHeaders = (warnings: string[]): Record<string, string[]> =>
  warnings.length ? { Warning: warnings } : {};
