// The operator image without a builder: there is no Docker engine here, and no container
// registry to pull node:20-slim from, so the Dockerfile is checked step by step instead. The
// build context as .dockerignore leaves it, exactly the files each COPY copies, the RUN step
// (`npm ci --omit=dev`: production dependencies only) in a clean directory standing for WORKDIR,
// then the image's ENTRYPOINT + CMD with its ENV, as its USER, in a directory that user cannot
// write (the Deployment's read-only root filesystem; only the temp dir is writable, as the
// Deployment's emptyDir on /tmp). The operator must get ready (its worker bundles workflows/
// from source at start-up, the part most likely to miss a file) and heal a pod. What it does not
// cover: the base image itself (its Node comes from the same major, checked below).
import { execFile, spawn } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildFailure } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../operator/config.js';
import { WORKFLOWS_PATH } from '../../operator/worker.js';
import { findFreePort } from '../../tools/dev-server.js';
import { applyCopy, buildContext, parseDockerfile, type Image } from '../support/dockerfile.js';
import { eventually, startEngine, type Engine } from '../support/engine-harness.js';
import { alwaysTrue, healingPolicy } from '../support/engine-scenarios.js';
import { deployment } from '../support/sim-fixtures.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
// The node image's users (its /etc/passwd): `node` is uid/gid 1000, as deployment.yaml runs it.
const IMAGE_USERS: Record<string, number> = { root: 0, node: 1000 };
const asRoot = process.getuid?.() === 0;

let image: Image;
let dir: string; // holds the stage (WORKDIR), the temp dir, HOME and the kubeconfig
let stage: string;
const timings: Record<string, number> = {};
let runOutput = '';

/** A RUN step as the builder runs it (/bin/sh -c, as root, with ENV), offline where it can be; its output. */
async function runStep(command: string): Promise<string> {
  const parts = command.split('&&').map((p) => p.trim());
  const known = parts.filter((p) => !/^npm cache clean\b/.test(p)); // it would empty this machine's cache; in the image it only keeps the layer small
  for (const p of known)
    if (!/^npm ci\b/.test(p)) throw new Error(`RUN step "${p}" is not understood by this check; teach it`);
  const { stdout, stderr } = await run('sh', ['-c', known.map((p) => `${p} --prefer-offline`).join(' && ')], {
    cwd: stage,
    env: { ...process.env, ...image.env },
  });
  return stdout + stderr;
}

beforeAll(async () => {
  const started = Date.now();
  image = parseDockerfile(await readFile(join(root, 'Dockerfile'), 'utf8'));
  const context = await buildContext(root);
  dir = await mkdtemp(join(tmpdir(), 'kubeskippy-image-'));
  await chmod(dir, 0o755);
  stage = join(dir, 'app');
  await mkdir(stage, { mode: 0o755 });
  for (const step of image.steps) {
    const t = Date.now();
    if (step.kind === 'copy') await applyCopy(step, { root, context, workdir: image.workdir, stage });
    else runOutput += await runStep(step.command);
    if (step.kind === 'run') timings['RUN'] = Date.now() - t;
  }
  // As root the image's USER cannot write the root-owned stage (COPY leaves files root's); as
  // anyone else, take the write bits away.
  if (!asRoot) await run('chmod', ['-R', 'a-w', stage]);
  timings['stage'] = Date.now() - started;
}, 300_000);

afterAll(async () => {
  if (!dir) return;
  if (!asRoot) await run('chmod', ['-R', 'u+w', dir]);
  await rm(dir, { recursive: true, force: true });
  process.stderr.write(`[image] staging ${timings['stage']} ms (npm ci ${timings['RUN']} ms)\n`);
});

