// The documents go to the API server the way a person sends them: multi-document files through
// `kubectl apply --server-side`, which keeps going past a refused document and reports each one.
// This reads kubectl's report back into one verdict per document.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostileDocument } from './generate.js';

export type ApplyVerdict = { accepted: true } | { accepted: false; message: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(kubeconfig: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end();
  });
}

/**
 * One YAML stream of JSON documents. The leading comment keeps kubectl from reading the whole
 * file as one JSON stream (it sniffs the first byte), so each document is decoded on its own and a
 * broken one does not take the others down.
 */
const stream = (docs: HostileDocument[]): string =>
  '# hostile HealingPolicies\n' + docs.map((d) => JSON.stringify(d.doc)).join('\n---\n') + '\n';

/** kubectl's stderr, one entry per `Error from server` / `error:` it printed. */
const errorEntries = (stderr: string): string[] =>
  stderr
    .split(/\n(?=Error from server|error: )/)
    .map((e) => e.trim())
    .filter(Boolean);

/**
 * Each document's verdict. A success line names its object; most errors do too
 * (`HealingPolicy.kubeskippy.io "<name>" is invalid: ...`); errors that name no object (a body
 * that cannot be decoded) are matched, in order, to the documents nothing else accounts for:
 * kubectl sends and reports the documents of a file in order.
 */
export function verdictsOf(docs: HostileDocument[], run: Run): Map<string, ApplyVerdict> {
  const verdicts = new Map<string, ApplyVerdict>();
  const names = new Set(docs.map((d) => d.name));
  for (const m of run.stdout.matchAll(/^healingpolicy\.kubeskippy\.io\/(\S+) /gm))
    if (names.has(m[1]!)) verdicts.set(m[1]!, { accepted: true });
  const unnamed: string[] = [];
  for (const entry of errorEntries(run.stderr)) {
    const named = [...entry.matchAll(/"([^"]+)"|\/([a-z0-9-]+)[;)]/g)]
      .map((m) => m[1] ?? m[2]!)
      .find((n) => names.has(n) && !verdicts.has(n));
    if (named) verdicts.set(named, { accepted: false, message: entry });
    else unnamed.push(entry);
  }
  for (const d of docs) {
    if (verdicts.has(d.name)) continue;
    const message = unnamed.shift();
    verdicts.set(d.name, {
      accepted: false,
      message: message ?? `no report from kubectl (exit ${run.code})`,
    });
  }
  return verdicts;
}

/** Applies `docs` in files of `batchSize`, `parallel` kubectl processes at a time. */
export async function applyInBatches(opts: {
  kubeconfig: string;
  docs: HostileDocument[];
  batchSize: number;
  parallel: number;
}): Promise<Map<string, ApplyVerdict>> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeskippy-hostile-'));
  const batches: HostileDocument[][] = [];
  for (let i = 0; i < opts.docs.length; i += opts.batchSize)
    batches.push(opts.docs.slice(i, i + opts.batchSize));
  const verdicts = new Map<string, ApplyVerdict>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < batches.length; i = next++) {
      const file = join(dir, `batch-${i}.yaml`);
      await writeFile(file, stream(batches[i]!));
      const args = ['apply', '--server-side', '--field-manager=kubeskippy-chaos', '-f', file];
      const run = await kubectl(opts.kubeconfig, args, 120_000);
      for (const [name, v] of verdictsOf(batches[i]!, run)) verdicts.set(name, v);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.parallel }, worker));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return verdicts;
}

/** `kubectl delete` of every HealingPolicy in the namespace, not waiting for the finalizers. */
export async function deleteAll(kubeconfig: string, namespace: string): Promise<void> {
  const run = await kubectl(kubeconfig, ['delete', 'hp', '--all', '-n', namespace, '--wait=false'], 120_000);
  if (run.code !== 0) throw new Error(`kubectl delete hp --all failed: ${run.stderr}`);
}
