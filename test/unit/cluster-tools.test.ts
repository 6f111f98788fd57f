import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubernetesWrapperGoMod, stagingModules } from '../../cluster/build.js';
import { resolveClusterTools } from '../../cluster/tools.js';
import { TOOL_GROUPS, binariesOf } from '../../cluster/versions.js';

// Fake executables (shell scripts) stand in for the six binaries and for `go`, so the resolution
// order, the version check and the build's error messages are tested without a 40-minute build.
let root: string;
beforeEach(async () => void (root = await mkdtemp(path.join(os.tmpdir(), 'kubeskippy-cluster-tools-'))));
afterEach(async () => rm(root, { recursive: true, force: true }));

async function script(file: string, body: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

/** Every binary in `dir` (flat) or in the cache layout, answering --version with its group's version. */
async function fakeBinaries(layout: 'flat' | 'cache', dir: string, skip: string[] = []): Promise<void> {
  for (const group of TOOL_GROUPS) {
    for (const bin of binariesOf(group)) {
      if (skip.includes(bin)) continue;
      const file = layout === 'flat' ? path.join(dir, bin) : path.join(dir, group.id, bin);
      await script(file, `echo "${bin} version ${group.version}"`);
    }
  }
}

describe('the kubernetes wrapper module', () => {
  // Lines as they stand in k8s.io/kubernetes v1.36.3's go.mod.
  const goMod = [
    'require (',
    '\tk8s.io/api v0.0.0',
    '\tk8s.io/kube-openapi v0.0.0-20260317180543-43fb72c5454a',
    '\tk8s.io/utils v0.0.0-20260210185600-b8788abfbbc2',
    ')',
    'replace (',
    '\tk8s.io/api => ./staging/src/k8s.io/api',
    '\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery',
    '\tk8s.io/client-go v0.0.0 => ./staging/src/k8s.io/client-go',
    ')',
  ].join('\n');

  it('replaces exactly the staging modules, not the v0.0.0 pseudo-versions', () => {
    expect(stagingModules(goMod)).toEqual(['k8s.io/api', 'k8s.io/apimachinery', 'k8s.io/client-go']);
    const wrapper = kubernetesWrapperGoMod(stagingModules(goMod));
    expect(wrapper).toContain('\tk8s.io/api => k8s.io/api v0.36.3\n');
    expect(wrapper).toContain('\tk8s.io/client-go => k8s.io/client-go v0.36.3\n');
    expect(wrapper).not.toContain('k8s.io/utils');
  });
});

describe('resolveClusterTools', () => {
  it('takes every binary from KUBESKIPPY_CLUSTER_BIN_DIR', async () => {
    const dir = path.join(root, 'bin');
    await fakeBinaries('flat', dir);
    const tools = await resolveClusterTools({
      env: { KUBESKIPPY_CLUSTER_BIN_DIR: dir, PATH: '/usr/bin:/bin' },
    });
    expect(tools['kube-apiserver']).toBe(path.join(dir, 'kube-apiserver'));
    expect(Object.keys(tools).sort()).toEqual(TOOL_GROUPS.flatMap((g) => binariesOf(g)).sort());
  });

  it('refuses a KUBESKIPPY_CLUSTER_BIN_DIR binary of another version, naming it', async () => {
    const dir = path.join(root, 'bin');
    await fakeBinaries('flat', dir);
    await script(path.join(dir, 'etcd'), 'echo "etcd Version: 3.5.0"');
    await expect(
      resolveClusterTools({ env: { KUBESKIPPY_CLUSTER_BIN_DIR: dir, PATH: '/usr/bin:/bin' } }),
    ).rejects.toThrow(
      /KUBESKIPPY_CLUSTER_BIN_DIR=.*etcd is not v3\.6\.16 \(it says "etcd Version: 3\.5\.0"\)/,
    );
  });

  it('resolves the per-machine cache without building', async () => {
    const cache = path.join(root, 'cache');
    await fakeBinaries('cache', cache);
    const tools = await resolveClusterTools({ env: { PATH: '/nonexistent' }, cacheDir: cache });
    expect(tools.kwok).toBe(path.join(cache, 'kwok-v0.8.0', 'kwok'));
  });

  it('without building, says which groups are missing and to run tools:cluster', async () => {
    const cache = path.join(root, 'cache');
    await fakeBinaries('cache', cache, ['kube-scheduler']);
    await expect(
      resolveClusterTools({ env: { PATH: '/nonexistent' }, cacheDir: cache, allowBuild: false }),
    ).rejects.toThrow(/not built yet \(kubernetes-v1\.36\.3\): run `npm run tools:cluster`/);
  });

  it('without Go, says that Go is needed once and what else to do', async () => {
    await expect(
      resolveClusterTools({ env: { PATH: '/nonexistent' }, cacheDir: path.join(root, 'empty') }),
    ).rejects.toThrow(/Go is not installed.*install Go >= 1\.26.*KUBESKIPPY_CLUSTER_BIN_DIR/s);
  });

  it('names the failed build step with go’s last lines, and reports progress with elapsed time', async () => {
    const cache = path.join(root, 'cache');
    await fakeBinaries('cache', cache, ['etcd']);
    const goBin = path.join(root, 'gobin');
    // A go that fails `go get` after printing what the real one prints when the proxy is down.
    await script(
      path.join(goBin, 'go'),
      'sleep 0.2; echo "go: go.etcd.io/etcd/server/v3@v3.6.16: dial tcp: connection refused" >&2; exit 1',
    );
    const progress: string[] = [];
    const err = await resolveClusterTools({
      env: { PATH: `${goBin}:/usr/bin:/bin` },
      cacheDir: cache,
      progressIntervalMs: 50,
      onProgress: (m) => progress.push(m),
    }).catch((e: Error) => e);
    expect(String(err)).toMatch(
      /step "resolve go\.etcd\.io\/etcd\/server\/v3@v3\.6\.16 \(1\/1\)" failed after/,
    );
    expect(String(err)).toMatch(/connection refused/);
    expect(String(err)).toMatch(/What to do: .*GOPROXY/s);
    expect(progress.some((m) => /^building etcd-v3\.6\.16 .* about 3 min/.test(m))).toBe(true);
    expect(
      progress.some((m) => /still on "resolve go\.etcd\.io.*": \d+s for this step, \d+s in all/.test(m)),
    ).toBe(true);
    // The wrapper module was written where a retry finds it.
    expect(await readFile(path.join(cache, 'modules', 'etcd-v3.6.16', 'main.go'), 'utf8')).toContain(
      'etcdmain.Main',
    );
  });
});
