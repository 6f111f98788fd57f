// The real control plane's pinned parts: which Go module builds each binary, at which version, and
// where the per-machine cache keeps it. Bumping a version here is the only change a bump needs;
// the cache directory names carry the version, so an old build is never picked up by mistake.
import os from 'node:os';
import path from 'node:path';

export const KUBERNETES_VERSION = 'v1.36.3';
/** The published staging modules (k8s.io/api, …) carry the same minor as the server: v1.36.3 → v0.36.3. */
export const STAGING_VERSION = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
export const ETCD_VERSION = 'v3.6.16';
export const KWOK_VERSION = 'v0.8.0';
export const METRICS_SERVER_VERSION = 'v0.8.0';

export type ToolName =
  'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd' | 'kwok' | 'metrics-server';

/** How a group of binaries is built: one wrapper module (or `go install`) per group. */
export type BuildRecipe =
  | { kind: 'kubernetes'; binaries: readonly ToolName[] }
  | { kind: 'etcd' }
  | { kind: 'go-install'; pkg: string; binary: ToolName }
  | { kind: 'go-tool'; pkg: string; binary: ToolName };

export interface ToolGroup {
  /** Cache folder name, e.g. `kubernetes-v1.36.3`. */
  id: string;
  version: string;
  recipe: BuildRecipe;
  /** A cold build's wall time on 2 busy cores, for the progress line. */
  coldMinutes: number;
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
    },
    coldMinutes: 11,
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
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'kubeskippy', 'cluster');
}
