// Finding programs on this machine: shared by the `temporal` CLI resolution (tools/) and the local
// control plane's tool resolution (cluster/), which may not import each other. Plain node:, no
// project imports, so anything may use it.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * `($XDG_CACHE_HOME or ~/.cache)/kubeskippy/<leaf>`: where a tool built once per machine lives, shared
 * by every clone on it (the temporal CLI, helm, the Temporal server, the control plane's binaries).
 */
export function machineCacheDir(leaf: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'kubeskippy', leaf);
}

/** A regular file this process may execute (a directory or a non-executable file is not). */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in the directories of `env.PATH`, as a shell would find it. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
