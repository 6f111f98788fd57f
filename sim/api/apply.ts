// Server-side apply, approximated. The applied configuration is merged into the live object
// (strategic rules for built-ins, merge-patch rules for custom resources); fields this manager
// applied before and omits now are removed, tracked through a simplified managedFields entry
// (`fieldsV1` holds only map keys: lists count as owned whole). Not modelled: conflicts between
// managers (so `force` changes nothing), list-map item ownership.
import { parse as parseYaml } from 'yaml';
import type { KObject } from '../contract.js';
import { badRequest } from './errors.js';
import { mergePatch } from './patch.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { strategicMerge } from './strategic-merge.js';
import { isPlainObject, isoSeconds } from './util.js';

type Obj = Record<string, unknown>;
type Fields = { [k: string]: Fields };
interface ManagedEntry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Fields;
  subresource?: string;
}

export function parseApplyBody(body: string): KObject {
  let obj: unknown;
  try {
    obj = parseYaml(body);
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (!isPlainObject(obj)) throw badRequest('apply patch must be an object');
  return obj as KObject;
}

/** The field set an applied config owns: `{"f:spec":{"f:replicas":{}}}`. */
function fieldsOf(v: unknown): Fields {
  const out: Fields = {};
  if (!isPlainObject(v)) return out;
  for (const [k, child] of Object.entries(v)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    out[`f:${k}`] = isPlainObject(child) ? fieldsOf(child) : {};
  }
  return out;
}

/** A merge patch deleting what `before` owned and `applied` no longer sets. */
function removals(before: Fields, applied: unknown): Obj {
  const patch: Obj = {};
  for (const [fk, sub] of Object.entries(before)) {
    const k = fk.slice(2);
    const now = isPlainObject(applied) ? applied[k] : undefined;
    if (now === undefined) patch[k] = null;
    else if (isPlainObject(now) && Object.keys(sub).length) {
      const nested = removals(sub, now);
      if (Object.keys(nested).length) patch[k] = nested;
    }
  }
  return patch;
}

/** Returns the object after applying `applied` for `manager` to `live` (undefined = create). */
export function serverSideApply(
  info: ResourceInfo,
  live: KObject | undefined,
  applied: KObject,
  manager: string,
  nowMs: number,
  subresource?: string,
): KObject {
  const entry: ManagedEntry = {
    manager,
    operation: 'Apply',
    apiVersion: apiVersionOf(info),
    time: isoSeconds(nowMs),
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsOf(applied),
    ...(subresource ? { subresource } : {}),
  };
  const { managedFields: _ignored, ...appliedMeta } = applied.metadata ?? {};
  const config = { ...applied, metadata: appliedMeta } as KObject;
  if (!live) return { ...config, metadata: { ...config.metadata, managedFields: [entry] } };
  const managed = ((live.metadata.managedFields as ManagedEntry[] | undefined) ?? []).filter(
    (m) =>
      !(m.manager === manager && m.operation === 'Apply' && (m.subresource ?? '') === (subresource ?? '')),
  );
  const previous = ((live.metadata.managedFields as ManagedEntry[] | undefined) ?? []).find(
    (m) => m.manager === manager && m.operation === 'Apply' && (m.subresource ?? '') === (subresource ?? ''),
  );
  let next = live;
  if (previous) next = mergePatch(next, removals(previous.fieldsV1, config)) as KObject;
  next = (info.strategicMerge ? strategicMerge(next, config) : mergePatch(next, config)) as KObject;
  next.metadata.managedFields = [...managed, entry];
  return next;
}
