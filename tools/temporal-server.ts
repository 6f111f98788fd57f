// Finds the Temporal server (not the dev server: the real `temporal-server` binary with its SQL
// persistence) and its schema tool, or builds both once per machine from the Go module proxy.
// What the PostgreSQL tier (`npm run test:postgres`) runs. Order (first hit wins):
//   KUBESKIPPY_TEMPORAL_SERVER_DIR (an explicit choice must work) → per-machine cache
//   ($XDG_CACHE_HOME or ~/.cache)/kubeskippy/temporal-server-<v>/ → `go install` into that cache.
// Never PATH: a `temporal-server` found there may be any version, with another schema.
//
// The cache dir holds `temporal-server`, `temporal-sql-tool` and `schema/postgresql/v12/` (the
// `temporal` and `visibility` schemas with their versioned upgrade dirs), copied from the module.
// Pinned to v1.29.1: the server the temporal CLI 1.5.1 bundles (tools/temporal-cli-build.ts), so the
// dev server and this tier run the same server code, and the CLI's build has already put the module
// and most compiled packages into Go's caches.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findOnPath, isExecutableFile, machineCacheDir } from '../lib/executables.js';
import { formatElapsed, runGo, type ResolveBuiltToolOptions } from '../cluster/index.js';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** Where the PostgreSQL schemas live, inside the module and inside the cache dir. */
export const POSTGRES_SCHEMA_DIR = path.join('schema', 'postgresql', 'v12');

export class TemporalServerToolError extends Error {
  override name = 'TemporalServerToolError';
}

export interface ResolvedTemporalServer {
  dir: string;
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 inside `dir`: `temporal/` and `visibility/`, each with `versioned/`. */
  postgresSchemaDir: string;
  version: string;
  source: 'env' | 'cache' | 'built';
}

export type ResolveTemporalServerOptions = ResolveBuiltToolOptions;

const ENV_VAR = 'KUBESKIPPY_TEMPORAL_SERVER_DIR';
const execFileAsync = promisify(execFile);
const WHAT_TO_DO =
  'What to do: check that the Go module proxy is reachable (`go env GOPROXY`) and that Go is >= 1.25 ' +
  `(\`go version\`), then run \`npm run tools:temporal-server\` again; or set ${ENV_VAR} to a directory ` +
  'with temporal-server, temporal-sql-tool and schema/postgresql/v12 of one server version.';

export function temporalServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return machineCacheDir(`temporal-server-${TEMPORAL_SERVER_VERSION}`, env);
}

export async function resolveTemporalServer(
  opts: ResolveTemporalServerOptions = {},
): Promise<ResolvedTemporalServer> {
  const env = opts.env ?? process.env;
  const onProgress = opts.onProgress ?? ((): void => {});
  const fromEnv = env[ENV_VAR];
  if (fromEnv) return { ...(await inspect(fromEnv, ENV_VAR, env)), source: 'env' };

  const cacheDir = opts.cacheDir ?? temporalServerCacheDir(env);
  if (await isExecutableFile(path.join(cacheDir, 'temporal-server'))) {
    try {
      return { ...(await inspect(cacheDir, 'cache', env)), source: 'cache' };
    } catch (err) {
      // A half-copied or foreign cache is rebuilt, not fatal.
      onProgress(`ignoring ${cacheDir}: ${(err as Error).message}`);
    }
  }
  if (opts.allowBuild === false)
    throw new TemporalServerToolError(
      `the Temporal server ${TEMPORAL_SERVER_VERSION} is not built yet: run \`npm run tools:temporal-server\` ` +
        `once (it builds it into ${cacheDir})`,
    );
  const goPath = await findOnPath('go', env);
  if (!goPath)
    throw new TemporalServerToolError(
      `Go is not installed, and it is needed once to build the Temporal server ${TEMPORAL_SERVER_VERSION} ` +
        `from the Go module proxy. ${WHAT_TO_DO}`,
    );
  await buildTemporalServer({
    goPath,
    cacheDir,
    env,
    onProgress,
    progressIntervalMs: opts.progressIntervalMs ?? 30_000,
  });
  return { ...(await inspect(cacheDir, 'built', env)), source: 'built' };
}

