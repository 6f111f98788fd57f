// What an executor carries out: the policy's action template with its defaults applied (per type,
// in domain/action-types.ts). The executors (activities/executors/) consume it.
import { ACTION_TYPES } from './action-types.js';
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
  return ACTION_TYPES[a.type].toExecutor(a);
}
