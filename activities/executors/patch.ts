// Patch with the declared semantics, limited to allow-listed paths, remembering the inverse.
// The allow-list is enforced on the *effect*, not the document: the patch is first applied as a
// server-side dry run, the dry-run result is diffed against the live object, and every changed
// path must sit under an allowed prefix. That holds for strategic, merge and JSON patches alike.
import { ApplicationFailure } from '@temporalio/common';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import type { ResourceChange } from '../../crds/healing-action.js';
import { privilegedFieldOfChange, privilegedMessage } from '../../domain/patch.js';
import type { Kube } from '../kube/clients.js';
import { ErrorType, kubeCall } from '../kube/errors.js';
import { kindApi, readLiveTarget, refString, type AnyObject } from './workloads.js';
import {
  LAST_ACTION_ANNOTATION,
  LAST_ACTION_INVERSE_ANNOTATION,
  type ExecuteActionInput,
  type ExecuteActionResult,
  type ActionOf,
} from './types.js';

type PatchSpec = ActionOf<'patch'>['patchAction'];

/** Paths the API server manages itself; they change on every write and are not the patch's doing. */
const SERVER_MANAGED = [
  '/metadata/resourceVersion',
  '/metadata/generation',
  '/metadata/managedFields',
  '/status',
];
const pointer = (annotation: string): string => `/metadata/annotations/${annotation.replace('/', '~1')}`;
const OWN_MARK = pointer(LAST_ACTION_ANNOTATION);
const OUR_ANNOTATIONS = [LAST_ACTION_ANNOTATION, LAST_ACTION_INVERSE_ANNOTATION];

const under = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(prefix.replace(/\/$/, '') + '/');

/** The object without our idempotency mark and inverse (and without an annotations map they alone created). */
function unmarked(obj: AnyObject): AnyObject {
  const annotations = obj.metadata?.annotations as Record<string, string> | undefined;
  if (!annotations || !OUR_ANNOTATIONS.some((a) => a in annotations)) return obj;
  const rest = Object.fromEntries(Object.entries(annotations).filter(([k]) => !OUR_ANNOTATIONS.includes(k)));
  const { annotations: _all, ...metadata } = obj.metadata as AnyObject;
  return { ...obj, metadata: Object.keys(rest).length ? { ...metadata, annotations: rest } : metadata };
}

/**
 * The object as it is on the wire. client-node's typed reads turn timestamps into `Date`s, and
 * jsonpatch.compare calls toJSON on the old side only, so two equal Dates diff as one `remove` per
 * character (`/metadata/creationTimestamp/0` ...). metav1.Time has second precision.
 */
export function plainJson(obj: AnyObject): AnyObject {
  return JSON.parse(
    JSON.stringify(obj, function (this: AnyObject, key: string, value: unknown) {
      const raw: unknown = this[key];
      return raw instanceof Date ? raw.toISOString().replace(/\.000Z$/, 'Z') : value;
    }),
  ) as AnyObject;
}

export function effectiveChanges(before: AnyObject, after: AnyObject): Operation[] {
  // The mark is stripped from both sides before diffing: on an object without annotations it
  // arrives as `add /metadata/annotations {mark}`, which a path filter alone would charge to the patch.
  return jsonpatch
    .compare(unmarked(plainJson(before)), unmarked(plainJson(after)))
    .filter((op) => !SERVER_MANAGED.some((p) => under(op.path, p)));
}

export function disallowedPaths(ops: Operation[], allowed: string[]): string[] {
  return ops.map((op) => op.path).filter((path) => !allowed.some((prefix) => under(path, prefix)));
}

/** The first change that touches a privileged field (domain/patch.ts), whatever the allow-list says. */
export function privilegedChange(ops: Operation[]): { path: string; field: string } | undefined {
  for (const op of ops) {
    const field = privilegedFieldOfChange(op.path, 'value' in op ? op.value : undefined);
    if (field) return { path: op.path, field };
  }
  return undefined;
}

/** The patch body with our idempotency mark folded in, so the change and the mark land atomically. */
/**
 * The user's patch plus our mark, preconditioned on the resourceVersion we read: the allow-list is
 * judged on the diff between that read and the dry run, so a controller's write in between (a real
 * Deployment controller stamps its revision annotation) must fail the patch with a retryable 409,
 * not be blamed on it as a change outside the allowed paths.
 */
function markedBody(spec: PatchSpec, before: AnyObject, actionId: string): unknown {
  const resourceVersion = before.metadata?.resourceVersion;
  if (spec.type === 'json') {
    const ops = JSON.parse(spec.patch) as Operation[];
    const mark: Operation = before.metadata?.annotations
      ? { op: 'add', path: OWN_MARK, value: actionId }
      : { op: 'add', path: '/metadata/annotations', value: { [LAST_ACTION_ANNOTATION]: actionId } };
    // A replace (not a test, whose failure is a 422): the server compares the patched object's
    // resourceVersion with the stored one and answers 409 Conflict when they differ.
    const precondition: Operation[] = resourceVersion
      ? [{ op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion }]
      : [];
    return [...precondition, ...ops, mark];
  }
  const doc = parseYaml(spec.patch) as AnyObject;
  return {
    ...doc,
    metadata: {
      ...doc.metadata,
      ...(resourceVersion ? { resourceVersion } : {}),
      annotations: { ...doc.metadata?.annotations, [LAST_ACTION_ANNOTATION]: actionId },
    },
  };
}

/** The marked body with the inverse annotation added (after the mark, which creates the map if needed). */
function withInverse(body: unknown, type: PatchSpec['type'], inverse: string): unknown {
  if (type === 'json') {
    return [
      ...(body as Operation[]),
      { op: 'add', path: pointer(LAST_ACTION_INVERSE_ANNOTATION), value: inverse },
    ];
  }
  const doc = body as AnyObject;
  return {
    ...doc,
    metadata: {
      ...doc.metadata,
      annotations: { ...doc.metadata?.annotations, [LAST_ACTION_INVERSE_ANNOTATION]: inverse },
    },
  };
}

