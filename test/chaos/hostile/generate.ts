// The hostile HealingPolicies: a fixed-seed fast-check sample of three kinds of spec, each wrapped
// in a HealingPolicy document of its own name.
//   raw      — anything of the schema's shape (./schema-arbitrary.ts); rules between fields may fail
//   aligned  — the same, with the blocks set to match the types and names made unique: mostly valid
//   mutated  — a valid spec (the fixtures' good examples, or an aligned one) broken 1–3 ways
//              (./mutations.ts)
import fc from 'fast-check';
import { API_VERSION } from '../../../crds/common.js';
import { goodExamples } from '../../fixtures/policy-examples.js';
import { mutationArb } from './mutations.js';
import { rawSpecArb, type Json } from './schema-arbitrary.js';

type Obj = { [key: string]: Json };
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The seed of every run unless KUBESKIPPY_CHAOS_SEED says otherwise (printed, so a CI run can be replayed). */
export const DEFAULT_SEED = 13_004;
export function chaosSeed(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.KUBESKIPPY_CHAOS_SEED;
  return v && /^-?\d+$/.test(v) ? Number(v) : DEFAULT_SEED;
}

export interface HostileDocument {
  name: string;
  /** raw, aligned, or the mutations applied, e.g. "mutated: bad regex + unknown field". */
  origin: string;
  doc: {
    apiVersion: string;
    kind: 'HealingPolicy';
    metadata: { name: string; namespace: string };
    spec: Json;
  };
}

const TRIGGER_BLOCKS = { metric: 'metricTrigger', event: 'eventTrigger', condition: 'conditionTrigger' };
const ACTION_BLOCKS: Record<string, Obj> = {
  scale: { direction: 'up', replicas: 1 },
  patch: { type: 'merge', patch: '{"spec": {"template": {"metadata": {"labels": {"healed": "yes"}}}}}' },
};

function alignTrigger(t: Json, i: number): Json {
  if (!isObj(t)) return t;
  const type = String(t.type) as keyof typeof TRIGGER_BLOCKS;
  const block = TRIGGER_BLOCKS[type];
  const out: Obj = { name: `t${i}-${String(t.name).slice(0, 40)}`, type };
  if (t.cooldownPeriod !== undefined) out.cooldownPeriod = t.cooldownPeriod;
  const fallback: Obj = {
    metricTrigger: { query: 'memory_usage_percent', threshold: 90 },
    eventTrigger: { reason: 'BackOff' },
    conditionTrigger: { type: 'Ready', status: 'False' },
  };
  const own = t[block];
  out[block] = isObj(own) ? withoutConflicts(own) : fallback[block]!;
  return out;
}

/** One of `for`/`duration`, one of reason/reasonPattern, a threshold a built-in can cross. */
function withoutConflicts(block: Obj): Obj {
  const out: Obj = { ...block };
  if (out.for !== undefined) delete out.duration;
  if (out.reason !== undefined) delete out.reasonPattern;
  if (typeof out.threshold === 'number') out.threshold = Math.abs(out.threshold) + 1;
  return out;
}

/** Label-selector requirements with values exactly when their operator takes them. */
function fixRequirements(v: Json): Json {
  if (Array.isArray(v)) return v.map(fixRequirements);
  if (!isObj(v)) return v;
  const out: Obj = Object.fromEntries(Object.entries(v).map(([k, c]) => [k, fixRequirements(c)]));
  if (typeof out.operator === 'string' && typeof out.key === 'string' && !('threshold' in out)) {
    if (out.operator === 'In' || out.operator === 'NotIn') out.values = ['web'];
    else delete out.values;
  }
  return out;
}

function alignAction(a: Json, i: number, triggerNames: string[]): Json {
  if (!isObj(a)) return a;
  const out: Obj = { ...a, name: `a${i}-${String(a.name).slice(0, 40)}` };
  const type = String(a.type);
  if (ACTION_BLOCKS[type])
    out[`${type}Action`] = {
      ...ACTION_BLOCKS[type]!,
      ...(type === 'scale' && isObj(a.scaleAction) ? a.scaleAction : {}),
    };
  const scale = out.scaleAction;
  if (isObj(scale) && typeof scale.minReplicas === 'number')
    out.scaleAction = { ...scale, minReplicas: 0, maxReplicas: Math.max(1, Number(scale.maxReplicas ?? 1)) };
  delete out.patchAction;
  if (type === 'patch') out.patchAction = ACTION_BLOCKS.patch!;
  if (Array.isArray(a.triggers)) out.triggers = triggerNames.slice(0, a.triggers.length);
  return out;
}

