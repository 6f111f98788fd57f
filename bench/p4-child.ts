// Runs one P4 size in a process of its own, so the RSS it reports is this size's alone (the
// sections before it leave garbage a shared process never hands back). Prints its log lines and
// then `P4RESULT {json}`; `runP4InChild` is the parent's side. `real` runs the real control plane's
// P4 (bench/p4-real.ts) on the parent's cluster (BENCH_REAL_* in the environment).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchP4, type P4Figures } from './p4-load.js';
import { benchP4Real } from './p4-real.js';
import { realClusterFromEnv } from './real-cluster.js';

const MARK = 'P4RESULT ';

export function runP4InChild(
  policies: number,
  measureMs: number,
  on: 'sim' | 'real' = 'sim',
): Promise<P4Figures> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, String(policies), String(measureMs), on], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line && !line.startsWith(MARK)) console.log(line);
  });
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (line) resolve(JSON.parse(line.slice(MARK.length)) as P4Figures);
      else reject(new Error(`P4 child for ${policies} policies exited ${code} without a result`));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [policies, measureMs] = [Number(process.argv[2]), Number(process.argv[3])];
  const cluster = process.argv[4] === 'real' ? realClusterFromEnv() : undefined;
  if (process.argv[4] === 'real' && !cluster)
    throw new Error('P4 real child without BENCH_REAL_ADMIN/OPERATOR');
  const r = cluster ? await benchP4Real(cluster, policies, measureMs) : await benchP4(policies, measureMs);
  console.log(`${MARK}${JSON.stringify(r)}`);
  process.exit(0);
}
