// Before the hostile documents: the operator process is up when it has turned one valid policy
// Ready=True. Its memory is measured from there, after the workflow bundle and the first watches.
import type { Kube } from '../../../activities/kube/clients.js';
import { API_VERSION } from '../../../crds/common.js';
import type { CliOperator } from '../../support/cli-operator.js';
import { eventually } from '../../support/engine-harness.js';
import { baseSpec } from '../../fixtures/policy-examples.js';
import { readyOf, type StoredPolicy } from './outcomes.js';

export async function waitForOperator(opts: {
  namespace: string;
  kube: Kube;
  operator: CliOperator;
  timeoutMs?: number;
}): Promise<void> {
  const { kube, namespace } = opts;
  const where = { group: 'kubeskippy.io', version: 'v1alpha1', namespace, plural: 'healingpolicies' };
  await kube.custom.createNamespacedCustomObject({
    ...where,
    body: { apiVersion: API_VERSION, kind: 'HealingPolicy', metadata: { name: 'canary' }, spec: baseSpec() },
  });
  await eventually(
    () =>
      `the operator to turn the canary policy Ready=True; it printed: ${opts.operator.output().slice(-2000)}`,
    async () =>
      readyOf((await kube.custom.getNamespacedCustomObject({ ...where, name: 'canary' })) as StoredPolicy)
        ?.status === 'True',
    opts.timeoutMs ?? 90_000,
    500,
  );
}
