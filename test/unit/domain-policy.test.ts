import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatErrors, parseHealingPolicySpec } from '../../crds/validate.js';
import { ladderFor, normalizePolicy } from '../../domain/policy.js';
import { ofType, policy } from '../fixtures/domain-builders.js';

const action = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'restart', ...extra });

describe('normalizePolicy', () => {
  it('converts durations to ms, and `duration` is an alias of `for`', () => {
    const p = policy({
      evaluationInterval: '5s',
      triggers: [
        {
          name: 'a',
          type: 'metric',
          metricTrigger: { query: 'cpu_usage_percent', threshold: 80, for: '1m30s' },
          cooldownPeriod: '2m',
        },
        {
          name: 'b',
          type: 'metric',
          metricTrigger: { query: 'restart_count', threshold: 3, duration: '20s', window: '10m' },
        },
        {
          name: 'c',
          type: 'condition',
          conditionTrigger: { type: 'Ready', status: 'False', duration: '15s' },
        },
        { name: 'd', type: 'event', eventTrigger: { reason: 'BackOff', window: '2m' } },
      ],
    });
    expect(p.evaluationIntervalMs).toBe(5_000);
    expect(p.triggers.map((t) => [t.name, t.forMs, t.cooldownMs])).toEqual([
      ['a', 90_000, 120_000],
      ['b', 20_000, 300_000],
      ['c', 15_000, 300_000],
      ['d', 0, 300_000],
    ]);
    expect(p.triggers[1]).toMatchObject({ type: 'metric', operator: '>', threshold: 3, windowMs: 600_000 });
    expect(p.triggers[3]).toMatchObject({ type: 'event', reason: 'BackOff', count: 1, windowMs: 120_000 });
    expect(p.verification).toMatchObject({ delayMs: 30_000, timeoutMs: 300_000, intervalMs: 10_000 });
    expect(p.safety).toMatchObject({
      approvalTimeoutMs: 3_600_000,
      holdDurationMs: 3_600_000,
      maxActionsPerHour: 5,
    });
  });

  it.each([
    ['rolling', 'rollout'],
    ['recreate', 'delete'],
    ['graceful', 'evict'],
    ['evict', 'evict'],
    ['delete', 'delete'],
    ['rollout', 'rollout'],
  ])('maps restart strategy %s to %s', (legacy, modern) => {
    const p = policy({
      actions: [action('r', { restartAction: { strategy: legacy, gracePeriodSeconds: 5 } })],
    });
    expect(ofType(p.actions[0], 'restart').restartAction).toEqual({
      strategy: modern,
      gracePeriodSeconds: 5,
    });
  });

  it('fills in missing restart and delete blocks with their defaults', () => {
    const p = policy({ actions: [action('r'), { name: 'd', type: 'delete' }] });
    expect(
      ofType(
        p.actions.find((a) => a.name === 'r'),
        'restart',
      ).restartAction,
    ).toEqual({
      strategy: 'evict',
      gracePeriodSeconds: 30,
    });
    expect(
      ofType(
        p.actions.find((a) => a.name === 'd'),
        'delete',
      ).deleteAction,
    ).toEqual({
      gracePeriodSeconds: 30,
      force: false,
      propagationPolicy: 'Background',
    });
  });

  it("keeps only the block of the action's own type, so the HealingAction's copy shows what runs", () => {
    const scale = { direction: 'up', replicas: 1, maxReplicas: 3 };
    const p = policy({ actions: [action('r', { scaleAction: scale, deleteAction: { force: true } })] });
    expect(p.actions).toEqual([
      {
        name: 'r',
        type: 'restart',
        priority: 50,
        requiresApproval: false,
        triggers: ['high-memory'],
        restartAction: { strategy: 'evict', gracePeriodSeconds: 30 },
      },
    ]);
    expect(p.warnings).toEqual([
      'spec.actions[0].scaleAction: ignored for an action of type restart',
      'spec.actions[0].deleteAction: ignored for an action of type restart',
    ]);
  });

  it("defaults namespaces to the policy's own and resources to Pods", () => {
    const p = policy({ selector: {} }, { namespace: 'team-a' });
    expect(p.selector).toEqual({ namespaces: ['team-a'], resources: [{ apiVersion: 'v1', kind: 'Pod' }] });
    const q = policy({ selector: { namespaces: ['x', 'y'], resources: [{ kind: 'Deployment' }] } });
    expect(q.selector.namespaces).toEqual(['x', 'y']);
    expect(q.selector.resources).toEqual([{ kind: 'Deployment' }]);
  });

  it('turns legacy patches into a merge patch document', () => {
    const p = policy({
      actions: [
        {
          name: 'p',
          type: 'patch',
          patchAction: {
            patches: [
              { path: ['spec', 'template', 'metadata', 'annotations', 'debug'], value: 'true' },
              // inside the default allow-list (/spec/template): the CRD refuses paths outside it
              { path: ['spec', 'template', 'spec', 'terminationGracePeriodSeconds'], value: '3' },
              { path: ['spec', 'template', 'metadata', 'labels', 'tier'], value: 'front end' },
            ],
          },
        },
      ],
    });
    const patch = ofType(p.actions[0], 'patch').patchAction;
    expect(patch?.type).toBe('merge');
    expect(patch?.allowedPaths).toEqual(['/spec/template']);
    expect(JSON.parse(patch?.patch ?? '')).toEqual({
      spec: {
        template: {
          metadata: { annotations: { debug: true }, labels: { tier: 'front end' } },
          spec: { terminationGracePeriodSeconds: 3 },
        },
      },
    });
  });

  it('keeps an explicit patch document and warns when legacy patches are also set', () => {
    const p = policy({
      actions: [
        {
          name: 'p',
          type: 'patch',
          patchAction: {
            type: 'strategic',
            patch: 'spec: {}',
            patches: [{ path: ['a'], value: '1' }],
            allowedPaths: ['/spec'],
          },
        },
      ],
    });
    expect(ofType(p.actions[0], 'patch').patchAction).toEqual({
      type: 'strategic',
      patch: 'spec: {}',
      allowedPaths: ['/spec'],
      target: 'owner',
    });
    expect(p.warnings.join()).toMatch(/patches is ignored/);
  });

  it('sorts actions by priority, higher first, ties keeping list order', () => {
    const p = policy({
      actions: [
        action('low', { priority: 10 }),
        action('tie-1'),
        action('high', { priority: 100 }),
        action('tie-2'),
      ],
    });
    expect(p.actions.map((a) => a.name)).toEqual(['high', 'tie-1', 'tie-2', 'low']);
  });

  it('maps triggers to their actions; an action without triggers answers all of them', () => {
    const p = policy({
      triggers: [
        { name: 't1', type: 'condition', conditionTrigger: { type: 'Ready', status: 'False' } },
        { name: 't2', type: 'condition', conditionTrigger: { type: 'OOMKilled' } },
        { name: 't3', type: 'condition', conditionTrigger: { type: 'Error' } },
      ],
      actions: [
        action('only-t1', { triggers: ['t1'], priority: 10 }),
        action('all', { priority: 20 }),
        action('t1-t2', { triggers: ['t1', 't2'] }),
      ],
    });
    expect(p.ladders).toEqual({ t1: ['t1-t2', 'all', 'only-t1'], t2: ['t1-t2', 'all'], t3: ['all'] });
    expect(ladderFor(p, 't1').map((a) => a.name)).toEqual(['t1-t2', 'all', 'only-t1']);
    expect(p.actions.find((a) => a.name === 'all')?.triggers).toEqual(['t1', 't2', 't3']);
  });

  it('is plain JSON', () => {
    const p = policy({ aiAnalysis: { enabled: true } }, { uid: 'u', generation: 4 });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(p).toMatchObject({ uid: 'u', generation: 4, name: 'heal', namespace: 'demo' });
  });
});

