// Per-type behaviour of an action, in one table: what it does in words (for people and the model),
// whether it changes the pod's owning workload, which owner kinds it supports, how many ready pods
// it takes away, and the executor input it becomes. The table is keyed by every action type, so a
// new type in the CRD fails to compile until it has an entry here.
import type { ExecutorAction } from './executor-action.js';
import type { NormalizedAction } from './policy-types.js';

export type ActionType = NormalizedAction['type'];

interface ActionTypeBehaviour {
  describe(a: NormalizedAction): string;
  /** Changes the owning workload (scale, rollout, patch of the template) rather than the pod. */
  actsOnOwner(a: NormalizedAction): boolean;
  /** Owner kinds it supports when it acts on the owner; undefined: any. */
  ownerKinds?: readonly string[];
  /** Ready pods it takes away: 1 for the firing pod (when ready), the scale-down, or 0. */
  readyLoss(a: NormalizedAction, podReady: boolean, scale?: { from: number; to: number }): number;
  toExecutor(a: NormalizedAction): ExecutorAction;
}

const strategyOf = (a: NormalizedAction): 'evict' | 'delete' | 'rollout' =>
  a.restartAction?.strategy ?? 'evict';

export const ACTION_TYPES: Record<ActionType, ActionTypeBehaviour> = {
  restart: {
    describe: (a) => {
      const s = strategyOf(a);
      return s === 'rollout'
        ? 'rolling restart of the owning workload (new pods, one at a time)'
        : s === 'delete'
          ? 'delete the pod so its controller recreates it'
          : 'evict the pod (honours PodDisruptionBudgets) so its controller recreates it';
    },
    actsOnOwner: (a) => a.restartAction?.strategy === 'rollout',
    ownerKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
    // A rollout replaces pods one at a time and keeps the workload's own availability rules.
    readyLoss: (a, podReady) => (a.restartAction?.strategy !== 'rollout' && podReady ? 1 : 0),
    toExecutor: (a) => ({
      type: 'restart',
      strategy: strategyOf(a),
      gracePeriodSeconds: a.restartAction?.gracePeriodSeconds ?? 30,
    }),
  },
  scale: {
    describe: (a) => {
      const s = a.scaleAction;
      return s
        ? `scale the owning workload ${s.direction} by ${s.replicas} (within ${s.minReplicas}..${s.maxReplicas} replicas)`
        : 'scale the owning workload';
    },
    actsOnOwner: () => true,
    ownerKinds: ['Deployment', 'StatefulSet', 'ReplicaSet'],
    readyLoss: (_a, _ready, scale) => (scale ? Math.max(0, scale.from - scale.to) : 0),
    toExecutor: (a) => {
      const s = a.scaleAction!;
      return {
        type: 'scale',
        direction: s.direction,
        replicas: s.replicas,
        minReplicas: s.minReplicas,
        maxReplicas: s.maxReplicas,
      };
    },
  },
  patch: {
    describe: (a) =>
      `patch the ${a.patchAction?.target === 'self' ? 'pod' : 'owning workload'} (paths: ${(a.patchAction?.allowedPaths ?? []).join(', ') || 'any'}), reverted if it does not heal`,
    actsOnOwner: (a) => (a.patchAction?.target ?? 'owner') === 'owner',
    readyLoss: () => 0,
    toExecutor: (a) => {
      const p = a.patchAction!;
      return { type: 'patch', patchType: p.type, document: p.patch, allowedPaths: p.allowedPaths };
    },
  },
  delete: {
    describe: () => 'delete the pod',
    actsOnOwner: () => false,
    readyLoss: (_a, podReady) => (podReady ? 1 : 0),
    toExecutor: (a) => ({
      type: 'delete',
      gracePeriodSeconds: a.deleteAction?.gracePeriodSeconds ?? 30,
      force: a.deleteAction?.force ?? false,
      propagationPolicy: a.deleteAction?.propagationPolicy ?? 'Background',
    }),
  },
};