function describeChanges(ref: string, ops: Operation[], before: AnyObject): ResourceChange[] {
  return ops.map((op) => ({
    resourceRef: ref,
    changeType: 'patch' as const,
    field: op.path,
    oldValue: op.op === 'add' ? undefined : JSON.stringify(jsonpatch.getValueByPointer(before, op.path)),
    newValue: 'value' in op ? JSON.stringify(op.value) : undefined,
  }));
}

/** Conflicts a patch retries at once with a fresh read before it fails the attempt (client-go's RetryOnConflict). */
const CONFLICT_RETRIES = 5;

/**
 * Read, preview, check and patch, again from a fresh read when the object changed in between
 * (a 409 from the resourceVersion precondition): controllers write status and annotations all
 * the time, and only a diff of one consistent read against its own preview says what the patch
 * changes. Past the retries the 409 fails the attempt, retryable, like any conflict.
 */
export async function patchObject(
  kube: Kube,
  input: ExecuteActionInput,
  spec: PatchSpec,
): Promise<ExecuteActionResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await patchOnce(kube, input, spec);
    } catch (err) {
      const conflict = err instanceof ApplicationFailure && err.type === ErrorType.Conflict;
      if (!conflict || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

async function patchOnce(
  kube: Kube,
  input: ExecuteActionInput,
  spec: PatchSpec,
): Promise<ExecuteActionResult> {
  const { name, namespace } = input.target;
  const live = await readLiveTarget(kube, input);
  if ('gone' in live) return live.gone;
  const { before, api, ref } = live;
  const annotations = (before.metadata?.annotations ?? {}) as Record<string, string>;
  if (annotations[LAST_ACTION_ANNOTATION] === input.actionId) {
    // The attempt that patched died before reporting: its inverse is on the object, so a patch
    // that does not heal is still reverted.
    const inverse = annotations[LAST_ACTION_INVERSE_ANNOTATION];
    return {
      outcome: 'already-applied',
      message: `${ref} was already patched by this action`,
      changes: [],
      ...(inverse ? { inversePatch: inverse } : {}),
    };
  }
  const body = markedBody(spec, before, input.actionId);
  const preview = await kubeCall(`dry-run patch ${ref}`, () =>
    api.patch({ name, namespace, body, dryRun: 'All' }, spec.type),
  );
  const ops = effectiveChanges(before, preview);
  const privileged = privilegedChange(ops);
  if (privileged) {
    throw ApplicationFailure.nonRetryable(
      `patch of ${ref} would change ${privileged.path}: ${privilegedMessage(privileged.field)}`,
      'PatchPathNotAllowed',
    );
  }
  const refused = disallowedPaths(ops, spec.allowedPaths);
  if (refused.length) {
    throw ApplicationFailure.nonRetryable(
      `patch of ${ref} would change ${refused.join(', ')}, outside the allowed paths ${spec.allowedPaths.join(', ')}`,
      'PatchPathNotAllowed',
    );
  }
  const changes = describeChanges(ref, ops, before);
  if (input.dryRun) {
    return { outcome: 'dry-run', message: `would patch ${ref}: ${ops.length} field(s)`, changes };
  }
  // The inverse restores exactly the fields the patch changes, diffed on the preview: the patch is
  // preconditioned on the same resourceVersion, so it lands as previewed. It travels with the
  // patch (an annotation beside the mark), so a retry after a lost reply can still revert.
  const inverse = JSON.stringify(
    jsonpatch
      .compare(plainJson(preview), plainJson(before))
      .filter((op) => ops.some((o) => under(op.path, o.path) || under(o.path, op.path))),
  );
  await kubeCall(`patch ${ref}`, () =>
    api.patch({ name, namespace, body: withInverse(body, spec.type, inverse) }, spec.type),
  );
  return {
    outcome: 'applied',
    message: `patched ${ref}: ${ops.length} field(s) (${spec.type})`,
    changes,
    inversePatch: inverse,
  };
}

/**
 * Applies a recorded inverse patch (a failed patch is reverted). Idempotent: reverting twice is a
 * no-op diff. On a retry (`attempt` > 1) with nothing left to revert, the earlier attempt's revert
 * landed and only its reply was lost: the changes are still reported, so the record says reverted.
 */
export async function revertPatch(
  kube: Kube,
  target: ExecuteActionInput['target'],
  inversePatch: string,
  attempt = 1,
): Promise<ResourceChange[]> {
  const ops = JSON.parse(inversePatch) as Operation[];
  if (!ops.length) return [];
  const api = kindApi(kube, target.kind);
  const current = await kubeCall(`read ${refString(target)}`, () => api.read(target.name, target.namespace));
  // Only revert fields that still differ; a JSON patch `remove` of an already-removed path would fail.
  const pending = ops.filter((op) => {
    const want = op.op === 'remove' ? undefined : (op as { value?: unknown }).value;
    let have: unknown;
    try {
      have = jsonpatch.getValueByPointer(current, op.path);
    } catch {
      have = undefined;
    }
    return JSON.stringify(have) !== JSON.stringify(want);
  });
  if (!pending.length) {
    if (attempt <= 1) return [];
    return describeChanges(refString(target), ops, current).map(({ oldValue: _now, ...c }) => c);
  }
  await kubeCall(`revert patch on ${refString(target)}`, () =>
    api.patch({ name: target.name, namespace: target.namespace, body: pending }, 'json'),
  );
  return describeChanges(refString(target), pending, current).map((c) => ({ ...c, field: c.field }));
}
