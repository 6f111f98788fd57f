import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { allCrds } from '../../crds/crd-gen.js';
import { renderCrdFiles } from '../../crds/render.js';
import { HealingAction, HealingPolicy, formatErrors, parseHealingPolicySpec } from '../../crds/index.js';

type Node = Record<string, unknown>;
const root = join(import.meta.dirname, '..', '..');

function policyDocs(): { file: string; doc: Node }[] {
  const dir = join(root, 'demo', 'policies');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => ({ file, doc: d.toJS() as Node })),
    );
}

/** Walks an OpenAPI schema and reports every rule of apiextensions/v1 structural schemas it breaks. */
function structuralProblems(node: Node, path: string, out: string[]): string[] {
  for (const banned of ['anyOf', 'oneOf', 'allOf', 'not', '$ref', 'const', '$schema']) {
    if (banned in node) out.push(`${path}: has ${banned}`);
  }
  if (
    !('type' in node) &&
    !node['x-kubernetes-int-or-string'] &&
    !node['x-kubernetes-preserve-unknown-fields']
  ) {
    out.push(`${path}: has no type`);
  }
  if (node.properties && 'additionalProperties' in node)
    out.push(`${path}: properties and additionalProperties`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties: false`);
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    // The root metadata is the one field that must have no description (or anything but its type).
    if (path === 'openAPIV3Schema' && name === 'metadata') {
      if (JSON.stringify(child) !== '{"type":"object"}')
        out.push(`${path}.metadata: more than {type: object}`);
      continue;
    }
    if (!child.description) out.push(`${path}.${name}: no description`);
    structuralProblems(child, `${path}.${name}`, out);
  }
  if (node.items) structuralProblems(node.items as Node, `${path}[]`, out);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    structuralProblems(node.additionalProperties as Node, `${path}{}`, out);
  }
  return out;
}

describe('generated CRDs', () => {
  it.each(allCrds().map((c) => [(c.metadata as Node).name as string, c]))(
    '%s is structural and every field has a description',
    (_name, crd) => {
      const version = ((crd.spec as Node).versions as Node[])[0]!;
      const schema = (version.schema as Node).openAPIV3Schema as Node;
      expect(structuralProblems(schema, 'openAPIV3Schema', [])).toEqual([]);
      expect(version.subresources).toEqual({ status: {} });
    },
  );

  it('names the group, version, short names and printer columns users rely on', () => {
    const [hp, ha] = allCrds().map((c) => c.spec as Node);
    expect((hp!.names as Node).shortNames).toEqual(['hp']);
    expect((ha!.names as Node).shortNames).toEqual(['ha']);
    const columns = (spec: Node): string[] =>
      (((spec.versions as Node[])[0]!.additionalPrinterColumns as Node[]) ?? []).map((c) => c.name as string);
    expect(columns(hp!)).toEqual([
      'Mode',
      'Paused',
      'Window',
      'Ready',
      'Actions',
      'Last Action',
      'Age',
      'Active Triggers',
      'Last Evaluated',
    ]);
    expect(columns(ha!)).toEqual(
      expect.arrayContaining(['Policy', 'Kind', 'Target', 'Action', 'Phase', 'Age']),
    );
  });

  it('matches the committed files under deploy/crds', () => {
    for (const { file, content } of renderCrdFiles()) {
      expect(readFileSync(join(root, file), 'utf8'), file).toBe(content);
    }
  });
});

describe('HealingPolicy spec parsing', () => {
  it.each(policyDocs().map((d) => [d.file, d.doc]))(
    'demo policy %s is a valid HealingPolicy',
    (_file, doc) => {
      const policy = HealingPolicy.safeParse(doc);
      expect(policy.success && policy.data.metadata.name).toBeTruthy();
      const spec = parseHealingPolicySpec(doc.spec);
      expect(spec.ok ? [] : formatErrors(spec.errors)).toEqual([]);
    },
  );

  it("applies slide 5's policy as written, with safe defaults", () => {
    const slide = policyDocs().find((d) => d.file === 'slide-5-crashloop.yaml')!;
    const spec = parseHealingPolicySpec(slide.doc.spec);
    if (!spec.ok) throw new Error(formatErrors(spec.errors));
    expect(spec.value.triggers[0]!.metricTrigger).toMatchObject({
      query: 'restart_count',
      threshold: 3,
      operator: '>',
    });
    expect(spec.value.triggers[0]!.cooldownPeriod).toBe('5m');
    expect(spec.value.actions[0]).toMatchObject({
      name: 'restart-crashed-pods',
      type: 'restart',
      priority: 50,
    });
    expect(spec.value.mode).toBe('monitor');
    expect(spec.value.evaluationInterval).toBe('30s');
    expect(spec.value.safetyRules).toMatchObject({ maxActionsPerHour: 5, approvalTimeout: '1h' });
  });

  const base = {
    selector: {},
    triggers: [
      { name: 't', type: 'metric', metricTrigger: { query: 'memory_usage_percent', threshold: 85 } },
    ],
    actions: [{ name: 'a', type: 'restart' }],
  };
  const cases: [string, (s: typeof base & Node) => unknown, string][] = [
    [
      'a metric trigger without its block',
      (s) => ({ ...s, triggers: [{ name: 't', type: 'metric' }] }),
      'spec.triggers[0].metricTrigger: required when type is "metric"',
    ],
    [
      'a threshold that is not a number',
      (s) => ({
        ...s,
        triggers: [{ name: 't', type: 'metric', metricTrigger: { query: 'x', threshold: '85' } }],
      }),
      'spec.triggers[0].metricTrigger.threshold',
    ],
    [
      'an unknown operator',
      (s) => ({
        ...s,
        triggers: [
          { name: 't', type: 'metric', metricTrigger: { query: 'x', threshold: 1, operator: '=>' } },
        ],
      }),
      'spec.triggers[0].metricTrigger.operator',
    ],
    [
      'a bad duration',
      (s) => ({ ...s, evaluationInterval: 'soon' }),
      'spec.evaluationInterval: must be a duration such as "30s", "5m" or "1h30m"',
    ],
    [
      'duplicate trigger names',
      (s) => ({ ...s, triggers: [s.triggers[0], s.triggers[0]] }),
      'spec.triggers[1].name: duplicate trigger name "t"',
    ],
    [
      'a scale action without scaleAction',
      (s) => ({ ...s, actions: [{ name: 'a', type: 'scale' }] }),
      'spec.actions[0].scaleAction: required when type is "scale"',
    ],
    [
      'minReplicas above maxReplicas',
      (s) => ({
        ...s,
        actions: [
          {
            name: 'a',
            type: 'scale',
            scaleAction: { direction: 'up', replicas: 1, minReplicas: 5, maxReplicas: 2 },
          },
        ],
      }),
      'spec.actions[0].scaleAction.minReplicas: must not exceed maxReplicas (2)',
    ],
    [
      'an event reason pattern that is not a regex',
      (s) => ({ ...s, triggers: [{ name: 't', type: 'event', eventTrigger: { reasonPattern: '(' } }] }),
      'spec.triggers[0].eventTrigger.reasonPattern: not a valid regular expression',
    ],
    [
      'a json patch that is not an array',
      (s) => ({
        ...s,
        actions: [{ name: 'a', type: 'patch', patchAction: { type: 'json', patch: '{"a":1}' } }],
      }),
      'spec.actions[0].patchAction.patch: a json patch must be a JSON array',
    ],
    [
      'a stability period the timeout can never cover',
      (s) => ({ ...s, verification: { timeout: '1m', stabilityPeriod: '2m' } }),
      'spec.verification.stabilityPeriod: must be shorter than the verification timeout (1m), or the action can never succeed',
    ],
    [
      'an action answering an unknown trigger',
      (s) => ({ ...s, actions: [{ name: 'a', type: 'restart', triggers: ['nope'] }] }),
      'spec.actions[0].triggers: unknown trigger "nope"',
    ],
    [
      'a minReadyReplicas that is neither count nor percent',
      (s) => ({ ...s, safetyRules: { minReadyReplicas: 'half' } }),
      'spec.safetyRules.minReadyReplicas',
    ],
    ['no triggers', (s) => ({ ...s, triggers: [] }), 'spec.triggers'],
  ];
  it.each(cases)('rejects %s, naming the field', (_name, mutate, expected) => {
    const result = parseHealingPolicySpec(mutate(base as typeof base & Node));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatErrors(result.errors)).toContain(expected);
  });

  it('accepts the base policy the cases start from', () => {
    expect(parseHealingPolicySpec(base).ok).toBe(true);
  });
});

describe('HealingAction', () => {
  it('parses a minimal action and defaults dryRun and approvalRequired to false', () => {
    const parsed = HealingAction.parse({
      apiVersion: 'kubeskippy.io/v1alpha1',
      kind: 'HealingAction',
      metadata: { name: 'memory-leak-healing-restart-abc', namespace: 'demo-apps' },
      spec: {
        policyRef: { name: 'memory-leak-healing', namespace: 'demo-apps' },
        targetResource: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo-apps', name: 'web-1', uid: 'u1' },
        action: { name: 'restart', type: 'restart' },
      },
      status: { phase: 'Pending' },
    });
    expect(parsed.spec).toMatchObject({ dryRun: false, approvalRequired: false });
    expect(parsed.spec.action.priority).toBe(50);
  });
});
