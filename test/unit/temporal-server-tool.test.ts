import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeToolDir } from '../support/fake-tools.js';
import {
  resolveTemporalServer,
  TEMPORAL_SERVER_VERSION,
  temporalServerCacheDir,
} from '../../tools/temporal-server.js';

// Fake executables (shell scripts) stand in for `temporal-server`, `temporal-sql-tool` and `go`, so
// the resolution order and the build are tested without the real 150 MB binaries or the network.
const tools = fakeToolDir('kubeskippy-temporal-server-test-');
const script = tools.script;
const cacheDir = (): string => path.join(tools.root(), 'cache', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
const options = (env: NodeJS.ProcessEnv): Parameters<typeof resolveTemporalServer>[0] => ({
  env,
  cacheDir: cacheDir(),
  progressIntervalMs: 20,
});

/** A complete server dir: both binaries and the PostgreSQL schema dirs. */
async function fakeServerDir(dir: string, version: string): Promise<string> {
  const full = path.join(tools.root(), dir);
  await script(`${dir}/temporal-server`, `echo "temporal version ${version}"`);
  await script(`${dir}/temporal-sql-tool`, 'echo "temporal-sql-tool"');
  for (const schema of ['temporal', 'visibility'])
    await mkdir(path.join(full, 'schema/postgresql/v12', schema, 'versioned', 'v1.0'), { recursive: true });
  return full;
}

describe('resolveTemporalServer', () => {
  it('prefers KUBESKIPPY_TEMPORAL_SERVER_DIR, and refuses an incomplete one instead of falling back', async () => {
    const fromEnv = await fakeServerDir('env', '1.30.0');
    await fakeServerDir(`cache/temporal-server-${TEMPORAL_SERVER_VERSION}`, '1.29.1');
    const found = await resolveTemporalServer(options({ KUBESKIPPY_TEMPORAL_SERVER_DIR: fromEnv }));
    expect(found).toMatchObject({ dir: fromEnv, version: 'v1.30.0', source: 'env' });
    expect(found.sqlTool).toBe(path.join(fromEnv, 'temporal-sql-tool'));
    expect(found.postgresSchemaDir).toBe(path.join(fromEnv, 'schema/postgresql/v12'));

    await rm(path.join(fromEnv, 'schema/postgresql/v12/visibility'), { recursive: true });
    await expect(resolveTemporalServer(options({ KUBESKIPPY_TEMPORAL_SERVER_DIR: fromEnv }))).rejects.toThrow(
      /visibility\/versioned \(from KUBESKIPPY_TEMPORAL_SERVER_DIR\) is missing: no PostgreSQL schema/,
    );
    await rm(path.join(fromEnv, 'temporal-sql-tool'));
    await expect(resolveTemporalServer(options({ KUBESKIPPY_TEMPORAL_SERVER_DIR: fromEnv }))).rejects.toThrow(
      /temporal-sql-tool \(from KUBESKIPPY_TEMPORAL_SERVER_DIR\) is not an executable file/,
    );
  });

  it('uses the per-machine cache (never PATH), and says to run tools:temporal-server when building is off', async () => {
    const onPath = await fakeServerDir('path', '1.0.0');
    await expect(resolveTemporalServer({ ...options({ PATH: onPath }), allowBuild: false })).rejects.toThrow(
      /run `npm run tools:temporal-server` once/,
    );
    const cached = await fakeServerDir(`cache/temporal-server-${TEMPORAL_SERVER_VERSION}`, '1.29.1');
    expect(await resolveTemporalServer({ ...options({ PATH: onPath }), allowBuild: false })).toMatchObject({
      dir: cached,
      server: path.join(cached, 'temporal-server'),
      version: 'v1.29.1',
      source: 'cache',
    });
  });

  it('builds the server and the SQL tool with `go install`, and copies the schema from the module', async () => {
    // The fake go records its arguments; `install` drops both binaries into $GOBIN and
    // `mod download -json` names a fake module dir holding the schema.
    const moduleDir = await fakeServerDir('gomod/server@v1.29.1', 'unused');
    await script(
      'go/go',
      [
        `echo "$@ CGO_ENABLED=$CGO_ENABLED" >> "${tools.root()}/go-args"`,
        'if [ "$1" = mod ]; then',
        `  echo '{"Path":"go.temporal.io/server","Dir":"${moduleDir}"}'; exit 0`,
        'fi',
        `printf '#!/bin/sh\\necho "temporal version 1.29.1"\\n' > "$GOBIN/server"`,
        `printf '#!/bin/sh\\necho sql\\n' > "$GOBIN/sql"`,
        '/bin/chmod +x "$GOBIN/server" "$GOBIN/sql"; /bin/sleep 0.1',
      ].join('\n'),
    );
    const progress: string[] = [];
    const found = await resolveTemporalServer({
      ...options({ PATH: path.join(tools.root(), 'go') }),
      onProgress: (m) => progress.push(m),
    });
    expect(found).toMatchObject({ dir: cacheDir(), version: 'v1.29.1', source: 'built' });
    const args = (await readFile(path.join(tools.root(), 'go-args'), 'utf8')).trim().split('\n');
    expect(args).toEqual([
      'install go.temporal.io/server/cmd/server@v1.29.1 go.temporal.io/server/cmd/tools/sql@v1.29.1 CGO_ENABLED=0',
      'mod download -json go.temporal.io/server@v1.29.1 CGO_ENABLED=0',
    ]);
    expect(
      progress.some((m) => m.startsWith(`built the Temporal server ${TEMPORAL_SERVER_VERSION} in `)),
    ).toBe(true);
    // A second resolve finds the cache and does not build again.
    expect(await resolveTemporalServer(options({ PATH: path.join(tools.root(), 'go') }))).toMatchObject({
      source: 'cache',
    });
  });

  it('shows the tail of go output and what to do when the build fails, leaving no cache behind', async () => {
    await script('go/go', 'echo "go: downloading go.temporal.io/server"; echo "proxy: 410 Gone" >&2; exit 1');
    await expect(resolveTemporalServer(options({ PATH: path.join(tools.root(), 'go') }))).rejects.toThrow(
      /build temporal-server v1\.29\.1" failed after \d+s \(exit 1\)[\s\S]*proxy: 410 Gone[\s\S]*npm run tools:temporal-server[\s\S]*KUBESKIPPY_TEMPORAL_SERVER_DIR/,
    );
    await expect(resolveTemporalServer({ ...options({ PATH: '' }), allowBuild: false })).rejects.toThrow(
      /is not built yet/,
    );
  });

  it('keeps the per-machine cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(temporalServerCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(
      `/x/kubeskippy/temporal-server-${TEMPORAL_SERVER_VERSION}`,
    );
    expect(temporalServerCacheDir({ HOME: '/home/u' })).toBe(
      `/home/u/.cache/kubeskippy/temporal-server-${TEMPORAL_SERVER_VERSION}`,
    );
  });
});
