// Patch actions: the document as written, or the Go KubeSkippy's `patches` (a list of
// field sets) turned into one JSON merge patch.

import type { PatchAction } from '../crds/healing-policy.js';
import type { NormalizedPatch } from './policy-types.js';

export const DEFAULT_ALLOWED_PATHS = ['/spec/template'];

/** Sets `value` at `path` in a nested object, creating intermediate objects. */
function setPath(doc: Record<string, unknown>, path: string[], value: unknown): void {
  let node = doc;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

/** A legacy value is JSON when it parses as JSON, else the string itself ("as JSON, else a string"). */
function legacyValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function normalizePatch(p: PatchAction, where: string, warnings: string[]): NormalizedPatch {
  const allowedPaths = p.allowedPaths?.length ? p.allowedPaths : DEFAULT_ALLOWED_PATHS;
  if (p.patch) {
    if (p.patches?.length) warnings.push(`${where}: both patch and patches are set; patches is ignored`);
    return { type: p.type, patch: p.patch, allowedPaths, target: p.target };
  }
  // The Go KubeSkippy applied `patches` as field sets, i.e. a JSON merge patch of nested keys.
  const doc: Record<string, unknown> = {};
  for (const op of p.patches ?? []) if (op.path.length > 0) setPath(doc, op.path, legacyValue(op.value));
  return { type: 'merge', patch: JSON.stringify(doc), allowedPaths, target: p.target };
}
