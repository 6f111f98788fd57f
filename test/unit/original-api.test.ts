// Every field of the Go KubeSkippy's HealingPolicy API (its v1alpha1 types, as its sample policies
// use them) is either honoured here or named in a warning — never dropped in silence. The policy
// below is written in that API's shape; it goes through the generated CRD's structural schema (what
// the API server would prune), the zod schema, and normalizePolicy, and each field is followed to
// where it takes effect.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatErrors, parseHealingPolicySpec } from '../../crds/index.js';
import { normalizePolicy } from '../../domain/policy.js';
import { protectionOf } from '../../domain/selector.js';
import { prune, type Schema } from '../../sim/api/schema.js';
import { Driver, plannedOn, reasons } from '../fixtures/domain-run.js';
import { pod, policy, snapshot, withMemory } from '../fixtures/domain-builders.js';

const ORIGINAL_STYLE = `
mode: automatic
selector:
  namespaces: [default]
  resources:
    - apiVersion: v1
      kind: Pod
      excludeNames: ["canary-*"]
  labelSelector:
    matchLabels: {healing: enabled}
triggers:
  - name: memory
    type: metric
    metricTrigger: {query: memory_usage_percent, threshold: 85, operator: ">", duration: 3m}
    cooldownPeriod: 10m
  - name: backoff
    type: event
    eventTrigger: {reason: BackOff, type: Warning, count: 3, window: 5m}
  - name: not-ready
    type: condition
    conditionTrigger: {type: Ready, status: "False", duration: 2m}
actions:
  - name: restart-pod
    type: restart
    description: Restart the pod to recover
    restartAction: {strategy: rolling, maxConcurrent: 1, gracePeriodSeconds: 20}
    priority: 100
    requiresApproval: false
  - name: scale-out
    type: scale
    scaleAction: {direction: up, replicas: 2, minReplicas: 0, maxReplicas: 100, strategy: predictive}
    priority: 80
  - name: debug-config
    type: patch
    patchAction:
      type: merge
      patches:
        - path: [spec, template, metadata, labels, debug]
          value: '"true"'
    priority: 60
    requiresApproval: true
  - name: delete-pod
    type: delete
    deleteAction: {gracePeriodSeconds: 5, force: false, propagationPolicy: Foreground}
    priority: 10
safetyRules:
  maxActionsPerHour: 10
  requireHealthCheck: false
  healthCheckTimeout: 2m
  protectedResources:
    - apiVersion: v1
      kind: Pod
      excludeNames: ["system-critical-*"]
`;

const crdSchema = (): Schema => {
  const text = readFileSync(
    join(import.meta.dirname, '../../deploy/crds/healingpolicies.kubeskippy.io.yaml'),
    'utf8',
  );
  const crd = parseYaml(text) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
};

describe("the Go KubeSkippy's HealingPolicy fields", () => {
  const written = parseYaml(ORIGINAL_STYLE) as Record<string, unknown>;

  it('are all declared by the CRD: the API server prunes none of them', () => {
    const object = {
      apiVersion: 'kubeskippy.io/v1alpha1',
      kind: 'HealingPolicy',
      metadata: {},
      spec: structuredClone(written),
    };
    prune(object, crdSchema(), true);
    expect(object.spec).toEqual(written);
  });

  const parsed = parseHealingPolicySpec(written);
  if (!parsed.ok) throw new Error(formatErrors(parsed.errors));
  const p = normalizePolicy(parsed.value, { namespace: 'default', name: 'original' });
  const action = (name: string) => p.actions.find((a) => a.name === name)!;

  it('are honoured where they mean something', () => {
    expect(p.triggers.find((t) => t.name === 'memory')).toMatchObject({
      forMs: 180_000,
      cooldownMs: 600_000,
    });
    expect(p.triggers.find((t) => t.name === 'backoff')).toMatchObject({
      count: 3,
      windowMs: 300_000,
      eventType: 'Warning',
    });
    expect(p.triggers.find((t) => t.name === 'not-ready')).toMatchObject({ forMs: 120_000, status: 'False' });
    expect(p.actions.map((a) => a.name)).toEqual(['restart-pod', 'scale-out', 'debug-config', 'delete-pod']);
    expect(action('restart-pod')).toMatchObject({
      description: 'Restart the pod to recover',
      restartAction: { strategy: 'rollout', maxConcurrent: 1, gracePeriodSeconds: 20 },
    });
    expect(action('scale-out')).toMatchObject({
      scaleAction: { minReplicas: 0, maxReplicas: 100, replicas: 2 },
    });
    expect(action('debug-config')).toMatchObject({
      requiresApproval: true,
      patchAction: { type: 'merge', patch: '{"spec":{"template":{"metadata":{"labels":{"debug":"true"}}}}}' },
    });
    expect(action('delete-pod')).toMatchObject({
      deleteAction: { gracePeriodSeconds: 5, force: false, propagationPolicy: 'Foreground' },
    });
    expect(p.safety.maxActionsPerHour).toBe(10);
    // requireHealthCheck and healthCheckTimeout are verification.requireReady and verification.timeout.
    expect(p.verification).toMatchObject({ requireReady: false, timeoutMs: 120_000 });
  });

  it('protect what protectedResources[].excludeNames names, globs included', () => {
    const obj = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name });
    expect(protectionOf(obj('system-critical-db-0'), p.safety)).toEqual({
      protected: true,
      why: 'Pod default/system-critical-db-0 matches safetyRules.protectedResources[0]',
    });
    expect(protectionOf(obj('web-1'), p.safety)).toEqual({ protected: false });
  });

  it('say so, by name, where a field means nothing (scaleAction.strategy)', () => {
    expect(p.warnings).toEqual([
      'spec.actions[1].scaleAction.strategy: "predictive" is not used; a scale is applied in one step',
    ]);
  });
});

describe('restartAction.maxConcurrent', () => {
  const T0 = 10_000_000;
  const leaking = (name: string) => pod(name, withMemory(0.9));
  const run = (restartAction: Record<string, unknown>) =>
    new Driver(
      policy({
        triggers: [
          {
            name: 'high-memory',
            type: 'metric',
            metricTrigger: { query: 'memory_usage_percent', threshold: 85 },
          },
        ],
        actions: [{ name: 'restart', type: 'restart', restartAction }],
        safetyRules: { maxConcurrentActions: 5, minReadyReplicas: 0 },
      }),
    ).tick(snapshot(T0, ['a', 'b', 'c'].map(leaking)));

  it('bounds the open restarts of that action, below the policy-wide limit', () => {
    const r = run({ maxConcurrent: 1 });
    expect(plannedOn(r)).toEqual(['restart@demo/Pod/a']);
    expect(reasons(r)).toEqual(['ConcurrencyLimit', 'ConcurrencyLimit']);
    expect(r.refusals[0]?.message).toBe(
      '1 restarts by action restart are open (restartAction.maxConcurrent 1)',
    );
  });

  it('leaves only maxConcurrentActions when unset', () => {
    expect(plannedOn(run({}))).toHaveLength(3);
  });
});
