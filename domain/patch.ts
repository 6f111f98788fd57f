// Patch actions: the document as written, or the Go KubeSkippy's `patches` (a list of
// field sets) turned into one JSON merge patch.

import type { PatchAction } from '../crds/healing-policy.js';
import type { NormalizedPatch } from './policy-types.js';

export const DEFAULT_ALLOWED_PATHS = ['/spec/template'];

/**
 * Fields a healing patch may never set, whatever allowedPaths says: each one widens what a pod may
 * do or who it runs as — host namespaces, ports and paths, privileges and capabilities, the
 * ServiceAccount and its token, the node it lands on. A fix for memory or crashes never needs them;
 * an attacker who can write a HealingPolicy would. Matched as whole words, case-insensitively, so a
 * key spelt `HostNetwork` cannot slip past the API server's field matching.
 */
export const PRIVILEGED_FIELDS = [
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'hostUsers',
  'hostPath',
  'hostPort',
  'securityContext',
  'privileged',
  'allowPrivilegeEscalation',
  'capabilities',
  'procMount',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'nodeName',
] as const;

/**
 * What the admission rule looks for, in JavaScript and in CEL's RE2 alike: a word that every
 * privileged field contains (`serviceaccount` in serviceAccountName and
 * automountServiceAccountToken, `privilege` in privileged and allowPrivilegeEscalation), without
 * word boundaries. Short, because the API server prices a regex by its length times the text's,
 * and it errs on the side of refusing: `privileges` in a comment is refused too.
 */
export const PRIVILEGED_WORD_PATTERN =
  'host(network|pid|ipc|users|path|port)|securitycontext|privilege|capabilities|procmount|serviceaccount|nodename';
const privilegedWord = new RegExp(PRIVILEGED_WORD_PATTERN, 'i');
const privilegedField = new RegExp(`(^|[^A-Za-z0-9_])(${PRIVILEGED_FIELDS.join('|')})([^A-Za-z0-9_]|$)`, 'i');

/**
 * The privileged field named in `text` (a patch document, a key, a value), when the admission
 * rule would refuse it: the field as spelt in PRIVILEGED_FIELDS when one stands as a word, else
 * the word that matched.
 */
export function privilegedFieldIn(text: string): string | undefined {
  const word = privilegedWord.exec(text);
  if (!word) return undefined;
  const m = privilegedField.exec(text);
  return m ? PRIVILEGED_FIELDS.find((f) => f.toLowerCase() === m[2]!.toLowerCase()) : word[0];
}

/** The message every judge gives for a patch that names a privileged field. */
export const privilegedMessage = (field: string): string =>
  `sets ${field}, which a healing patch may never change: it widens what the pod may do`;

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

/** The keys of a JSON value, at every depth. */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  return out;
}

/**
 * The privileged field a change (a JSON pointer and the value written there) touches: a key on the
 * path or inside the value. The executor checks the patch's effect with this, so a document that
 * hid the word from the admission check (an escaped key, a whole container replaced) is still caught.
 */
export function privilegedFieldOfChange(pointer: string, value: unknown): string | undefined {
  const keys = [
    ...pointer.split('/').map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~')),
    ...keysOf(value),
  ];
  for (const key of keys) {
    const field = PRIVILEGED_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
    if (field) return field;
  }
  return undefined;
}
