// The real control plane's pinned parts: which Go module builds each binary, at which version, and
// where the per-machine cache keeps it. Bumping a version here is the only change a bump needs;
// the cache directory names carry the version, so an old build is never picked up by mistake.
import { machineCacheDir } from '../lib/executables.js';

export const KUBERNETES_VERSION = 'v1.36.3';
/** The published staging modules (k8s.io/api, …) carry the same minor as the server: v1.36.3 → v0.36.3. */
export const STAGING_VERSION = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
export const ETCD_VERSION = 'v3.6.16';
export const KWOK_VERSION = 'v0.8.0';
export const METRICS_SERVER_VERSION = 'v0.8.0';
export const KUBE_STATE_METRICS_VERSION = 'v2.16.0';

export type ToolName =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'etcd'
  | 'kwok'
  | 'metrics-server'
  | 'kube-state-metrics';

/** How a group of binaries is built: one wrapper module (or `go install`) per group. */
export type BuildRecipe =
  | { kind: 'kubernetes'; binaries: readonly ToolName[] }
  | { kind: 'etcd' }
  | { kind: 'go-install'; pkg: string; binary: ToolName }
  | {
      kind: 'go-tool';
      pkg: string;
      binary: ToolName;
      /** Other modules to require at these versions in the wrapper (`module@version`). */
      pins?: readonly string[];
      /** The `-X` variable that carries the version, so `--version` says it. */
      versionVar: string;
    };

export interface ToolGroup {
  /** Cache folder name, e.g. `kubernetes-v1.36.3`. */
  id: string;
  version: string;
  recipe: BuildRecipe;
  /** A cold build's wall time on 2 busy cores, for the progress line. */
  coldMinutes: number;
  /** How the binary says its version (default `--version`); the output must contain `version`. */
  versionArgs?: readonly string[];
}

export const TOOL_GROUPS: readonly ToolGroup[] = [
  {
    id: `kubernetes-${KUBERNETES_VERSION}`,
    version: KUBERNETES_VERSION,
    recipe: { kind: 'kubernetes', binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] },
    coldMinutes: 20,
  },
  { id: `etcd-${ETCD_VERSION}`, version: ETCD_VERSION, recipe: { kind: 'etcd' }, coldMinutes: 3 },
  {
    id: `kwok-${KWOK_VERSION}`,
    version: KWOK_VERSION,
    recipe: { kind: 'go-install', pkg: 'sigs.k8s.io/kwok/cmd/kwok', binary: 'kwok' },
    coldMinutes: 5,
  },
  {
    id: `metrics-server-${METRICS_SERVER_VERSION}`,
    version: METRICS_SERVER_VERSION,
    recipe: {
      kind: 'go-tool',
      pkg: 'sigs.k8s.io/metrics-server/cmd/metrics-server',
      binary: 'metrics-server',
      // metrics-server reads its version from client-go's version package (its Makefile does the same).
      versionVar: 'k8s.io/client-go/pkg/version.gitVersion',
    },
    coldMinutes: 11,
  },
  {
    // The per-pod `kube_pod_*` series (restarts, phase, readiness) PromQL triggers and alert rules
    // are written against; nothing else in the control plane serves them.
    id: `kube-state-metrics-${KUBE_STATE_METRICS_VERSION}`,
    version: KUBE_STATE_METRICS_VERSION,
    recipe: {
      kind: 'go-tool',
      pkg: 'k8s.io/kube-state-metrics/v2',
      binary: 'kube-state-metrics',
      // v2.16.0 asks for k8s.io/sample-controller v0.32.6, which the checksum database does not
      // serve; the next minor builds the same (it is only an example CRD type in a util package).
      pins: ['k8s.io/sample-controller@v0.34.1'],
      versionVar: 'github.com/prometheus/common/version.Version',
    },
    coldMinutes: 6,
    versionArgs: ['version'],
  },
];

export function binariesOf(group: ToolGroup): readonly ToolName[] {
  switch (group.recipe.kind) {
    case 'kubernetes':
      return group.recipe.binaries;
    case 'etcd':
      return ['etcd'];
    case 'go-install':
    case 'go-tool':
      return [group.recipe.binary];
  }
}

/** `$XDG_CACHE_HOME/kubeskippy/cluster` (or ~/.cache/…): shared by every clone on this machine. */
export function clusterCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return machineCacheDir('cluster', env);
}
