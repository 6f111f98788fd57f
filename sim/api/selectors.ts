// Label and field selectors in the Kubernetes string syntax, plus the structured LabelSelector
// (matchLabels / matchExpressions) that workloads and PodDisruptionBudgets carry.
import { badRequest } from './errors.js';

type Op = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
export interface Requirement {
  key: string;
  op: Op;
  values: string[];
}
export type Labels = Record<string, string> | undefined;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

/** Splits on commas that are not inside a `( ... )` value set. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
  return key;
}

function parseRequirement(part: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    const values = set[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { key: checkKey(set[1]!, part), op: set[2] as Op, values };
  }
  if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), part), op: '!exists', values: [] };
  const cmp = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part);
  if (cmp) {
    const sym = cmp[2]!;
    const op: Op = sym === '!=' ? '!=' : sym === '>' ? 'gt' : sym === '<' ? 'lt' : '=';
    return { key: checkKey(cmp[1]!, part), op, values: [cmp[3]!.trim()] };
  }
  if (/^\S+$/.test(part)) return { key: checkKey(part, part), op: 'exists', values: [] };
  throw badRequest(`unable to parse requirement: found '${part}', expected: identifier`);
}

/** Parses "app=web,tier!=db,env in (a,b),!legacy". Throws 400 on bad syntax. */
export function parseLabelSelector(selector: string | undefined): Requirement[] {
  if (!selector) return [];
  return splitTopLevel(selector).map(parseRequirement);
}

export function matchesRequirement(req: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels![req.key] : undefined;
  switch (req.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && value === req.values[0];
    case '!=':
      return !has || value !== req.values[0];
    case 'in':
      return has && req.values.includes(value!);
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'gt':
    case 'lt': {
      const [a, b] = [Number(value), Number(req.values[0])];
      if (!has || Number.isNaN(a) || Number.isNaN(b)) return false;
      return req.op === 'gt' ? a > b : a < b;
    }
  }
}

export const matchesLabels = (reqs: Requirement[], labels: Labels): boolean =>
  reqs.every((r) => matchesRequirement(r, labels));

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const OPERATORS: Record<string, Op> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' };

export function requirementsOf(sel: LabelSelector): Requirement[] {
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({
    key,
    op: '=',
    values: [v],
  }));
  for (const e of sel.matchExpressions ?? []) {
    const op = OPERATORS[e.operator];
    if (!op) throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

/**
 * A structured selector. As in apps/v1 and policy/v1, an empty selector `{}` selects everything
 * and a missing one selects nothing.
 */
export function selectorMatches(sel: LabelSelector | undefined | null, labels: Labels): boolean {
  if (!sel) return false;
  return matchesLabels(requirementsOf(sel), labels);
}

/** The string form Scale.status.selector and `kubectl describe` use. */
export function selectorToString(sel: LabelSelector | undefined): string {
  if (!sel) return '';
  return requirementsOf(sel)
    .map((r) => {
      if (r.op === 'exists') return r.key;
      if (r.op === '!exists') return `!${r.key}`;
      if (r.op === 'in' || r.op === 'notin') return `${r.key} ${r.op} (${r.values.join(',')})`;
      return `${r.key}${r.op === '!=' ? '!=' : '='}${r.values[0]}`;
    })
    .join(',');
}
