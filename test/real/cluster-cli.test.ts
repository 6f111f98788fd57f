// `kubeskippy cluster` as a user runs it: it says when it is ready and where the kubeconfig is,
// kubectl works with it, a component that dies is named and the command exits non-zero with the
// rest stopped, a restart on the same data dir comes back with its objects, and SIGTERM leaves no
// process and no port behind. (This starts a second cluster beside the tier's.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor } from '../support/kubectl.js';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));
let dir: string;
beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'cluster-cli-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function startCli(...args: string[]): Started {
  const child = spawn(process.execPath, [bin, 'cluster', '--no-build', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until(what: string, ok: () => boolean, started: Started, ms = 150_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (started.child.exitCode !== null) throw new Error(`exited before ${what}:\n${started.err()}`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}:\n${started.out()}\n${started.err()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

async function pidsAndPorts(dataDir: string): Promise<{ pids: number[]; ports: number[] }> {
  const pids = (JSON.parse(await readFile(path.join(dataDir, 'pids.json'), 'utf8')) as { pid: number }[]).map(
    (r) => r.pid,
  );
  const ports = Object.values(
    JSON.parse(await readFile(path.join(dataDir, 'ports.json'), 'utf8')) as Record<string, number>,
  );
  return { pids, ports };
}

describe('kubeskippy cluster', () => {
  it('rejects a bad flag, naming it', async () => {
    const run = startCli('--nodes', 'many');
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(/--nodes must be a whole number/);
  });

  it(
    'names a component that dies and exits non-zero; a restart keeps the data; SIGTERM leaves nothing behind',
    { timeout: 300_000 },
    async () => {
      const dataDir = path.join(dir, 'data');
      const kubeconfig = path.join(dir, 'kubeconfig');
      const first = startCli('--port', '0', '--data-dir', dataDir, '--kubeconfig-out', kubeconfig);
      await until('ready', () => /Real cluster ready/.test(first.out()), first);
      expect(first.out()).toContain(`kubeconfig: ${kubeconfig}`);
      const kubectl = kubectlFor(kubeconfig);
      await kubectl('create', 'configmap', 'survives-restart', '--from-literal=k=v');
      const { pids } = await pidsAndPorts(dataDir);
      expect(pids).toHaveLength(7);

      // kwok dies: the command says so and stops the rest.
      const kwokPid = (
        JSON.parse(await readFile(path.join(dataDir, 'pids.json'), 'utf8')) as { name: string; pid: number }[]
      ).find((r) => r.name === 'kwok')!.pid;
      process.kill(kwokPid, 'SIGKILL');
      expect(await first.exited).toBe(1);
      expect(first.err()).toMatch(/a component died: kwok exited/);
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);

      // Same data dir: the certificates and etcd's data are kept.
      const second = startCli('--port', '0', '--data-dir', dataDir, '--kubeconfig-out', kubeconfig);
      await until('ready again', () => /Real cluster ready/.test(second.out()), second);
      expect(await kubectl('get', 'configmap', 'survives-restart', '-o', 'jsonpath={.data.k}')).toBe('v');
      const again = await pidsAndPorts(dataDir);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      for (const pid of again.pids) expect(alive(pid), `pid ${pid}`).toBe(false);
      for (const port of again.ports) expect(await listening(port), `port ${port}`).toBe(false);
    },
  );
});
