// Finds the `helm` binary that lints, renders and installs deploy/helm/kubeskippy, or builds it once
// per machine. Order (first hit wins):
//   KUBESKIPPY_HELM (an explicit choice must work) → per-machine cache
//   ($XDG_CACHE_HOME or ~/.cache)/kubeskippy/helm-<v>/helm → `go install` into that cache.
// No `helm` on PATH: the chart tests read helm's own messages (schema refusals, lint output), so
// they run the pinned version, not whichever one a machine happens to have.
//
// Pinned to v3.21.4, not v3.22.0: the Go module proxy serves v3.22.0 but it is not approved for
// use on these machines; v3.21.4 is the newest v3 that is.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findOnPath, isExecutableFile, machineCacheDir } from '../lib/executables.js';
import { formatElapsed, runGo, type ResolveBuiltToolOptions } from '../cluster/index.js';

export const HELM_VERSION = 'v3.21.4';
export const HELM_PACKAGE = 'helm.sh/helm/v3/cmd/helm';
/** The Kubernetes minor of helm's client-go (v0.36.2): what `helm template` and `helm lint` assume
 * offline, set with the same ldflags as helm's own Makefile (else helm says v1.20). */
const KUBE_MINOR = '36';

export class HelmToolError extends Error {
  override name = 'HelmToolError';
}

export interface ResolvedHelm {
  path: string;
  version: string;
  source: 'env' | 'cache' | 'built';
}

export type ResolveHelmOptions = ResolveBuiltToolOptions;

const ENV_VAR = 'KUBESKIPPY_HELM';
const execFileAsync = promisify(execFile);
const WHAT_TO_DO =
  'What to do: check that the Go module proxy is reachable (`go env GOPROXY`) and that Go is >= 1.26 ' +
  `(\`go version\`), then run \`npm run tools:helm\` again; or set ${ENV_VAR} to a helm ${HELM_VERSION} binary.`;

export function helmCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return machineCacheDir(`helm-${HELM_VERSION}`, env);
}

export async function resolveHelm(opts: ResolveHelmOptions = {}): Promise<ResolvedHelm> {
  const env = opts.env ?? process.env;
  const onProgress = opts.onProgress ?? ((): void => {});
  const fromEnv = env[ENV_VAR];
  if (fromEnv) {
    if (!(await isExecutableFile(fromEnv)))
      throw new HelmToolError(`${ENV_VAR}=${fromEnv} is not an executable file; fix the path or unset it`);
    return { path: fromEnv, version: await readVersion(fromEnv, ENV_VAR, env), source: 'env' };
  }
  const cacheDir = opts.cacheDir ?? helmCacheDir(env);
  const cached = path.join(cacheDir, 'helm');
  if (await isExecutableFile(cached)) {
    try {
      return { path: cached, version: await readVersion(cached, 'cache', env), source: 'cache' };
    } catch (err) {
      // A truncated or foreign binary in the cache is rebuilt, not fatal.
      onProgress(`ignoring ${cached}: ${(err as Error).message}`);
    }
  }
  if (opts.allowBuild === false)
    throw new HelmToolError(
      `helm ${HELM_VERSION} is not built yet: run \`npm run tools:helm\` once (it builds helm into ${cacheDir})`,
    );
  const goPath = await findOnPath('go', env);
  if (!goPath)
    throw new HelmToolError(
      `Go is not installed, and it is needed once to build helm ${HELM_VERSION} from the Go module proxy. ` +
        WHAT_TO_DO,
    );
  await buildHelm({
    goPath,
    cacheDir,
    env,
    onProgress,
    progressIntervalMs: opts.progressIntervalMs ?? 30_000,
  });
  return { path: cached, version: await readVersion(cached, 'built', env), source: 'built' };
}

interface BuildOptions {
  goPath: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  onProgress: (msg: string) => void;
  progressIntervalMs: number;
}

/** `nice go install` into a scratch GOBIN, then a rename: an interrupted build leaves no half binary. */
async function buildHelm(opts: BuildOptions): Promise<void> {
  await mkdir(opts.cacheDir, { recursive: true });
  const scratch = await mkdtemp(path.join(opts.cacheDir, '.build-'));
  const x = (name: string, value: string): string => `-X helm.sh/helm/v3/${name}=${value}`;
  const ldflags = [
    '-s -w',
    x('internal/version.version', HELM_VERSION),
    x('internal/version.gitTreeState', 'clean'),
    ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [
      x(`${pkg}.k8sVersionMajor`, '1'),
      x(`${pkg}.k8sVersionMinor`, KUBE_MINOR),
    ]),
  ].join(' ');
  const startedMs = Date.now();
  opts.onProgress(
    `building helm ${HELM_VERSION} with \`go install\` into ${opts.cacheDir} ` +
      '(once per machine; a cold build took about 3 min on 2 busy cores)',
  );
  try {
    await runGo(
      {
        goPath: opts.goPath,
        nicePath: await findOnPath('nice', opts.env),
        env: opts.env,
        onProgress: opts.onProgress,
        progressIntervalMs: opts.progressIntervalMs,
        startedMs,
      },
      {
        label: `build helm ${HELM_VERSION}`,
        args: ['install', '-trimpath', '-ldflags', ldflags, `${HELM_PACKAGE}@${HELM_VERSION}`],
        cwd: opts.cacheDir,
        env: { GOBIN: scratch },
        whatToDo: WHAT_TO_DO,
      },
    );
    await rename(path.join(scratch, 'helm'), path.join(opts.cacheDir, 'helm'));
  } catch (err) {
    throw new HelmToolError((err as Error).message);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  opts.onProgress(`built helm ${HELM_VERSION} in ${formatElapsed(Date.now() - startedMs)}`);
}

async function readVersion(file: string, origin: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, ['version', '--short'], { timeout: 15_000, env });
    // "v3.21.4+gXXXXXXX" or, built from the module proxy, "v3.21.4"
    const match = /^(v3\.\d+\.\d+)/.exec(stdout.trim());
    if (!match?.[1]) throw new Error(`not helm v3: ${JSON.stringify(stdout.trim())}`);
    return match[1];
  } catch (err) {
    throw new HelmToolError(
      `${file} (from ${origin}) failed \`helm version --short\`: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}
