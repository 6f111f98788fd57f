// PATCH bodies by content type, as the real server dispatches them. Server-side apply is in apply.ts.
import fastJsonPatch from 'fast-json-patch';
import type { KObject } from '../contract.js';
import { ApiError, badRequest, unsupportedMediaType } from './errors.js';
import type { ResourceInfo } from './resources.js';
import { strategicMerge } from './strategic-merge.js';
import { clone, isPlainObject } from './util.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
}

/** Applies a JSON, merge or strategic patch to `current`; throws 415 for unknown types. */
export function applyPatch(info: ResourceInfo, current: KObject, contentType: string, body: string): KObject {
  const type = contentType.split(';')[0]!.trim();
  switch (type) {
    case JSON_PATCH: {
      const ops = parseJson(body);
      if (!Array.isArray(ops))
        throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      try {
        return fastJsonPatch.applyPatch(clone(current), ops as fastJsonPatch.Operation[], true, false)
          .newDocument;
      } catch (e) {
        // A failed `test` op or a missing path is the client's fault: 422 like the real server.
        const err = e as { name?: string; message: string };
        throw new ApiError(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: ${err.message.split('\n')[0]}`,
        );
      }
    }
    case MERGE_PATCH: {
      const p = parseJson(body);
      if (!isPlainObject(p)) throw badRequest('merge patch must be a JSON object');
      return mergePatch(current, p) as KObject;
    }
    case STRATEGIC_PATCH: {
      if (!info.strategicMerge) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${APPLY_PATCH}`,
        );
      }
      const p = parseJson(body);
      if (!isPlainObject(p)) throw badRequest('strategic merge patch must be a JSON object');
      return strategicMerge(current, p) as KObject;
    }
    default:
      throw unsupportedMediaType(contentType);
  }
}