/** Checks a server dir has both binaries and the schema, and reads the server's version. */
async function inspect(
  dir: string,
  origin: string,
  env: NodeJS.ProcessEnv,
): Promise<Omit<ResolvedTemporalServer, 'source'>> {
  const server = path.join(dir, 'temporal-server');
  const sqlTool = path.join(dir, 'temporal-sql-tool');
  const postgresSchemaDir = path.join(dir, POSTGRES_SCHEMA_DIR);
  for (const file of [server, sqlTool]) {
    if (!(await isExecutableFile(file)))
      throw new TemporalServerToolError(`${file} (from ${origin}) is not an executable file`);
  }
  for (const schema of ['temporal', 'visibility']) {
    const versioned = path.join(postgresSchemaDir, schema, 'versioned');
    if (!(await stat(versioned).catch(() => undefined))?.isDirectory())
      throw new TemporalServerToolError(`${versioned} (from ${origin}) is missing: no PostgreSQL schema`);
  }
  return { dir, server, sqlTool, postgresSchemaDir, version: await readVersion(server, origin, env) };
}

interface BuildOptions {
  goPath: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  onProgress: (msg: string) => void;
  progressIntervalMs: number;
}

/**
 * `nice go install` of the server and the SQL tool into a scratch dir, the schema copied beside
 * them, then one rename: an interrupted build never leaves a cache that looks complete. No
 * -trimpath, like the CLI's build, so the compiled packages it left in GOCACHE are reused.
 */
async function buildTemporalServer(opts: BuildOptions): Promise<void> {
  await mkdir(path.dirname(opts.cacheDir), { recursive: true });
  const scratch = await mkdtemp(`${opts.cacheDir}.build-`);
  const startedMs = Date.now();
  const at = `@${TEMPORAL_SERVER_VERSION}`;
  opts.onProgress(
    `building the Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool with \`go install\` ` +
      `into ${opts.cacheDir} (once per machine; after the temporal CLI's build it took 4m21s on 2 busy cores)`,
  );
  const runner = {
    goPath: opts.goPath,
    nicePath: await findOnPath('nice', opts.env),
    env: opts.env,
    onProgress: opts.onProgress,
    progressIntervalMs: opts.progressIntervalMs,
    startedMs,
  };
  try {
    await runGo(runner, {
      label: `build temporal-server ${TEMPORAL_SERVER_VERSION}`,
      args: [
        'install',
        `${TEMPORAL_SERVER_MODULE}/cmd/server${at}`,
        `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql${at}`,
      ],
      cwd: scratch,
      env: { GOBIN: scratch },
      whatToDo: WHAT_TO_DO,
    });
    const json = await runGo(runner, {
      label: `locate ${TEMPORAL_SERVER_MODULE}${at}`,
      args: ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}${at}`],
      cwd: scratch,
      whatToDo: WHAT_TO_DO,
    });
    const moduleDir = (JSON.parse(json) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`\`go mod download -json\` named no module dir: ${json.slice(0, 200)}`);
    await rename(path.join(scratch, 'server'), path.join(scratch, 'temporal-server'));
    await rename(path.join(scratch, 'sql'), path.join(scratch, 'temporal-sql-tool'));
    await cp(path.join(moduleDir, POSTGRES_SCHEMA_DIR), path.join(scratch, POSTGRES_SCHEMA_DIR), {
      recursive: true,
    });
    await rm(opts.cacheDir, { recursive: true, force: true });
    await rename(scratch, opts.cacheDir);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw new TemporalServerToolError((err as Error).message);
  }
  opts.onProgress(
    `built the Temporal server ${TEMPORAL_SERVER_VERSION} in ${formatElapsed(Date.now() - startedMs)}`,
  );
}

async function readVersion(file: string, origin: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, ['--version'], { timeout: 15_000, env });
    // "temporal version 1.29.1"
    const match = /version\s+v?(\d+\.\d+\.\d+\S*)/.exec(stdout);
    if (!match?.[1]) throw new Error(`unexpected output ${JSON.stringify(stdout.trim())}`);
    return `v${match[1]}`;
  } catch (err) {
    throw new TemporalServerToolError(
      `${file} (from ${origin}) failed \`temporal-server --version\`: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}
