// `kubeskippy suspend --reason …` / `kubeskippy unsuspend` / `kubeskippy suspension`: the cluster's
// kill switch (crds/cluster-config.ts), written to the KubeSkippyConfig named `cluster` through the
// Kubernetes API, as the documented one-liner does:
//   kubectl patch kubeskippyconfig cluster --type merge -p '{"spec":{"suspended":true}}'
// The operator only reads the object; it is the API server (and the admission policy in
// deploy/admission) that makes the switch hold, so these commands need Kubernetes, not Temporal.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  CLUSTER_CONFIG_NAME,
  CLUSTER_CONFIG_PLURAL,
  type KubeSkippyConfig,
} from '../../../crds/cluster-config.js';
import { CliError } from '../errors.js';
import { outputFormat } from '../format.js';

interface KubeFlags {
  kubeconfig?: string;
  output?: string;
}

const REF = {
  group: 'kubeskippy.io',
  version: 'v1alpha1',
  plural: CLUSTER_CONFIG_PLURAL,
  name: CLUSTER_CONFIG_NAME,
};

function withKubeFlags(cmd: Command): Command {
  return cmd.option('--kubeconfig <path>', 'kubeconfig to use (default $KUBECONFIG, then ~/.kube/config)');
}

/** The API's refusal in words a person can act on. */
async function explain(err: unknown): Promise<Error> {
  const { httpStatus, statusBody } = await import('../../../activities/kube/errors.js');
  const code = httpStatus(err);
  const message = statusBody(err).message ?? (err as Error)?.message ?? String(err);
  if (code === 404)
    return new CliError(
      `the KubeSkippyConfig CRD is not installed: kubeskippy crds | kubectl apply -f - (${message})`,
      1,
    );
  if (code === 403) return new CliError(`not allowed to change the KubeSkippyConfig: ${message}`, 1);
  return new CliError(`the Kubernetes API refused: ${message}`, 1);
}

async function custom(flags: KubeFlags) {
  // Loaded on use: client-node costs time --help should not pay.
  const { createKube, loadKubeConfig } = await import('../../../activities/kube/clients.js');
  return createKube(loadKubeConfig(flags.kubeconfig)).custom;
}

async function read(flags: KubeFlags): Promise<KubeSkippyConfig | undefined> {
  const api = await custom(flags);
  try {
    return (await api.getClusterCustomObject(REF)) as KubeSkippyConfig;
  } catch (err) {
    // A 404 both for a missing object and a missing CRD: the API server names the object only
    // in the first ('kubeskippyconfigs.kubeskippy.io "cluster" not found').
    const { httpStatus, statusBody } = await import('../../../activities/kube/errors.js');
    if (httpStatus(err) === 404 && /"cluster" not found/.test(statusBody(err).message ?? ''))
      return undefined;
    throw await explain(err);
  }
}

/** Creates the object, or merge-patches its spec (null removes a field). */
async function writeSpec(flags: KubeFlags, spec: Record<string, unknown>): Promise<KubeSkippyConfig> {
  const api = await custom(flags);
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  const existing = await read(flags);
  try {
    if (!existing) {
      const clean = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== null));
      return (await api.createClusterCustomObject({
        ...REF,
        body: {
          apiVersion: 'kubeskippy.io/v1alpha1',
          kind: 'KubeSkippyConfig',
          metadata: { name: REF.name },
          spec: clean,
        },
      })) as KubeSkippyConfig;
    }
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    return (await api.patchClusterCustomObject({ ...REF, body: { spec } }, merge)) as KubeSkippyConfig;
  } catch (err) {
    throw await explain(err);
  }
}

function describe(obj: KubeSkippyConfig | undefined): string {
  if (!obj)
    return 'Suspended: false (no KubeSkippyConfig named cluster: no kill switch, no cluster budget)\n';
  const { spec, status } = obj;
  const cond = (type: string) => status?.conditions?.find((c) => c.type === type);
  const budget = spec.clusterBudget ?? {};
  const used = status?.budget;
  const lines = [
    `Suspended:   ${spec.suspended ?? false}${spec.reason ? ` (${spec.reason})` : ''}`,
    `In effect:   ${cond('Suspended')?.status === 'True' ? 'suspended' : cond('Suspended') ? 'active' : 'not yet seen by the operator'}` +
      (cond('Ready')?.status === 'False' ? `; Ready=False: ${cond('Ready')?.message}` : ''),
    `Budget:      maxActionsPerHour ${budget.maxActionsPerHour ?? '-'}, maxConcurrentActions ${budget.maxConcurrentActions ?? '-'}, maxPerNamespace ${budget.maxPerNamespace ?? '-'}`,
    `Used:        ${used?.runningActions ?? 0} running, ${used?.actionsInLastHour ?? 0} started in the last hour` +
      (used?.busiestNamespace
        ? `; busiest namespace ${used.busiestNamespace} (${used.busiestNamespaceActions})`
        : ''),
    `Refusals:    ${JSON.stringify(status?.refusals ?? {})}`,
  ];
  return lines.join('\n') + '\n';
}

export function registerSuspendCommands(program: Command): void {
  withKubeFlags(
    program
      .command('suspend')
      .description('Turn the cluster-wide kill switch on: no policy starts an action until unsuspend'),
  )
    .requiredOption('--reason <text>', 'why (shown in every refusal, Event and kubectl get kubeskippyconfig)')
    .action(async (flags: KubeFlags & { reason: string }) => {
      const by = userInfo().username;
      const obj = await writeSpec(flags, { suspended: true, reason: `${flags.reason} (by ${by})` });
      process.stdout.write(`cluster suspended: ${obj.spec.reason}\n`);
    });

  withKubeFlags(
    program.command('unsuspend').description('Turn the cluster-wide kill switch off: policies act again'),
  ).action(async (flags: KubeFlags) => {
    await writeSpec(flags, { suspended: false, reason: null });
    process.stdout.write('cluster resumed: policies may act again\n');
  });

  withKubeFlags(
    program
      .command('suspension')
      .description('Show the kill switch and the cluster budget (KubeSkippyConfig cluster)'),
  )
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (flags: KubeFlags) => {
      const format = outputFormat(flags);
      const obj = await read(flags);
      process.stdout.write(format === 'json' ? JSON.stringify(obj ?? null, null, 2) + '\n' : describe(obj));
    });
}