/** The raw spec with each trigger's and action's block matching its type and unique names. */
function align(spec: Json): Json {
  if (!isObj(spec)) return spec;
  const triggers = Array.isArray(spec.triggers) ? spec.triggers.map(alignTrigger) : spec.triggers;
  const names = Array.isArray(triggers) ? triggers.map((t) => String((t as Obj).name)) : [];
  const actions = Array.isArray(spec.actions)
    ? spec.actions.map((a, i) => alignAction(a, i, names))
    : spec.actions;
  const verification = isObj(spec.verification) ? { ...spec.verification } : undefined;
  if (verification) delete verification.stabilityPeriod;
  // The Go KubeSkippy's names for two verification settings: one of each pair, and only with a
  // verification that runs.
  const safetyRules = isObj(spec.safetyRules) ? { ...spec.safetyRules } : undefined;
  if (safetyRules) {
    delete safetyRules.requireHealthCheck;
    if (verification?.timeout !== undefined) delete safetyRules.healthCheckTimeout;
  }
  return fixRequirements({
    ...spec,
    triggers: triggers ?? [],
    actions: actions ?? [],
    ...(verification ? { verification } : {}),
    ...(safetyRules ? { safetyRules } : {}),
  });
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Policies may only ever see our own namespace: a generated `selector.namespaces` naming one that
 * could exist (kube-system, default, another test's) becomes ours; text that can never be a
 * namespace name stays, it is part of the hostility.
 */
function confine(spec: Json, namespace: string): Json {
  if (!isObj(spec) || !isObj(spec.selector) || !Array.isArray(spec.selector.namespaces)) return spec;
  const namespaces = spec.selector.namespaces.map((n) =>
    typeof n === 'string' && LABEL.test(n) && n.length <= 63 ? namespace : n,
  );
  return { ...spec, selector: { ...spec.selector, namespaces } };
}

/**
 * Under the API server's 3 MiB request limit: a larger body is refused before it is decoded, as
 * "Request entity too large", with no field to name. Past 1.5 MiB etcd refuses the object.
 */
const MAX_DOCUMENT_BYTES = 2_500_000;

function specArb(): fc.Arbitrary<{ origin: string; spec: Json }> {
  const good = goodExamples().map((e) => e.spec as unknown as Json);
  const valid = fc.oneof(fc.constantFrom(...good), rawSpecArb().map(align));
  const mutated = fc
    .tuple(valid, fc.array(mutationArb(), { minLength: 1, maxLength: 3 }))
    .map(([spec, ms]) => ({
      origin: `mutated: ${ms.map((m) => m.kind).join(' + ')}`,
      spec: ms.reduce((s, m) => m.apply(s), spec),
    }));
  return fc
    .oneof(
      { weight: 2, arbitrary: rawSpecArb().map((spec) => ({ origin: 'raw', spec })) },
      { weight: 3, arbitrary: rawSpecArb().map((spec) => ({ origin: 'aligned', spec: align(spec) })) },
      { weight: 5, arbitrary: mutated },
    )
    .filter(({ spec }) => Buffer.byteLength(JSON.stringify(spec)) <= MAX_DOCUMENT_BYTES);
}

/** `count` documents, the same for the same seed, named `<prefix>-<i>` in `namespace`. */
export function hostileDocuments(opts: {
  count: number;
  seed: number;
  namespace: string;
  prefix?: string;
}): HostileDocument[] {
  const specs = fc.sample(specArb(), { seed: opts.seed, numRuns: opts.count });
  return specs.map(({ origin, spec }, i) => {
    const name = `${opts.prefix ?? 'hostile'}-${i}`;
    return {
      name,
      origin,
      doc: {
        apiVersion: API_VERSION,
        kind: 'HealingPolicy',
        metadata: { name, namespace: opts.namespace },
        spec: confine(spec, opts.namespace),
      },
    };
  });
}
