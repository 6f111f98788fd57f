// "Inside the allow-list" for patch paths, in TypeScript and in CEL, with the prefix semantics of
// the executor (activities/executors/patch.ts): a path is inside a prefix when it is the prefix or
// lies below it. The executor also checks the patch's *effect* on the live object; these checks
// refuse at admission what is visibly outside before anything runs.
import { DEFAULT_ALLOWED_PATHS } from '../domain/patch.js';
import { celString } from './cel.js';

export { DEFAULT_ALLOWED_PATHS };

export const under = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(prefix.replace(/\/$/, '') + '/');

/** The JSON pointer of a legacy `patches[].path` (map keys, `~` and `/` escaped per RFC 6901). */
export const legacyPointer = (keys: readonly string[]): string =>
  '/' + keys.map((k) => k.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export const effectiveAllowed = (allowed: readonly string[] | undefined): readonly string[] =>
  allowed?.length ? allowed : DEFAULT_ALLOWED_PATHS;

/** The first pointer outside every allowed prefix, if any. */
export function firstOutsideAllowed(
  pointers: readonly string[],
  allowed: readonly string[] | undefined,
): string | undefined {
  const prefixes = effectiveAllowed(allowed);
  return pointers.find((p) => !prefixes.some((prefix) => under(p, prefix)));
}

/** The words of a refusal by code (CEL's budget allows only a static message). */
export const outsideMessage = (pointer: string, allowed: readonly string[] | undefined): string =>
  `${pointer} is outside the allowed paths ${effectiveAllowed(allowed).join(', ')}`;

// CEL over a PatchAction (`self`). The API server's cost estimate shapes these: it has no
// cel.bind, treats the output of replace() as unbounded (so keys are not escaped in CEL), and
// estimates filter().map() and indexing a filtered list of objects as unbounded (so the message
// cannot name the path); each would get the CRD refused. So CEL judges the operations whose keys
// need no escaping (no "/" or "~"), with exactly the judgement of `under`, and leaves the others
// to parseHealingPolicySpec.
const CEL_ALLOWED = `(has(self.allowedPaths) && size(self.allowedPaths) > 0 ? self.allowedPaths : [${DEFAULT_ALLOWED_PATHS.map(celString).join(', ')}])`;
const celPointer = (op: string): string => `('/' + ${op}.path.join('/'))`;
const celOutside = (op: string): string =>
  `size(${op}.path) > 0 && !${op}.path.exists(k, k.contains('/') || k.contains('~')) && ` +
  `!${CEL_ALLOWED}.exists(p, ${celPointer(op)} == p || ${celPointer(op)}.startsWith((p.endsWith('/') ? p.substring(0, size(p) - 1) : p) + '/'))`;

/** A legacy key CEL leaves to code: its JSON pointer needs escaping. */
export const needsEscaping = (key: string): boolean => key.includes('/') || key.includes('~');

/** CEL: the legacy `patches` (used only when `patch` is empty) stay inside the allow-list. */
export const celLegacyPatchesInside = `(has(self.patch) && self.patch != '') || !has(self.patches) || self.patches.all(op, !(${celOutside('op')}))`;
