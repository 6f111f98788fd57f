// Runs the real kubectl against a kubeconfig, for tests that drive the simulated cluster the way
// a person at a terminal would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Kubectl = (...args: string[]) => Promise<string>;

export function kubectlFor(kubeconfig: string): Kubectl {
  return async (...args) => {
    try {
      const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
  };
}

/** `kubectl ... -o json` parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function kubectlJson<T = any>(kubectl: Kubectl, ...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T;
}
