// The CEL rules of the generated CRDs and the zod checks they come from agree (./cel.ts declares
// both at once). Each rule has an example that breaks it (test/fixtures/policy-examples.ts), which
// parseHealingPolicySpec refuses naming the same field and message; the real API server is held to
// the same table in test/real/crd-validation.test.ts.
import { describe, expect, it } from 'vitest';
import { CLUSTER_NAME_MESSAGE } from '../../crds/cluster-config.js';
import { allCrds } from '../../crds/crd-gen.js';
import { formatErrors, parseHealingPolicySpec } from '../../crds/index.js';
import { normalizePolicy } from '../../domain/policy.js';
import { badExamples, goodExamples } from '../fixtures/policy-examples.js';

type Node = Record<string, unknown>;
interface FoundRule {
  path: string;
  rule: Node;
  /** Arrays from the root down to the rule's node (itself included) without maxItems. */
  unboundedLists: string[];
}

/** Every x-kubernetes-validations rule under `node`, with the lists above it. */
function rulesOf(
  node: Node,
  path: string,
  lists: { path: string; bounded: boolean }[],
  out: FoundRule[],
): FoundRule[] {
  const here =
    node.type === 'array' ? [...lists, { path, bounded: typeof node.maxItems === 'number' }] : lists;
  for (const rule of (node['x-kubernetes-validations'] ?? []) as Node[]) {
    out.push({ path, rule, unboundedLists: here.filter((l) => !l.bounded).map((l) => l.path) });
  }
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    rulesOf(child, `${path}.${name}`, here, out);
  }
  if (node.items) rulesOf(node.items as Node, `${path}[]`, here, out);
  return out;
}

const crdRules = allCrds().flatMap((crd) => {
  const version = ((crd.spec as Node).versions as Node[])[0]!;
  const root = (version.schema as Node).openAPIV3Schema as Node;
  return rulesOf(root, (crd.spec as { names: { kind: string } }).names.kind, [], []);
});

describe('CEL rules in the generated CRDs', () => {
  it('carry the rules users are refused by at kubectl apply', () => {
    const at = (path: string): string[] =>
      crdRules.filter((r) => r.path === path).map((r) => r.rule.rule as string);
    expect(at('HealingPolicy.spec.actions[].scaleAction')).toEqual(['self.minReplicas <= self.maxReplicas']);
    expect(at('HealingAction.spec.action.scaleAction')).toEqual(['self.minReplicas <= self.maxReplicas']);
    expect(at('HealingPolicy.spec.triggers')).toEqual(['self.all(t, self.exists_one(u, u.name == t.name))']);
    expect(at('HealingPolicy.spec').join('\n')).toContain(
      'duration(self.verification.stabilityPeriod) < duration((has(self.verification.timeout)',
    );
    expect(at('HealingPolicy.spec.actions[].patchAction').join('\n')).toContain('host(network|pid|ipc');
    expect(at('HealingPolicy.spec.actions[].patchAction').join('\n')).toContain("['/spec/template']");
    expect(at('HealingPolicy.spec.evaluationInterval')).toHaveLength(2);
    expect(crdRules.length).toBeGreaterThanOrEqual(20);
  });

  it.each(crdRules.map((r) => [`${r.path}: ${r.rule.message as string}`, r] as const))(
    '%s is well formed and cheap enough for the API server',
    (_name, { rule, unboundedLists }) => {
      expect(typeof rule.rule).toBe('string');
      expect(rule.message).toMatch(/\S/);
      if (rule.fieldPath !== undefined) expect(rule.fieldPath).toMatch(/^(\.[A-Za-z_]+)+$/);
      if (rule.reason !== undefined) {
        expect(['FieldValueInvalid', 'FieldValueRequired', 'FieldValueForbidden']).toContain(rule.reason);
      }
      // An unbounded list multiplies a rule's estimated cost past the API server's budget.
      expect(unboundedLists).toEqual([]);
    },
  );

  it('avoid what the API server cannot compile or estimates as unbounded (the CRD would be refused)', () => {
    // Found with apiextensions-apiserver v0.36.3's CRD validation: no cel.bind in its environment;
    // replace() and string(int) outputs are estimated as unbounded (as are filter().map() and
    // indexing a filtered list of objects). test/real/crd-validation.test.ts applies the CRDs for real.
    const banned = [/cel\.bind\(/, /\.replace\(/, /\bstring\(/];
    const offending = crdRules.flatMap(({ path, rule }) =>
      [rule.rule, rule.messageExpression]
        .filter((text): text is string => typeof text === 'string' && banned.some((b) => b.test(text)))
        .map((text) => `${path}: ${text}`),
    );
    expect(offending).toEqual([]);
  });

  it('each have an example that breaks them', () => {
    // The examples are HealingPolicies; a rule of another kind names the test that breaks it.
    const elsewhere = new Map([
      [CLUSTER_NAME_MESSAGE, 'test/real/kill-switch.test.ts: a KubeSkippyConfig named otherwise is a 422'],
    ]);
    const exercised = new Set([...badExamples().map((e) => e.rule), ...elsewhere.keys()]);
    const untested = [...new Set(crdRules.map((r) => r.rule.message as string))].filter(
      (m) => !exercised.has(m),
    );
    expect(untested).toEqual([]);
  });

  it('each example names a rule that exists', () => {
    const messages = new Set(crdRules.map((r) => r.rule.message as string));
    const stale = badExamples().flatMap((e) => (e.rule && !messages.has(e.rule) ? [e.name] : []));
    expect(stale).toEqual([]);
  });
});

describe('the zod schema agrees with the CEL rules', () => {
  it.each(badExamples().map((e) => [e.name, e] as const))(
    'refuses %s, naming the field',
    (_name, example) => {
      const result = parseHealingPolicySpec(example.spec);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(formatErrors(result.errors)).toContain(`${example.field}: ${example.message}`);
    },
  );

  it.each(goodExamples().map((e) => [e.name, e.spec] as const))(
    'accepts %s, and normalizes it cleanly',
    (_name, spec) => {
      const result = parseHealingPolicySpec(spec);
      if (!result.ok) throw new Error(formatErrors(result.errors));
      const policy = normalizePolicy(result.value, { namespace: 'ns', name: 'p' });
      expect(policy.warnings).toEqual([]);
      expect(policy.actions.map((a) => a.name)).toEqual(result.value.actions.map((a) => a.name));
    },
  );
});
