import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeToolDir } from '../support/fake-tools.js';
import { resolveTemporalCli, temporalCliCacheDir } from '../../tools/temporal-cli.js';

// Fake executables (shell scripts) stand in for `temporal` and `go`, so the resolution order and
// the build path are tested without the real 200 MB binary or the network.
const tools = fakeToolDir('kubeskippy-cli-test-');
const script = tools.script;
const fakeTemporal = (file: string, version: string): Promise<string> =>
  script(file, `echo "temporal version ${version} (Server 1.29.1, UI 2.42.1)"`);

function options(env: NodeJS.ProcessEnv): Parameters<typeof resolveTemporalCli>[0] {
  return {
    env,
    projectRoot: path.join(tools.root(), 'project'),
    cacheDir: path.join(tools.root(), 'cache', 'temporal-1.5.1'),
    progressIntervalMs: 20,
  };
}

describe('resolveTemporalCli', () => {
  it('prefers KUBESKIPPY_TEMPORAL_CLI over a temporal on PATH', async () => {
    const fromEnv = await fakeTemporal('env/temporal', '9.9.9-env');
    await fakeTemporal('path/temporal', '1.0.0-path');
    const cli = await resolveTemporalCli(
      options({ KUBESKIPPY_TEMPORAL_CLI: fromEnv, PATH: path.join(tools.root(), 'path') }),
    );
    expect(cli).toEqual({ path: fromEnv, version: '9.9.9-env', source: 'env' });
  });

  it('rejects a non-executable KUBESKIPPY_TEMPORAL_CLI instead of falling back', async () => {
    const notExecutable = await fakeTemporal('env/temporal', '9.9.9');
    await chmod(notExecutable, 0o644);
    await fakeTemporal('path/temporal', '1.0.0-path');
    await expect(
      resolveTemporalCli(
        options({ KUBESKIPPY_TEMPORAL_CLI: notExecutable, PATH: path.join(tools.root(), 'path') }),
      ),
    ).rejects.toThrow(/KUBESKIPPY_TEMPORAL_CLI=.*is not an executable file/);
  });

  it('reports a binary that fails `--version` with where it came from', async () => {
    const broken = await script('env/temporal', 'echo boom >&2; exit 3');
    await expect(resolveTemporalCli(options({ KUBESKIPPY_TEMPORAL_CLI: broken }))).rejects.toThrow(
      /from KUBESKIPPY_TEMPORAL_CLI\) failed `temporal --version`/,
    );
  });

  it('uses PATH, then the project build, then the per-machine cache', async () => {
    const cached = await fakeTemporal('cache/temporal-1.5.1/temporal', '1.5.1');
    const empty = path.join(tools.root(), 'empty');
    await mkdir(empty);
    expect(await resolveTemporalCli(options({ PATH: empty }))).toMatchObject({
      path: cached,
      source: 'cache',
    });
    // The cache hit seeds the project so the next resolution there is local.
    expect(await resolveTemporalCli(options({ PATH: empty }))).toMatchObject({ source: 'project' });
    await fakeTemporal('path/temporal', '1.6.0');
    expect(await resolveTemporalCli(options({ PATH: path.join(tools.root(), 'path') }))).toMatchObject({
      source: 'path',
      version: '1.6.0',
    });
  });

  it('builds with `go install` of the pinned version into the cache and links it into the project', async () => {
    // The fake go records its arguments and drops a fake temporal into $GOBIN, like go install.
    await script(
      'go/go',
      `echo "$@ CGO_ENABLED=$CGO_ENABLED" > "${tools.root()}/go-args"; /bin/sleep 0.1; ` +
        `printf '#!/bin/sh\\necho "temporal version 1.5.1"\\n' > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"`,
    );
    const progress: string[] = [];
    const cli = await resolveTemporalCli({
      ...options({ PATH: path.join(tools.root(), 'go') }),
      onProgress: (m) => progress.push(m),
    });
    expect(cli).toEqual({
      path: path.join(tools.root(), 'cache/temporal-1.5.1/temporal'),
      version: '1.5.1',
      source: 'built',
    });
    expect(await readFile(path.join(tools.root(), 'go-args'), 'utf8')).toMatch(
      /^install -ldflags .*temporalcli\.Version=1\.5\.1 github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1 CGO_ENABLED=0/,
    );
    expect((await stat(path.join(tools.root(), 'project/.tools/bin/temporal'))).isFile()).toBe(true);
    expect(progress.some((m) => /still building the temporal CLI \(\d+s elapsed\)/.test(m))).toBe(true);
  });

  it('shows the tail of go output and what to do when the build fails', async () => {
    await script('go/go', 'echo "go: downloading example.com/x v1"; echo "proxy: 403 Forbidden" >&2; exit 1');
    await expect(resolveTemporalCli(options({ PATH: path.join(tools.root(), 'go') }))).rejects.toThrow(
      /failed after \d+s \(exit 1\)[\s\S]*proxy: 403 Forbidden[\s\S]*KUBESKIPPY_TEMPORAL_CLI/,
    );
  });

  it('tells callers to let the SDK download the CLI when there is neither a binary nor Go', async () => {
    const empty = path.join(tools.root(), 'empty');
    await mkdir(empty);
    expect(await resolveTemporalCli(options({ PATH: empty }))).toEqual({
      source: 'sdk-download',
      executable: { type: 'cached-download' },
    });
  });

  it('keeps the per-machine cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(temporalCliCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/kubeskippy/temporal-1.5.1');
    expect(temporalCliCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/kubeskippy/temporal-1.5.1');
  });
});
