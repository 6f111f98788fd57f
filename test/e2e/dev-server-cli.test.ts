import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { kubeSkippySearchAttributes } from '../../operator/search-attributes.js';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('kubeskippy dev-server', () => {
  it('rejects a non-numeric port, naming the flag', () => {
    const run = spawnSync(process.execPath, [bin, 'dev-server', '--port', 'abc'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--port must be a port number .* got "abc"/);
  });

  it('serves the search attributes and leaves no server behind on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'dev-server', '--port', '0', '--headless'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // Ready, or fail at once with the CLI's output if it exits instead of waiting out the timeout.
      await Promise.race([
        expect.poll(() => out, { timeout: 60_000, interval: 100 }).toMatch(/TEMPORAL_ADDRESS=\S+/),
        closed.then((code) => {
          throw new Error(`kubeskippy dev-server exited (code ${code}) before it was ready:\n${out}`);
        }),
      ]);
      const address = /TEMPORAL_ADDRESS=(\S+)/.exec(out)![1]!;
      const serverPid = Number(/pid (\d+)/.exec(out)![1]);

      const connection = await Connection.connect({ address });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      await connection.close();
      expect(Object.keys(customAttributes ?? {})).toEqual(
        expect.arrayContaining(kubeSkippySearchAttributes.map((k) => k.name)),
      );

      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      expect(isAlive(serverPid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