describe('the Dockerfile, step by step', () => {
  it('is built on the Node major this check runs on, exposes the metrics port, runs as a known non-root user', () => {
    expect(image.from).toMatch(/^node:\d+(-|$)/);
    expect(image.from.match(/^node:(\d+)/)![1]).toBe(process.versions.node.split('.')[0]);
    expect(image.expose).toContain(DEFAULTS.metricsPort);
    expect(IMAGE_USERS[image.user], `USER ${image.user}`).toBeGreaterThan(0);
  });

  it('copies every module the start command and the workflow bundle load, and installs every package they import', async () => {
    const script = image.start.find((a) => /\.(c|m)?[jt]s$/.test(a));
    expect(script, `a script in ${JSON.stringify(image.start)}`).toBeDefined();
    const entries = [script!, relative(root, WORKFLOWS_PATH)];
    // esbuild follows every static and literal dynamic import, as tsx would load them; packages
    // stay external and are looked for in the staged node_modules (production only).
    const graph = await runtimeImports(entries);
    expect(graph.unresolved, 'every import of the runtime resolves inside the image').toEqual([]);
    const packages = new Set(
      graph.external
        .filter((m) => !isBuiltin(m))
        .map((m) =>
          m
            .split('/')
            .slice(0, m.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    );
    expect(packages.size).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const p of packages)
      if (!(await stat(join(stage, 'node_modules', p, 'package.json')).catch(() => undefined)))
        missing.push(p);
    expect(missing, 'imported at runtime, not installed by npm ci --omit=dev').toEqual([]);
  });

  // npm 11 warns of (and npm 12 will block) install scripts not named in package.json's
  // allowScripts; @swc/core, esbuild and protobufjs need theirs to place their native binaries,
  // which the start below loads (tsx is esbuild, the workflow bundler is @swc/core).
  it('installs without an install-scripts warning (allowScripts covers every package with scripts)', () => {
    expect(runOutput).not.toMatch(/install-scripts|allowScripts/);
  });

  it('installs production dependencies only (no package the lockfile marks dev)', async () => {
    const lock = JSON.parse(await readFile(join(stage, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const dev = Object.keys(lock.packages).filter((k) => k && lock.packages[k]!.dev);
    expect(dev).toContain('node_modules/vitest');
    const present: string[] = [];
    for (const p of dev) if (await stat(join(stage, p)).catch(() => undefined)) present.push(p);
    expect(present).toEqual([]);
  });

  it(
    'starts as the image does (ENTRYPOINT + CMD, its ENV and USER), gets ready and heals a pod',
    { timeout: 180_000 },
    async () => {
      const engine = await startEngine({ operator: false, timeScale: 0.2 });
      try {
        await startsAndHeals(engine);
      } finally {
        await engine.stop();
      }
    },
  );
});

/** The files and packages a start from `entries` imports, or what does not resolve. */
async function runtimeImports(entries: string[]): Promise<{ unresolved: string[]; external: string[] }> {
  try {
    const { metafile } = await build({
      entryPoints: entries,
      absWorkingDir: stage,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      outdir: join(dir, 'out'),
      logLevel: 'silent',
    });
    const imports = Object.values(metafile.inputs).flatMap((i) => i.imports);
    return { unresolved: [], external: imports.filter((m) => m.external).map((m) => m.path) };
  } catch (e) {
    const errors = (e as BuildFailure).errors ?? [{ text: String(e) }];
    return { unresolved: errors.map((x) => `${x.location?.file ?? '?'}: ${x.text}`), external: [] };
  }
}

async function startsAndHeals(engine: Engine): Promise<void> {
  const uid = IMAGE_USERS[image.user]!;
  const [tmp, home] = [join(dir, 'tmp'), join(dir, 'home')];
  await mkdir(tmp, { mode: 0o700 });
  await mkdir(home, { mode: 0o555 }); // HOME on a read-only root filesystem
  const kubeconfig = join(dir, 'kubeconfig');
  await copyFile(engine.kubeconfig, kubeconfig);
  await chmod(kubeconfig, 0o644);
  if (asRoot) await chown(tmp, uid, uid);
  const port = await findFreePort(); // not EXPOSE's 9464: other operators may run on this machine
  const [command, ...args] = image.start;
  const started = Date.now();
  // The image's environment only, not the test's: ENV, then what the Deployment and its
  // ConfigMap set (here pointing at the sim and the test's Temporal server).
  const child = spawn(command!, args, {
    cwd: stage,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid, gid: uid } : {}),
    env: {
      ...image.env,
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      TMPDIR: tmp,
      KUBECONFIG: kubeconfig,
      TEMPORAL_ADDRESS: engine.config.temporalAddress,
      TEMPORAL_NAMESPACE: engine.config.temporalNamespace,
      KUBESKIPPY_TASK_QUEUE: engine.config.taskQueue,
      KUBESKIPPY_METRICS_PORT: String(port),
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  try {
    await eventually(
      () => `/readyz (exit code ${code}):\n${out}`,
      async () => {
        if (code !== undefined) throw new Error(`the operator exited ${code}:\n${out}`);
        return fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      90_000,
    );
    timings['ready'] = Date.now() - started;
    if (asRoot) expect(await processUid(child.pid!), 'the process runs as the image USER').toBe(uid);
    engine.apply([
      deployment('image-app', { replicas: 1 }),
      healingPolicy(engine.namespace, 'image', 'image-app', {
        triggers: [alwaysTrue('busy', { cooldownPeriod: '1h' })],
        actions: [
          {
            name: 'delete-pod',
            type: 'restart',
            restartAction: { strategy: 'delete', gracePeriodSeconds: 0 },
          },
        ],
        safetyRules: { maxActionsPerHour: 1, minReadyReplicas: 0 },
        verification: { enabled: false },
      }),
    ]);
    await eventually(
      () => `a Succeeded HealingAction:\n${out}`,
      () => engine.actions().find((a) => a.status?.phase === 'Succeeded'),
      60_000,
    );
    child.kill('SIGTERM');
    expect(await exited, out).toBe(0);
    process.stderr.write(
      `[image] ready in ${timings['ready']} ms, healed and stopped in ${Date.now() - started} ms\n`,
    );
  } finally {
    if (code === undefined) child.kill('SIGKILL');
  }
}

/** The real uid of a running process (Linux /proc), so the USER switch is seen, not assumed. */
async function processUid(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}