describe('demo policies', () => {
  const dir = join(import.meta.dirname, '../../demo/policies');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('there are demo policies to check', () => expect(files.length).toBeGreaterThanOrEqual(5));

  it.each(files)('%s parses and normalizes', (file) => {
    const doc = parseYaml(readFileSync(join(dir, file), 'utf8')) as {
      metadata: { name: string; namespace?: string };
      spec: unknown;
    };
    const parsed = parseHealingPolicySpec(doc.spec);
    if (!parsed.ok) throw new Error(formatErrors(parsed.errors));
    const p = normalizePolicy(parsed.value, {
      namespace: doc.metadata.namespace ?? 'default',
      name: doc.metadata.name,
    });
    expect(p.warnings).toEqual([]);
    for (const t of p.triggers) expect(p.ladders[t.name]?.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it("slide 5's policy normalizes to restart_count > 3, restart by eviction, monitor mode", () => {
    const doc = parseYaml(readFileSync(join(dir, 'slide-5-crashloop.yaml'), 'utf8')) as { spec: unknown };
    const parsed = parseHealingPolicySpec(doc.spec);
    if (!parsed.ok) throw new Error(formatErrors(parsed.errors));
    const p = normalizePolicy(parsed.value, { namespace: 'default', name: 'crashloop-pod-healing' });
    expect(p.mode).toBe('monitor');
    expect(p.triggers[0]).toMatchObject({
      type: 'metric',
      query: 'restart_count',
      operator: '>',
      threshold: 3,
      forMs: 0,
    });
    expect(p.actions).toHaveLength(1);
    expect(p.actions[0]).toMatchObject({
      type: 'restart',
      restartAction: { strategy: 'evict', gracePeriodSeconds: 30 },
    });
    expect(p.selector.namespaces).toEqual(['default']);
  });
});
