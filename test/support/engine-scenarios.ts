// Small helpers shared by the engine scenario tests: policy and app builders, reads of the sim's
// objects and the policy workflow's status, and the real `temporal` CLI.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import type { HealingAction } from '../../crds/healing-action.js';
import { policyWorkflowId } from '../../domain/ids.js';
import type { KObject } from '../../sim/contract.js';
import { policyStatusQuery, type PolicyStatusView } from '../../workflows/messages.js';
import type { Engine } from './engine-harness.js';
import { isTerminalPhase } from '../../domain/state.js';

const run = promisify(execFile);

/** A HealingPolicy in `namespace`, selecting pods labelled `app=<app>`, with fast defaults. */
export function healingPolicy(
  namespace: string,
  name: string,
  app: string,
  spec: Record<string, unknown>,
): KObject {
  return {
    apiVersion: 'kubeskippy.io/v1alpha1',
    kind: 'HealingPolicy',
    metadata: { name, namespace },
    spec: {
      mode: 'automatic',
      evaluationInterval: '1s',
      selector: { namespaces: [namespace], labelSelector: { matchLabels: { app } } },
      ...spec,
    },
  };
}

/** A trigger that holds for every running pod (healthy pods idle at ~25m CPU). */
/** The operator's /metrics text. */
export const scrapeMetrics = async (engine: Engine): Promise<string> =>
  (await fetch(`http://127.0.0.1:${engine.operator!.metricsPort}/metrics`)).text();

/** The kubeskippy_safety_refusals_total line of one policy (in the engine's namespace) and reason; its count is group 1. */
export const refusalSeries = (engine: Engine, policy: string, reason: string): RegExp =>
  new RegExp(
    `^kubeskippy_safety_refusals_total\\{policy="${policy}",namespace="${engine.namespace}",reason="${reason}",cluster="${engine.config.clusterName}"\\} (\\d+)$`,
    'm',
  );

export const alwaysTrue = (
  name = 'always',
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  name,
  type: 'metric',
  metricTrigger: { query: 'cpu_usage_millicores', operator: '>', threshold: 0 },
  ...extra,
});

export function policyHandle(
  engine: Engine,
  name: string,
): ReturnType<Engine['client']['workflow']['getHandle']> {
  return engine.client.workflow.getHandle(
    policyWorkflowId(engine.config.clusterName, engine.namespace, name),
  );
}

export function policyStatus(engine: Engine, name: string): Promise<PolicyStatusView> {
  return policyHandle(engine, name).query(policyStatusQuery);
}

/** HealingActions of one policy, oldest first. */
export function actionsOf(engine: Engine, policy: string): HealingAction[] {
  return engine
    .actions()
    .filter((a) => a.spec.policyRef.name === policy)
    .sort((a, b) => Date.parse(a.status?.startTime ?? '') - Date.parse(b.status?.startTime ?? ''));
}

/** One line per HealingAction of a policy, for failure messages. */
export function describeActions(engine: Engine, policy: string): string {
  return actionsOf(engine, policy)
    .map(
      (a) =>
        `${a.spec.action.name} ${a.spec.targetResource.name}: ${a.status?.phase} ${a.status?.reason} ${a.status?.message}`,
    )
    .join(' | ');
}

export function actionNamed(engine: Engine, name: string): HealingAction | undefined {
  return engine.actions().find((a) => a.metadata.name === name);
}

/** Live (not terminating) pods of an app. */
export function podsOf(engine: Engine, app: string): KObject[] {
  return engine.sim.store
    .list('core/v1/pods', { namespace: engine.namespace })
    .filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
}

export function deploymentOf(engine: Engine, name: string): KObject {
  const d = engine.sim.store.get('apps/v1/deployments', engine.namespace, name);
  if (!d) throw new Error(`no Deployment ${name}`);
  return d;
}

