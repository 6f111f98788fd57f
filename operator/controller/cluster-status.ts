// KubeSkippyConfig status as the controller writes it: Ready=False naming the field for a config it
// cannot use, else Ready/Suspended and the budget used, from the cluster workflow's status query.
import type { Condition } from '../../crds/common.js';
import type { KubeSkippyConfigStatus } from '../../crds/cluster-config.js';
import type { ClusterView } from '../../domain/cluster-budget.js';
import { mergeConditions } from './policy-status.js';

export function invalidConfigStatus(
  previous: KubeSkippyConfigStatus | undefined,
  message: string,
  generation: number | undefined,
  nowIso: string,
): KubeSkippyConfigStatus {
  const ready: Condition = {
    type: 'Ready',
    status: 'False',
    reason: 'InvalidConfig',
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: mergeConditions(previous?.conditions, [ready], nowIso),
  };
}

export function clusterConfigStatus(input: {
  view: ClusterView;
  previous: KubeSkippyConfigStatus | undefined;
  generation: number | undefined;
  workflowId: string;
  nowIso: string;
}): KubeSkippyConfigStatus {
  const { view, generation } = input;
  const observed = generation !== undefined ? { observedGeneration: generation } : {};
  const { suspended, reason } = view.settings;
  const conditions: Condition[] = [
    {
      type: 'Ready',
      status: 'True',
      reason: 'ConfigInEffect',
      message: `the cluster workflow ${input.workflowId} has these settings`,
      ...observed,
    },
    {
      type: 'Suspended',
      status: suspended ? 'True' : 'False',
      reason: suspended ? 'Suspended' : 'Active',
      message: suspended
        ? `no policy starts an action${reason ? `: ${reason}` : ''}`
        : 'policies act within their own and the cluster budget',
      ...observed,
    },
  ];
  return {
    ...observed,
    conditions: mergeConditions(input.previous?.conditions, conditions, input.nowIso),
    budget: {
      actionsInLastHour: view.actionsInLastHour,
      runningActions: view.runningActions,
      ...(view.busiestNamespace !== undefined
        ? {
            busiestNamespace: view.busiestNamespace,
            busiestNamespaceActions: view.busiestNamespaceActions ?? 0,
          }
        : {}),
    },
    refusals: { ...view.refusals },
    workflowId: input.workflowId,
  };
}
