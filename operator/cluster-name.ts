// The operator's cluster name (--cluster-name, KUBESKIPPY_CLUSTER_NAME): what tells the clusters of
// a fleet apart in one Temporal namespace. It goes into every workflow id (domain/ids.ts), the
// task queue's default, the KubeSkippyCluster search attribute, HealingActions and metrics.
// Unset, it is the kubeconfig's current context, made a DNS label: a laptop operator pointed at
// kind-a and one pointed at kind-b differ without being told. In a pod there is no kubeconfig and
// nothing names the cluster, so it is `default` (the chart's `clusterName` sets it).
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { RESERVED_CLUSTER_NAMES, sanitizeDnsLabel } from '../domain/ids.js';

export type ClusterNameSource = 'setting' | 'kubeconfig context' | 'default';

export interface ClusterName {
  clusterName: string;
  /** Where it came from, for the start-up log. */
  clusterNameFrom: ClusterNameSource;
}

export const DEFAULT_CLUSTER_NAME = 'default';
const SETTING = 'cluster name (--cluster-name, KUBESKIPPY_CLUSTER_NAME)';
/** Thrown for a bad name; loadConfig turns it into a ConfigError. */
export class ClusterNameError extends Error {}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot be a cluster name, or undefined when it can. */
export function clusterNameProblem(name: string): string | undefined {
  if (name.length > 63) return `must be at most 63 characters, got ${name.length}`;
  if (!LABEL.test(name))
    return 'must be a DNS label: lowercase letters, digits and "-", alphanumeric at both ends';
  if (RESERVED_CLUSTER_NAMES.includes(name))
    return `"${name}" is reserved (it would read as a workflow id of the format before clusters)`;
  return undefined;
}

/** The kubeconfig files kubectl would read, in order (flag, else $KUBECONFIG's list, else ~/.kube/config). */
function kubeconfigFiles(kubeconfig: string | undefined, env: Record<string, string | undefined>): string[] {
  if (kubeconfig) return kubeconfig.split(':').filter(Boolean);
  const list = (env['KUBECONFIG'] ?? '').split(':').filter(Boolean);
  if (list.length > 0) return list;
  return env['HOME'] ? [`${env['HOME']}/.kube/config`] : [];
}

/** The current context of the first kubeconfig file that sets one (kubectl's merge rule). */
export function currentKubeContext(
  kubeconfig: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  for (const file of kubeconfigFiles(kubeconfig, env)) {
    if (!existsSync(file)) continue;
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw new ClusterNameError(
        `${SETTING} is not set and kubeconfig ${file} cannot be read: ${(err as Error).message}`,
      );
    }
    const context = kc.getCurrentContext();
    if (context) return context;
  }
  return undefined;
}

/** The setting if given (checked), else the kubeconfig context made a DNS label, else `default`. */
export function resolveClusterName(
  setting: string | undefined,
  context: () => string | undefined,
): ClusterName {
  if (setting !== undefined) {
    const name = setting.trim();
    const problem = clusterNameProblem(name);
    if (problem) throw new ClusterNameError(`${SETTING} ${problem}; got "${setting}"`);
    return { clusterName: name, clusterNameFrom: 'setting' };
  }
  const ctx = context();
  if (ctx === undefined) return { clusterName: DEFAULT_CLUSTER_NAME, clusterNameFrom: 'default' };
  const name = sanitizeDnsLabel(ctx).slice(0, 63).replace(/-+$/, '');
  const problem = clusterNameProblem(name);
  if (problem)
    throw new ClusterNameError(
      `${SETTING} is not set and the kubeconfig context "${ctx}" does not make one: it ${problem}; set it`,
    );
  return { clusterName: name, clusterNameFrom: 'kubeconfig context' };
}
