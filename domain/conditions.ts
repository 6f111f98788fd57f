// Condition triggers: pod conditions (Ready, ContainersReady, ...) with their status honoured, and
// container states (CrashLoopBackOff, OOMKilled, ImagePullBackOff, ...) read from the containers.

import type { ConditionTriggerSpec } from './policy-types.js';
import type { Sample } from './samples.js';
import type { ContainerSnapshot, PodSnapshot } from './snapshot.js';

/** Container states a condition trigger can name, beside pod conditions. */
export const CONTAINER_STATES = [
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'OOMKilled',
  'Error',
];

function containerIn(c: ContainerSnapshot, state: string): boolean {
  // Waiting reasons and the current terminated reason describe now. OOMKilled and Error are also
  // read from lastState: a container that was OOM-killed has usually been restarted already and is
  // running again by the next snapshot. That reading stays true until the container terminates for
  // another reason or the pod is replaced — which is what the remediations do.
  if (c.stateReason === state && c.state !== 'running') return true;
  return (state === 'OOMKilled' || state === 'Error') && c.lastTerminationReason === state;
}

/** A condition trigger's texts that do not depend on the pod (built once per trigger by callers
 *  that sample many pods; see triggerTexts). */
export interface ConditionTexts {
  /** `${conditionType}=${status}` */
  want: string;
  /** observed and reason when no container is in the state */
  noContainer: { observed: string; reason: string };
  /** observed and reason for a reported pod condition, by its status */
  byStatus: Record<string, { observed: string; reason: string } | undefined>;
}

export function conditionTexts(trigger: ConditionTriggerSpec): ConditionTexts {
  const type = trigger.conditionType;
  const byStatus: ConditionTexts['byStatus'] = {};
  for (const status of ['True', 'False', 'Unknown'])
    byStatus[status] = { observed: `${type}=${status}`, reason: `pod condition ${type} is ${status}` };
  return {
    want: `${type}=${trigger.status}`,
    noContainer: { observed: `no container in ${type}`, reason: `no container is in ${type}` },
    byStatus,
  };
}

export function conditionSample(
  trigger: ConditionTriggerSpec,
  pod: PodSnapshot,
  texts?: ConditionTexts,
): Sample | undefined {
  const want = texts ? texts.want : `${trigger.conditionType}=${trigger.status}`;
  if (CONTAINER_STATES.includes(trigger.conditionType)) {
    const hit = pod.containers.find((c) => containerIn(c, trigger.conditionType));
    // status True: some container is in the state; False: none is; Unknown is never a container state.
    const present = hit !== undefined;
    const holds = trigger.status === 'True' ? present : trigger.status === 'False' ? !present : false;
    if (!hit && texts) {
      const { observed, reason } = texts.noContainer;
      return { holds, observed, threshold: want, reason };
    }
    return {
      holds,
      observed: hit
        ? `${trigger.conditionType} (container ${hit.name})`
        : `no container in ${trigger.conditionType}`,
      threshold: want,
      reason: hit
        ? `container ${hit.name} is in ${trigger.conditionType}`
        : `no container is in ${trigger.conditionType}`,
    };
  }
  const condition = pod.conditions.find((c) => c.type === trigger.conditionType);
  if (!condition) return undefined; // not reported: no sample
  const holds = condition.status === trigger.status;
  const shared = texts?.byStatus[condition.status];
  if (shared) return { holds, observed: shared.observed, threshold: want, reason: shared.reason };
  return {
    holds,
    observed: `${condition.type}=${condition.status}`,
    threshold: want,
    reason: `pod condition ${condition.type} is ${condition.status}`,
  };
}
