// Change-aware gating: safetyRules.whenRolloutInProgress / whenClusterUpgrading / whenSilenced and
// safetyRules.changeWaitTimeout. Before an action changes anything, the healing-action workflow
// looks for a change already under way on what it would touch (workflows/change-gate.ts; the
// detection is domain/change-gate.ts): a rollout of the target's workload, a cluster upgrade
// (nodes at mixed kubelet versions), an Alertmanager silence on the target. Each rule says what
// to do then: wait for the change to end (re-checked, up to changeWaitTimeout), skip at once, or
// ignore it. The fields are spread into SafetyRules (crds/healing-policy.ts).
import { z } from 'zod';
import { withRules } from './cel.js';
import { atMostRule, Duration } from './common.js';

export const ChangeGateMode = z.enum(['wait', 'skip', 'ignore']);
export type ChangeGateMode = z.infer<typeof ChangeGateMode>;

/** Longest wait for a change to end: an action waiting longer answers an incident long gone. */
export const MAX_CHANGE_WAIT = '24h';
const MAX_WAIT_MESSAGE = `must be at most ${MAX_CHANGE_WAIT}`;
export const ChangeWaitTimeout = withRules(Duration, [atMostRule(MAX_CHANGE_WAIT, MAX_WAIT_MESSAGE)]);

const modeDoc = (what: string, reason: string): string =>
  `What an action does while ${what}: wait (re-check until it ends, at most changeWaitTimeout, ` +
  `then Skipped with reason ${reason}), skip (Skipped with reason ${reason} at once) or ignore ` +
  '(act anyway).';

/** The fields, spread into SafetyRules' shape. */
export const CHANGE_GATE_FIELDS = {
  whenRolloutInProgress: ChangeGateMode.default('wait').describe(
    modeDoc(
      "the target's workload (the pod's Deployment, StatefulSet or DaemonSet, or the workload acted " +
        'on) is rolling out: a spec change not yet observed, replicas not yet updated, old replicas ' +
        'still running, or updated replicas not yet available during an update',
      'RolloutInProgress',
    ) + ' Default wait.',
  ),
  whenClusterUpgrading: ChangeGateMode.default('wait').describe(
    modeDoc('the nodes run different kubelet versions (a cluster upgrade)', 'ClusterUpgrade') +
      ' Default wait.',
  ),
  whenSilenced: ChangeGateMode.default('skip').describe(
    modeDoc(
      'an active Alertmanager silence matches the target (labels namespace, pod, container, ' +
        'deployment/statefulset/daemonset, and alertname for alert triggers); only when the ' +
        'operator has an Alertmanager URL (KUBESKIPPY_ALERTMANAGER_URL)',
      'Silenced',
    ) + ' Default skip: a silence is a human saying hands off, and usually outlasts any wait.',
  ),
  changeWaitTimeout: ChangeWaitTimeout.default('10m').describe(
    'How long an action waits for a rollout, upgrade or silence to end before it is Skipped; ' +
      `at most ${MAX_CHANGE_WAIT}. Default 10m.`,
  ),
};
