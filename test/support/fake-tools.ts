// A fresh temporary directory per test for fake executables (shell scripts standing in for a
// tool or `go`), so a tool's resolution order and build path are tested without the real binary
// or the network. Used by the temporal CLI and helm tool tests.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export interface FakeToolDir {
  /** This test's directory. */
  root(): string;
  /** Writes `#!/bin/sh` + body at root/file with the given mode; returns its path. */
  script(file: string, body: string, mode?: number): Promise<string>;
}

export function fakeToolDir(prefix: string): FakeToolDir {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return {
    root: () => root,
    script: async (file, body, mode = 0o755) => {
      const full = path.join(root, file);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, `#!/bin/sh\n${body}\n`);
      await chmod(full, mode);
      return full;
    },
  };
}
