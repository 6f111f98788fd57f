// Finds the `temporal` CLI that runs the dev server. Order (first hit wins):
//   KUBESKIPPY_TEMPORAL_CLI → `temporal` on PATH → <project>/.tools/bin/temporal
//   → per-machine cache ($XDG_CACHE_HOME or ~/.cache)/kubeskippy/temporal-<v>/temporal
//   → `go install` into the per-machine cache → let the SDK download it.
// The per-machine cache is what lets a fresh clone on the same machine (CI) skip a rebuild.
import { execFile } from 'node:child_process';
import { copyFile, link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findOnPath, isExecutableFile, machineCacheDir } from '../lib/executables.js';
import { buildTemporalCli, TEMPORAL_CLI_VERSION, TemporalCliError } from './temporal-cli-build.js';

export { TEMPORAL_CLI_VERSION, TemporalCliError } from './temporal-cli-build.js';

export type TemporalCliSource = 'env' | 'path' | 'project' | 'cache' | 'built';

export interface ResolvedTemporalCli {
  path: string;
  version: string;
  source: TemporalCliSource;
}

/** No binary and no Go: the caller should start the SDK's server with `{ type: 'cached-download' }`. */
export interface SdkDownloadFallback {
  source: 'sdk-download';
  executable: { type: 'cached-download' };
}

export interface ResolveTemporalCliOptions {
  onProgress?: (msg: string) => void;
  /** Run `go install` when no binary is found (default true). */
  allowBuild?: boolean;
  /** Environment to read. Defaults to process.env; a parameter so tests (and, later, operator/config.ts) pass their own. */
  env?: NodeJS.ProcessEnv;
  projectRoot?: string;
  cacheDir?: string;
  progressIntervalMs?: number;
}

const ENV_VAR = 'KUBESKIPPY_TEMPORAL_CLI';
const defaultProjectRoot = fileURLToPath(new URL('..', import.meta.url));
const execFileAsync = promisify(execFile);

/** Per-machine cache dir of the pinned CLI version. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return machineCacheDir(`temporal-${TEMPORAL_CLI_VERSION}`, env);
}

export async function resolveTemporalCli(
  opts: ResolveTemporalCliOptions = {},
): Promise<ResolvedTemporalCli | SdkDownloadFallback> {
  const env = opts.env ?? process.env;
  const onProgress = opts.onProgress ?? ((): void => {});
  const projectBin = path.join(opts.projectRoot ?? defaultProjectRoot, '.tools', 'bin', 'temporal');
  const cacheDir = opts.cacheDir ?? temporalCliCacheDir(env);
  const cacheBin = path.join(cacheDir, 'temporal');

  // An explicit choice must work: a broken path is an error, never a silent fallback.
  const fromEnv = env[ENV_VAR];
  if (fromEnv) {
    if (!(await isExecutableFile(fromEnv))) {
      throw new TemporalCliError(
        `${ENV_VAR}=${fromEnv} is not an executable file; fix the path (chmod +x?) or unset ${ENV_VAR}`,
      );
    }
    return { path: fromEnv, version: await readVersion(fromEnv, ENV_VAR, env), source: 'env' };
  }

  const onPath = await findOnPath('temporal', env);
  if (onPath) return { path: onPath, version: await readVersion(onPath, 'PATH', env), source: 'path' };

  for (const [file, source] of [
    [projectBin, 'project'],
    [cacheBin, 'cache'],
  ] as const) {
    if (!(await isExecutableFile(file))) continue;
    try {
      const version = await readVersion(file, source, env);
      // Seed the other location so the next fresh clone (or a cleaned cache) skips the build.
      await linkOrCopy(file, source === 'project' ? cacheBin : projectBin);
      return { path: file, version, source };
    } catch (err) {
      // A cached binary that does not run (truncated, wrong arch) is rebuilt, not fatal.
      onProgress(`ignoring ${file}: ${(err as Error).message}`);
    }
  }

  const go = await findOnPath('go', env);
  if (opts.allowBuild === false || !go) {
    onProgress(
      go
        ? 'no temporal CLI found and building is disabled; falling back to the SDK download'
        : 'no temporal CLI found and Go is not installed; falling back to the SDK download',
    );
    return { source: 'sdk-download', executable: { type: 'cached-download' } };
  }
  await mkdir(cacheDir, { recursive: true });
  const built = await buildTemporalCli({
    goPath: go,
    binDir: cacheDir,
    env,
    onProgress,
    progressIntervalMs: opts.progressIntervalMs ?? 15_000,
  });
  await linkOrCopy(built, projectBin);
  return { path: built, version: await readVersion(built, 'built', env), source: 'built' };
}

/** Narrows the union for callers that must spawn the binary themselves. */
export function isResolvedCli(r: ResolvedTemporalCli | SdkDownloadFallback): r is ResolvedTemporalCli {
  return r.source !== 'sdk-download';
}

async function readVersion(file: string, origin: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, ['--version'], { timeout: 15_000, env });
    // "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"
    const match = /version\s+(\S+)/.exec(stdout);
    if (!match?.[1]) throw new Error(`unexpected output ${JSON.stringify(stdout.trim())}`);
    return match[1];
  } catch (err) {
    throw new TemporalCliError(
      `${file} (from ${origin}) failed \`temporal --version\`: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

// Best effort: a hard link costs no space (the binary is ~200 MB); copy across file systems.
async function linkOrCopy(from: string, to: string): Promise<void> {
  if (await isExecutableFile(to)) return;
  try {
    await mkdir(path.dirname(to), { recursive: true });
    await link(from, to).catch(() => copyFile(from, to));
  } catch {
    // The found binary works; failing to seed the other location only costs a later rebuild.
  }
}
