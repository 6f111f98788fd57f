// The workload of the worker-kill chaos test: five apps and their policies, each bounded by
// maxActionsPerHour so the run has a known number of actions (20), and an approver that answers
// every AwaitingApproval action by annotation (what `kubectl annotate … kubeskippy.io/approve=true`
// does; the controller relays it) after a random pause, so kills also land around approvals.
import type { KObject } from '../../sim/contract.js';
import type { Engine } from './engine-harness.js';
import { alwaysTrue, healingPolicy } from './engine-scenarios.js';
import { crashLoopingDeployment, deployment } from './sim-fixtures.js';

const healthy = { behavior: 'healthy' };
const quickVerify = { delay: '1s', timeout: '10s', interval: '1s', requireTriggerCleared: false };
const safety = (maxActionsPerHour: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  maxActionsPerHour,
  maxConcurrentActions: 1,
  minReadyReplicas: 0,
  // The always-true trigger "relapses" after every action, which is what this test wants: many
  // actions. Ineffective-fix detection would rightly hold the fix after 3 and ask a person.
  ineffectiveRemediation: { enabled: false },
  // The patch policy's reverted template leaves a rollout that never finishes here (its pod is
  // never ready); the change gate would rightly wait for it (changeWaitTimeout, 10m) before the
  // next action. This test is about kills, not rollouts.
  whenRolloutInProgress: 'ignore',
  ...extra,
});

/** Budgets of the five policies: 6 evictions, 4 deletes, 4 scales, 3 patches, 3 approved deletes. */
const BUDGETS = { evict: 6, delete: 4, scale: 4, patch: 3, approve: 3 } as const;
export const EXPECTED_ACTIONS = Object.values(BUDGETS).reduce((a, b) => a + b, 0);

/** Still a crash loop, only a later one: the patch applies cleanly, heals nothing, and is reverted. */
const stillCrashing = {
  type: 'strategic',
  patch: JSON.stringify({
    spec: { template: { metadata: { annotations: { 'sim.kubeskippy.io/crash-after': '700ms' } } } },
  }),
  allowedPaths: ['/spec/template/metadata/annotations'],
};

export function chaosPolicies(ns: string): KObject[] {
  const restart = (strategy: 'evict' | 'delete', gracePeriodSeconds: number): Record<string, unknown> => ({
    name: strategy,
    type: 'restart',
    restartAction: { strategy, gracePeriodSeconds },
  });
  return [
    deployment('kill-evict', { replicas: 4, behaviour: healthy }),
    healingPolicy(ns, 'kill-evict', 'kill-evict', {
      triggers: [alwaysTrue('busy', { cooldownPeriod: '1m' })],
      // A grace period: the evicted pod is Terminating for a moment, so a repeated eviction would land.
      actions: [restart('evict', 2)],
      safetyRules: safety(BUDGETS.evict),
      verification: quickVerify,
    }),
    deployment('kill-delete', { replicas: 3, behaviour: healthy }),
    healingPolicy(ns, 'kill-delete', 'kill-delete', {
      triggers: [alwaysTrue('busy', { cooldownPeriod: '1m' })],
      actions: [restart('delete', 0)],
      safetyRules: safety(BUDGETS.delete),
      verification: quickVerify,
    }),
    deployment('kill-scale', { replicas: 1, behaviour: healthy }),
    healingPolicy(ns, 'kill-scale', 'kill-scale', {
      triggers: [alwaysTrue('busy', { cooldownPeriod: '1s' })],
      actions: [
        {
          name: 'scale-up',
          type: 'scale',
          scaleAction: { direction: 'up', replicas: 1, minReplicas: 1, maxReplicas: 1 + BUDGETS.scale },
        },
      ],
      safetyRules: safety(BUDGETS.scale),
      verification: quickVerify,
    }),
    crashLoopingDeployment('kill-patch', '500ms'),
    healingPolicy(ns, 'kill-patch', 'kill-patch', {
      triggers: [
        {
          name: 'restarts',
          type: 'metric',
          metricTrigger: { query: 'restart_count', operator: '>', threshold: 0, window: '10s' },
          cooldownPeriod: '1s',
        },
      ],
      actions: [{ name: 'tweak-template', type: 'patch', patchAction: stillCrashing }],
      safetyRules: safety(BUDGETS.patch, { maxConsecutiveFailures: 10 }),
      verification: { delay: '1s', timeout: '4s', interval: '1s', rollbackOnFailure: true },
    }),
    deployment('kill-approve', { replicas: 3, behaviour: healthy }),
    healingPolicy(ns, 'kill-approve', 'kill-approve', {
      mode: 'manual',
      triggers: [alwaysTrue('busy', { cooldownPeriod: '1m' })],
      actions: [restart('delete', 0)],
      safetyRules: safety(BUDGETS.approve, { approvalTimeout: '10m' }),
      verification: quickVerify,
    }),
  ];
}

export interface Approver {
  /** Settles at the next approval the approver writes. */
  nextApproval(): Promise<void>;
  approved(): number;
  stop(): void;
}

/** Approves each AwaitingApproval action by annotation, 0–3 s after first seeing it. */
export function startApprover(engine: Engine, rnd: () => number): Approver {
  const due = new Map<string, number>();
  const done = new Set<string>();
  let waiters: (() => void)[] = [];
  const timer = setInterval(() => {
    for (const a of engine.actions()) {
      const name = a.metadata.name!;
      if (a.status?.phase !== 'AwaitingApproval' || done.has(name)) continue;
      if (!due.has(name)) due.set(name, Date.now() + rnd() * 3000);
      if (Date.now() < due.get(name)!) continue;
      done.add(name);
      engine.sim.store.mutate('kubeskippy.io/v1alpha1/healingactions', engine.namespace, name, (o) => {
        o.metadata.annotations = {
          ...o.metadata.annotations,
          'kubeskippy.io/approve': 'true',
          'kubeskippy.io/approved-by': 'chaos-test',
        };
      });
      for (const w of waiters) w();
      waiters = [];
    }
  }, 200);
  return {
    nextApproval: () => new Promise<void>((resolve) => waiters.push(resolve)),
    approved: () => done.size,
    stop: () => clearInterval(timer),
  };
}