/** Kubernetes Events in our namespace with this reason (optionally about one object name). */
export function eventsWith(engine: Engine, reason: string, objectName?: string): KObject[] {
  return engine.sim.store
    .list('core/v1/events', { namespace: engine.namespace })
    .filter(
      (e) =>
        (e as { reason?: string }).reason === reason &&
        (!objectName || (e as { involvedObject?: { name?: string } }).involvedObject?.name === objectName),
    );
}

export const isTerminal = (a: HealingAction | undefined): boolean => isTerminalPhase(a?.status?.phase);

/** Runs the real `temporal` CLI against the engine's server, as a user would. */
export async function temporalCli(engine: Engine, args: string[]): Promise<string> {
  const cli = inject('temporalCliPath');
  if (!cli) throw new Error('no temporal CLI was resolved in globalSetup; see docs/temporal.md');
  const { stdout } = await run(cli, [
    ...args,
    '--address',
    engine.config.temporalAddress,
    '--namespace',
    engine.config.temporalNamespace,
  ]);
  return stdout;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The PromQL trigger both tiers test: the working set in MiB of `container="app"`. */
export const WORKING_SET_MIB_QUERY = 'container_memory_working_set_bytes{container="app"} / 1048576';

/**
 * A policy on the pods labelled tier=promql-restarts that patches their Deployment (the demo's
 * debug patch) once kube-state-metrics counts two restarts of a container (PromQL, through a real
 * Prometheus). A crash-looping app has no ready replica to protect, hence minReadyReplicas 0.
 */
export function promqlRestartsPolicy(namespace: string): KObject {
  return healingPolicy(namespace, 'promql-restarts', 'unused', {
    selector: { namespaces: [namespace], labelSelector: { matchLabels: { tier: 'promql-restarts' } } },
    triggers: [
      {
        name: 'restarting',
        type: 'metric',
        metricTrigger: {
          query: 'kube_pod_container_status_restarts_total{container="app"}',
          operator: '>=',
          threshold: 2,
        },
        cooldownPeriod: '5m',
      },
    ],
    actions: [
      {
        name: 'debug-config-patch',
        type: 'patch',
        patchAction: {
          type: 'strategic',
          target: 'owner',
          allowedPaths: ['/spec/template/spec/containers', '/spec/template/metadata/annotations'],
          patch: [
            'spec:',
            '  template:',
            '    metadata:',
            '      annotations: {sim.kubeskippy.io/behavior: healthy}',
            '    spec:',
            '      containers: [{name: app, env: [{name: DEBUG, value: "true"}]}]',
          ].join('\n'),
        },
      },
    ],
    verification: { delay: '2s', timeout: '90s', interval: '2s', stabilityPeriod: '5s' },
    safetyRules: { maxActionsPerHour: 6, minReadyReplicas: 0 },
  });
}

/**
 * A policy on the pods labelled tier=promql that evicts one whose working set holds above 100 MiB
 * for 2 s (PromQL, through a real Prometheus). One replica may be evicted, hence minReadyReplicas 0.
 */
export function promqlMemoryPolicy(
  namespace: string,
  o: { gracePeriodSeconds: number; verification: Record<string, unknown> },
): KObject {
  return healingPolicy(namespace, 'promql-memory', 'unused', {
    selector: { namespaces: [namespace], labelSelector: { matchLabels: { tier: 'promql' } } },
    triggers: [
      {
        name: 'working-set',
        type: 'metric',
        metricTrigger: { query: WORKING_SET_MIB_QUERY, operator: '>', threshold: 100, for: '2s' },
        cooldownPeriod: '5m',
      },
    ],
    actions: [
      {
        name: 'restart',
        type: 'restart',
        restartAction: { strategy: 'evict', gracePeriodSeconds: o.gracePeriodSeconds },
      },
    ],
    verification: o.verification,
    safetyRules: { maxActionsPerHour: 10, minReadyReplicas: 0 },
  });
}
