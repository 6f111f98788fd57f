import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeToolDir } from '../support/fake-tools.js';
import { HELM_VERSION, helmCacheDir, resolveHelm } from '../../tools/helm.js';

// Fake executables (shell scripts) stand in for `helm` and `go`, so the resolution order and the
// build are tested without the real 60 MB binary or the network.
const tools = fakeToolDir('kubeskippy-helm-test-');
const script = tools.script;
const fakeHelm = (file: string, version: string): Promise<string> =>
  script(file, `echo "${version}+gabc123"`);
const cacheDir = (): string => path.join(tools.root(), 'cache', `helm-${HELM_VERSION}`);
const options = (env: NodeJS.ProcessEnv): Parameters<typeof resolveHelm>[0] => ({
  env,
  cacheDir: cacheDir(),
  progressIntervalMs: 20,
});

describe('resolveHelm', () => {
  it('prefers KUBESKIPPY_HELM, and refuses a broken one instead of falling back', async () => {
    const fromEnv = await fakeHelm('env/helm', 'v3.19.0');
    await fakeHelm(`cache/helm-${HELM_VERSION}/helm`, HELM_VERSION);
    expect(await resolveHelm(options({ KUBESKIPPY_HELM: fromEnv }))).toEqual({
      path: fromEnv,
      version: 'v3.19.0',
      source: 'env',
    });
    await chmod(fromEnv, 0o644);
    await expect(resolveHelm(options({ KUBESKIPPY_HELM: fromEnv }))).rejects.toThrow(
      /KUBESKIPPY_HELM=.*is not an executable file/,
    );
  });

  it('refuses a binary that is not helm v3', async () => {
    const v4 = await fakeHelm('env/helm', 'v4.3.2');
    await expect(resolveHelm(options({ KUBESKIPPY_HELM: v4 }))).rejects.toThrow(
      /from KUBESKIPPY_HELM\) failed `helm version --short`: not helm v3/,
    );
  });

  it('uses the per-machine cache, and says to run tools:helm when building is off', async () => {
    const empty = path.join(tools.root(), 'empty');
    await mkdir(empty);
    await expect(resolveHelm({ ...options({ PATH: empty }), allowBuild: false })).rejects.toThrow(
      /run `npm run tools:helm` once/,
    );
    const cached = await fakeHelm(`cache/helm-${HELM_VERSION}/helm`, HELM_VERSION);
    expect(await resolveHelm({ ...options({ PATH: empty }), allowBuild: false })).toEqual({
      path: cached,
      version: HELM_VERSION,
      source: 'cache',
    });
  });

  it('builds the pinned version with `go install` into the cache, with the Kubernetes version set', async () => {
    // The fake go records its arguments and drops a fake helm into $GOBIN, like go install.
    await script(
      'go/go',
      `echo "$@ CGO_ENABLED=$CGO_ENABLED" > "${tools.root()}/go-args"; /bin/sleep 0.1; ` +
        `printf '#!/bin/sh\\necho "${HELM_VERSION}"\\n' > "$GOBIN/helm"; /bin/chmod +x "$GOBIN/helm"`,
    );
    const progress: string[] = [];
    const helm = await resolveHelm({
      ...options({ PATH: path.join(tools.root(), 'go') }),
      onProgress: (m) => progress.push(m),
    });
    expect(helm).toEqual({ path: path.join(cacheDir(), 'helm'), version: HELM_VERSION, source: 'built' });
    const args = await readFile(path.join(tools.root(), 'go-args'), 'utf8');
    expect(args).toMatch(/^install -trimpath -ldflags /);
    expect(args).toContain(`helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`);
    expect(args).toContain('helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=36');
    expect(args).toMatch(new RegExp(`helm\\.sh/helm/v3/cmd/helm@${HELM_VERSION} CGO_ENABLED=0`));
    expect(progress.some((m) => m.startsWith(`built helm ${HELM_VERSION} in `))).toBe(true);
  });

  it('shows the tail of go output and what to do when the build fails', async () => {
    await script('go/go', 'echo "go: downloading helm.sh/helm/v3"; echo "proxy: 410 Gone" >&2; exit 1');
    await expect(resolveHelm(options({ PATH: path.join(tools.root(), 'go') }))).rejects.toThrow(
      /build helm v3\.21\.4" failed after \d+s \(exit 1\)[\s\S]*proxy: 410 Gone[\s\S]*npm run tools:helm[\s\S]*KUBESKIPPY_HELM/,
    );
  });

  it('keeps the per-machine cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(helmCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(`/x/kubeskippy/helm-${HELM_VERSION}`);
    expect(helmCacheDir({ HOME: '/home/u' })).toBe(`/home/u/.cache/kubeskippy/helm-${HELM_VERSION}`);
  });
});
