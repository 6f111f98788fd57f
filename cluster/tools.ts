// Finds the real control plane's seven binaries, or builds them once per machine. Order:
//   KUBESKIPPY_CLUSTER_BIN_DIR (a folder with all seven; an explicit choice must work)
//   → per-machine cache (~/.cache/kubeskippy/cluster/<group>-<version>/)
//   → build from the Go module proxy into that cache (tens of minutes cold; see cluster/build.ts).
// Every binary found is asked for its version, so a stale or truncated file is rebuilt, not run.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findOnPath, isExecutableFile } from '../lib/executables.js';
import { buildGroup } from './build.js';
import { ClusterToolsError, formatElapsed, type GoRunner } from './go-run.js';
import { TOOL_GROUPS, binariesOf, clusterCacheDir, type ToolGroup, type ToolName } from './versions.js';

export { ClusterToolsError } from './go-run.js';

export type ClusterTools = Record<ToolName, string>;

export interface ResolveClusterToolsOptions {
  /** Build what is missing (default true); false only resolves, and says what is missing. */
  allowBuild?: boolean;
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  onProgress?: (msg: string) => void;
  progressIntervalMs?: number;
}

const ENV_VAR = 'KUBESKIPPY_CLUSTER_BIN_DIR';
const execFileAsync = promisify(execFile);

export async function resolveClusterTools(opts: ResolveClusterToolsOptions = {}): Promise<ClusterTools> {
  const env = opts.env ?? process.env;
  const onProgress = opts.onProgress ?? ((): void => {});
  const fromEnv = env[ENV_VAR];
  if (fromEnv) return fromFolder(fromEnv, env);

  const cacheDir = opts.cacheDir ?? clusterCacheDir(env);
  const found: Partial<ClusterTools> = {};
  const missing: ToolGroup[] = [];
  for (const group of TOOL_GROUPS) {
    const dir = path.join(cacheDir, group.id);
    const ok = await Promise.all(binariesOf(group).map((b) => checkBinary(path.join(dir, b), group, env)));
    if (ok.every((r) => r === undefined)) {
      for (const b of binariesOf(group)) found[b] = path.join(dir, b);
    } else {
      const why = ok.find((r) => r !== undefined);
      onProgress(`${group.id}: ${why}`);
      missing.push(group);
    }
  }
  if (missing.length > 0) {
    if (opts.allowBuild === false) {
      throw new ClusterToolsError(
        `the real control plane's binaries are not built yet (${missing.map((g) => g.id).join(', ')}): ` +
          'run `npm run tools:cluster` once (it builds them into the per-machine cache)',
      );
    }
    Object.assign(
      found,
      await buildMissing(missing, cacheDir, env, onProgress, opts.progressIntervalMs ?? 30_000),
    );
  }
  return found as ClusterTools;
}

async function buildMissing(
  groups: readonly ToolGroup[],
  cacheDir: string,
  env: NodeJS.ProcessEnv,
  onProgress: (msg: string) => void,
  progressIntervalMs: number,
): Promise<Partial<ClusterTools>> {
  const goPath = await findOnPath('go', env);
  if (!goPath) {
    throw new ClusterToolsError(
      'Go is not installed, and it is needed once to build the real control plane ' +
        `(${groups.map((g) => g.id).join(', ')}) from the Go module proxy. What to do: install Go ` +
        `>= 1.26 and run \`npm run tools:cluster\`, or set ${ENV_VAR} to a folder holding etcd, ` +
        'kube-apiserver, kube-controller-manager, kube-scheduler, kwok, metrics-server and kube-state-metrics.',
    );
  }
  const startedMs = Date.now();
  const runner: GoRunner = { goPath, env, onProgress, progressIntervalMs, startedMs };
  runner.nicePath = await findOnPath('nice', env);
  const coldMinutes = groups.reduce((sum, g) => sum + g.coldMinutes, 0);
  onProgress(
    `building ${groups.map((g) => g.id).join(', ')} from the Go module proxy into ${cacheDir} ` +
      `(once per machine; a cold build took about ${coldMinutes} min on 2 busy cores)`,
  );
  const built: Partial<ClusterTools> = {};
  const buildOne = async (group: ToolGroup, position: string): Promise<void> => {
    const finalDir = path.join(cacheDir, group.id);
    await mkdir(finalDir, { recursive: true });
    // A scratch folder plus rename: an interrupted build never leaves a half-written binary where
    // the resolver would pick it up.
    const outDir = await mkdtemp(path.join(cacheDir, `.build-${group.id}-`));
    const groupStarted = Date.now();
    try {
      await buildGroup({
        group,
        workDir: path.join(cacheDir, 'modules', group.id),
        outDir,
        runner,
        position,
      });
      for (const bin of binariesOf(group)) {
        await rename(path.join(outDir, bin), path.join(finalDir, bin));
        const bad = await checkBinary(path.join(finalDir, bin), group, env);
        if (bad) throw new ClusterToolsError(`built ${bin} but it does not run: ${bad}`);
        built[bin] = path.join(finalDir, bin);
      }
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
    onProgress(
      `built ${group.id} in ${formatElapsed(Date.now() - groupStarted)} ` +
        `(${formatElapsed(Date.now() - startedMs)} in all)`,
    );
  };
  // Two lanes: Kubernetes (the long one) beside the rest, one after another. A Go build leaves a
  // core idle in its long single-threaded steps (linking, the biggest packages); the other lane
  // fills it. Both lanes finish before a failure is reported, so finished groups are kept.
  const lanes = [
    groups.filter((g) => g.recipe.kind === 'kubernetes'),
    groups.filter((g) => g.recipe.kind !== 'kubernetes'),
  ];
  let n = 0;
  const positions = new Map(groups.map((g) => [g.id, `${++n}/${groups.length}`]));
  const results = await Promise.allSettled(
    lanes.map(async (lane) => {
      for (const group of lane) await buildOne(group, positions.get(group.id) ?? '');
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return built;
}

async function fromFolder(dir: string, env: NodeJS.ProcessEnv): Promise<ClusterTools> {
  const tools: Partial<ClusterTools> = {};
  for (const group of TOOL_GROUPS) {
    for (const bin of binariesOf(group)) {
      const file = path.join(dir, bin);
      const bad = await checkBinary(file, group, env);
      if (bad) throw new ClusterToolsError(`${ENV_VAR}=${dir}: ${bad}; fix the folder or unset ${ENV_VAR}`);
      tools[bin] = file;
    }
  }
  return tools as ClusterTools;
}

/** undefined when `file --version` runs and names `version`; else why not. */
async function checkBinary(
  file: string,
  group: Pick<ToolGroup, 'version' | 'versionArgs'>,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const { version } = group;
  if (!(await isExecutableFile(file))) return `${path.basename(file)} is not built yet`;
  try {
    const args = [...(group.versionArgs ?? ['--version'])];
    const { stdout, stderr } = await execFileAsync(file, args, { timeout: 20_000, env });
    const text = `${stdout}\n${stderr}`;
    if (!text.includes(version.replace(/^v/, ''))) {
      return `${file} is not ${version} (it says ${JSON.stringify(text.trim().split('\n')[0])})`;
    }
    return undefined;
  } catch (err) {
    return `${file} --version failed: ${(err as Error).message.split('\n')[0]}`;
  }
}
