// Ways to break a valid HealingPolicy spec, each an arbitrary of a pure function Json → Json, so
// fast-check draws the mutation, where it strikes and with what. A node is picked by index among
// every node of the spec (objects, lists and leaves), so any field can be hit.
import fc from 'fast-check';
import type { Json } from './schema-arbitrary.js';

type Path = (string | number)[];
type Obj = { [key: string]: Json };
export interface Mutation {
  kind: string;
  apply: (spec: Json) => Json;
}

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every node's path, parents before children. */
function paths(v: Json, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((c, i) => out.push(...paths(c, [...at, i])));
  else if (isObj(v)) for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...at, k]));
  return out;
}

const getAt = (v: Json, p: Path): Json | undefined =>
  p.reduce<Json | undefined>((n, k) => (n === undefined || n === null ? undefined : (n as Obj)[k]), v);

/** A copy of `v` with the node at `p` replaced (or removed, for `undefined`). */
function setAt(v: Json, p: Path, value: Json | undefined): Json | undefined {
  if (p.length === 0) return value;
  const [head, ...rest] = p;
  if (Array.isArray(v)) {
    const copy = [...v];
    const next = setAt(copy[head as number] ?? null, rest, value);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy: Obj = isObj(v) ? { ...v } : {};
  const next = setAt(copy[head!] ?? null, rest, value);
  if (next === undefined) delete copy[head!];
  else copy[head!] = next;
  return copy;
}

const at = (spec: Json, pick: number, keep: (p: Path, node: Json) => boolean): Path | undefined => {
  const all = paths(spec).filter((p) => keep(p, getAt(spec, p)!));
  return all.length ? all[pick % all.length] : undefined;
};
const replace = (spec: Json, p: Path | undefined, value: Json | undefined): Json =>
  p ? (setAt(spec, p, value) ?? null) : spec;

const nested = (depth: number, list: boolean): Json => {
  let v: Json = 'bottom';
  for (let i = 0; i < depth; i++) v = list ? [v] : { a: v };
  return v;
};

const OTHER_TYPES: Json[] = ['a string', 42, -1.5, true, [], {}, ['x'], { x: 1 }];
const ODD_NUMBERS = [-1, -5, 0, 1.5, 1e20, -1e20, 2 ** 53 + 2, 1e308, 0.0001, -0.5];
const UNICODE = [
  'héalth-✓',
  '💥🔥🩺',
  'עברית-RTL\u202e',
  'zero\u200bwidth',
  'nul\u0000byte',
  'e\u0301\u0301\u0301combining',
  '日本語のトリガー',
  '\ud83d\ude00'.repeat(40),
];
const BAD_DURATIONS = [
  '5 minutes',
  '-1s',
  '1d',
  '',
  '1e3s',
  '30',
  's',
  '9999999999999999999h',
  '1.5.5m',
  '0s',
  '0ms',
  '00.0h',
  '1h'.repeat(20),
  '٣s',
];
// The last one is quoted whole in the error: 800 KB of spec and as much again in status would pass
// etcd's object limit.
const BAD_REGEXES = [
  '(',
  '[a-',
  '(?<',
  '\\',
  '*',
  'a{2,1}',
  '(?P<x>a)',
  '[[:alpha:]',
  '(a+)+$',
  '('.padEnd(800_000, 'x'),
];
const BAD_PATCHES: { type: string; patch: string }[] = [
  { type: 'json', patch: '[{"op": "add",' },
  { type: 'json', patch: '[not json]' },
  { type: 'json', patch: '{"op": "add"}' },
  { type: 'json', patch: ' [1, 2, 3' },
  { type: 'strategic', patch: '{' },
  { type: 'strategic', patch: '- a\n- list' },
  { type: 'merge', patch: 'just a string' },
  { type: 'merge', patch: 'key: [unclosed' },
  {
    type: 'strategic',
    patch: 'a: &a [x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  },
  { type: 'merge', patch: '\u0000' },
  { type: 'json', patch: '[{"op": "replace", "path": "/spec/replicas", "value": 50}]' },
  { type: 'json', patch: '[{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true}]' },
  { type: 'merge', patch: '{"spec": {"template": {"spec": {"serviceAccountName": "admin"}}}}' },
];
const DURATION_FIELDS = new Set([
  'for',
  'duration',
  'window',
  'cooldownPeriod',
  'delay',
  'timeout',
  'interval',
  'stabilityPeriod',
  'approvalTimeout',
  'holdDuration',
  'evaluationInterval',
]);

const listOf = (spec: Json, key: 'triggers' | 'actions'): Json[] =>
  isObj(spec) && Array.isArray(spec[key]) ? spec[key] : [];

/** The mutations, each with its parameters drawn by fast-check. */
export function mutationArb(): fc.Arbitrary<Mutation> {
  const pick = fc.nat();
  const m = (kind: string, apply: (spec: Json) => Json): Mutation => ({ kind, apply });
  return fc.oneof(
    fc.tuple(pick, fc.constantFrom(...OTHER_TYPES)).map(([i, v]) =>
      m('wrong type', (s) =>
        replace(
          s,
          at(s, i, (p, n) => p.length > 0 && typeof n !== typeof v),
          v,
        ),
      ),
    ),
    pick.map((i) =>
      m('missing field', (s) =>
        replace(
          s,
          at(s, i, (p) => typeof p.at(-1) === 'string'),
          undefined,
        ),
      ),
    ),
    fc.tuple(pick, fc.constantFrom(...ODD_NUMBERS)).map(([i, v]) =>
      m('out-of-range number', (s) =>
        replace(
          s,
          at(s, i, (_p, n) => typeof n === 'number'),
          v,
        ),
      ),
    ),
    fc
      .tuple(pick, fc.constantFrom(2_000, 70_000, 300_000), fc.constantFrom('x', 'é', '💥'))
      .map(([i, size, unit]) =>
        m('huge string', (s) =>
          replace(
            s,
            at(s, i, (_p, n) => typeof n === 'string'),
            unit.repeat(size / unit.length),
          ),
        ),
      ),
    fc
      .tuple(
        fc.constantFrom('triggers', 'actions') as fc.Arbitrary<'triggers' | 'actions'>,
        fc.constantFrom(17, 100, 400),
      )
      .map(([key, n]) =>
        m('huge list', (s) => {
          const items = listOf(s, key);
          if (!items.length) return s;
          const many = Array.from({ length: n }, (_, j) => {
            const item = items[j % items.length]!;
            return isObj(item) ? { ...item, name: `${String(item.name)}-${j}` } : item;
          });
          return replace(s, [key], many);
        }),
      ),
    fc.constantFrom(1_000, 20_000).map((n) =>
      m('huge list', (s) =>
        replace(s, ['safetyRules'], {
          ...(isObj(s) && isObj(s.safetyRules) ? s.safetyRules : {}),
          protectedNamespaces: Array.from({ length: n }, (_, j) => `ns-${j}`),
        }),
      ),
    ),
    fc.tuple(pick, fc.constantFrom(...UNICODE)).map(([i, v]) =>
      m('unicode', (s) =>
        replace(
          s,
          at(s, i, (_p, n) => typeof n === 'string'),
          v,
        ),
      ),
    ),
    fc.tuple(pick, fc.constantFrom(30, 200, 600), fc.boolean()).map(([i, depth, list]) =>
      m('deep nesting', (s) =>
        replace(
          s,
          at(s, i, (p) => p.length > 0),
          nested(depth, list),
        ),
      ),
    ),
    fc
      .tuple(pick, fc.constantFrom('treshold', 'colour', 'excludeLabels', 'maxConcurrent', 'x-extra', '💥'))
      .map(([i, key]) =>
        m('unknown field', (s) => {
          const p = at(s, i, (_p, n) => isObj(n));
          return p ? replace(s, [...p, key], 'surprise') : s;
        }),
      ),
    fc
      .tuple(fc.constantFrom('triggers', 'actions') as fc.Arbitrary<'triggers' | 'actions'>, pick)
      .map(([key, i]) =>
        m('duplicate names', (s) => {
          const items = listOf(s, key);
          return items.length ? replace(s, [key], [...items, items[i % items.length]!]) : s;
        }),
      ),
    fc.tuple(pick, fc.constantFrom(...BAD_DURATIONS)).map(([i, v]) =>
      m('bad duration', (s) =>
        replace(
          s,
          at(s, i, (p) => DURATION_FIELDS.has(String(p.at(-1)))),
          v,
        ),
      ),
    ),
    fc.tuple(pick, fc.constantFrom(...BAD_REGEXES)).map(([i, pattern]) =>
      m('bad regex', (s) => {
        const n = listOf(s, 'triggers').length;
        return n
          ? replace(s, ['triggers', i % n], {
              name: `regex-${i % n}`,
              type: 'event',
              eventTrigger: { reasonPattern: pattern },
            })
          : s;
      }),
    ),
    fc.tuple(pick, fc.constantFrom(...BAD_PATCHES)).map(([i, patchAction]) =>
      m('bad patch', (s) => {
        const n = listOf(s, 'actions').length;
        return n ? replace(s, ['actions', i % n], { name: `patch-${i % n}`, type: 'patch', patchAction }) : s;
      }),
    ),
    fc
      .tuple(
        pick,
        fc.constantFrom('memory_usage_percent', 'restart_count', 'cpu_usage_millicores'),
        fc.constantFrom<[string, number]>(['>', -5], ['>=', 0], ['<', 0], ['<', -1], ['>', 0], ['<=', -0.5]),
      )
      .map(([i, query, [operator, threshold]]) =>
        m('negative threshold', (s) => {
          const n = listOf(s, 'triggers').length;
          return n
            ? replace(s, ['triggers', i % n], {
                name: `neg-${i % n}`,
                type: 'metric',
                metricTrigger: { query, operator, threshold },
              })
            : s;
        }),
      ),
    pick.map((i) =>
      m('null value', (s) =>
        replace(
          s,
          at(s, i, (p) => p.length > 0),
          null,
        ),
      ),
    ),
    fc.tuple(pick, fc.constantFrom<Json>('', [], {})).map(([i, v]) =>
      m('empty value', (s) =>
        replace(
          s,
          at(s, i, (p) => p.length > 0),
          v,
        ),
      ),
    ),
  );
}
