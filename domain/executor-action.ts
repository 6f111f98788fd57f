// What an executor carries out: the policy's action template with its defaults applied. The
// executors (activities/executors/) consume this; the healing-action workflow builds it here.
import type { NormalizedAction } from './policy-types.js';

export type RestartStrategy = 'evict' | 'delete' | 'rollout';

export type ExecutorAction =
  | { type: 'restart'; strategy: RestartStrategy; gracePeriodSeconds: number }
  | {
      type: 'scale';
      direction: 'up' | 'down' | 'absolute';
      replicas: number;
      minReplicas: number;
      maxReplicas: number;
    }
  | { type: 'patch'; patchType: 'strategic' | 'merge' | 'json'; document: string; allowedPaths: string[] }
  | {
      type: 'delete';
      gracePeriodSeconds: number;
      force: boolean;
      propagationPolicy: 'Orphan' | 'Background' | 'Foreground';
    };

export function toExecutorAction(a: NormalizedAction): ExecutorAction {
  switch (a.type) {
    case 'restart':
      return {
        type: 'restart',
        strategy: a.restartAction?.strategy ?? 'evict',
        gracePeriodSeconds: a.restartAction?.gracePeriodSeconds ?? 30,
      };
    case 'scale': {
      const s = a.scaleAction!;
      return {
        type: 'scale',
        direction: s.direction,
        replicas: s.replicas,
        minReplicas: s.minReplicas,
        maxReplicas: s.maxReplicas,
      };
    }
    case 'patch': {
      const p = a.patchAction!;
      return { type: 'patch', patchType: p.type, document: p.patch, allowedPaths: p.allowedPaths };
    }
    case 'delete': {
      const d = a.deleteAction;
      return {
        type: 'delete',
        gracePeriodSeconds: d?.gracePeriodSeconds ?? 30,
        force: d?.force ?? false,
        propagationPolicy: d?.propagationPolicy ?? 'Background',
      };
    }
  }
}
