// The KubeSkippyConfig schema (crds/cluster-config.ts) as the controller parses it and as the CRD
// generator renders it: only the name `cluster` is read, budget bounds are positive integers, the
// CRD is cluster-scoped with the name rule on its root, and the status the controller writes.
import { describe, expect, it } from 'vitest';
import { clusterConfigCrd } from '../../crds/crd-gen.js';
import { CLUSTER_NAME_MESSAGE, parseClusterConfig } from '../../crds/cluster-config.js';
import { clusterView, emptyLedger, OPEN_CLUSTER } from '../../domain/cluster-budget.js';
import { clusterConfigStatus, invalidConfigStatus } from '../../operator/controller/cluster-status.js';

describe('parseClusterConfig', () => {
  it.each([
    { name: 'cluster', spec: undefined, ok: true },
    { name: 'cluster', spec: { suspended: true, reason: 'upgrade' }, ok: true },
    { name: 'cluster', spec: { clusterBudget: { maxActionsPerHour: 10, maxPerNamespace: 2 } }, ok: true },
    { name: 'other', spec: {}, error: `metadata.name: ${CLUSTER_NAME_MESSAGE}` },
    {
      name: 'cluster',
      spec: { clusterBudget: { maxConcurrentActions: 0 } },
      error: 'spec.clusterBudget.maxConcurrentActions:',
    },
    {
      name: 'cluster',
      spec: { clusterBudget: { maxActionsPerHour: 1.5 } },
      error: 'spec.clusterBudget.maxActionsPerHour:',
    },
    { name: 'cluster', spec: { suspended: 'yes' }, error: 'spec.suspended:' },
  ])('$name $spec', ({ name, spec, ok, error }) => {
    const parsed = parseClusterConfig(name, spec);
    if (ok)
      return void expect(parsed).toMatchObject({ ok: true, value: { suspended: spec?.suspended ?? false } });
    expect(parsed.ok).toBe(false);
    expect((parsed as { message: string }).message).toContain(error);
  });
});

describe('the KubeSkippyConfig CRD', () => {
  const crd = clusterConfigCrd() as { spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  it('is cluster-scoped, refuses any name but cluster at admission, and shows the switch in kubectl get', () => {
    expect(crd.spec.scope).toBe('Cluster');
    const version = crd.spec.versions[0];
    expect(version.schema.openAPIV3Schema['x-kubernetes-validations']).toEqual([
      { rule: "self.metadata.name == 'cluster'", message: CLUSTER_NAME_MESSAGE },
    ]);
    expect(version.schema.openAPIV3Schema.required).toBeUndefined();
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Suspended', 'Reason', 'Age']),
    );
  });
});

describe('KubeSkippyConfig status', () => {
  const now = '2026-12-03T14:00:00.000Z';
  it('says Suspended=True with the reason, and the budget used', () => {
    const view = clusterView(emptyLedger(), { ...OPEN_CLUSTER, suspended: true, reason: 'upgrade' }, 0);
    const status = clusterConfigStatus({
      view,
      previous: undefined,
      generation: 3,
      workflowId: 'w',
      nowIso: now,
    });
    expect(status.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({
      status: 'True',
      reason: 'Suspended',
      message: 'no policy starts an action: upgrade',
      observedGeneration: 3,
    });
    expect(status.budget).toEqual({ actionsInLastHour: 0, runningActions: 0 });
  });
  it('Ready=False names the field of a config the operator cannot use', () => {
    const status = invalidConfigStatus(undefined, 'metadata.name: wrong', 1, now);
    expect(status.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        reason: 'InvalidConfig',
        message: 'metadata.name: wrong',
      }),
    ]);
  });
});
