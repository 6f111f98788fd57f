// Builds the `temporal` CLI from the Go module proxy. Only v1.5.1 and older build with
// `go install`: later tags carry a `replace ./cliext` directive that the proxy cannot serve
// (see docs/temporal.md). A cold build takes minutes, so it reports progress and, on failure,
// shows the tail of go's output instead of hanging or failing silently.
import { spawn } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalCliError extends Error {
  override name = 'TemporalCliError';
}

export interface BuildOptions {
  goPath: string;
  /** Final directory of the binary (the per-machine cache). */
  binDir: string;
  env: NodeJS.ProcessEnv;
  onProgress: (msg: string) => void;
  progressIntervalMs: number;
}

/** Runs `go install` into a scratch dir inside `binDir`, then renames the binary into place. */
export async function buildTemporalCli(opts: BuildOptions): Promise<string> {
  const target = path.join(opts.binDir, 'temporal');
  // A scratch GOBIN plus rename means a concurrent or interrupted build never leaves a
  // half-written binary where the resolver would pick it up.
  const scratch = await mkdtemp(path.join(opts.binDir, '.build-'));
  const args = [
    'install',
    '-ldflags',
    `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    `${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}`,
  ];
  opts.onProgress(
    `building the temporal CLI ${TEMPORAL_CLI_VERSION} with \`go install\` (first time only; ` +
      `a cold build took about 7 minutes on 2 cores) into ${opts.binDir}`,
  );
  try {
    await runGo(opts, args, scratch);
    await rename(path.join(scratch, 'temporal'), target);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return target;
}

function runGo(opts: BuildOptions, args: string[], gobin: string): Promise<void> {
  const started = Date.now();
  const tail: string[] = [];
  const child = spawn(opts.goPath, args, {
    env: { ...opts.env, CGO_ENABLED: '0', GOBIN: gobin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const timer = setInterval(() => {
    const secs = Math.round((Date.now() - started) / 1000);
    const last = tail.at(-1);
    opts.onProgress(`still building the temporal CLI (${secs}s elapsed)${last ? `; last: ${last}` : ''}`);
  }, opts.progressIntervalMs);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new TemporalCliError(`could not run ${opts.goPath}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const secs = Math.round((Date.now() - started) / 1000);
      if (code === 0) {
        opts.onProgress(`built the temporal CLI ${TEMPORAL_CLI_VERSION} in ${secs}s`);
        resolve();
        return;
      }
      reject(
        new TemporalCliError(
          `\`go ${args.join(' ')}\` failed after ${secs}s (${signal ?? `exit ${code}`}). Last output:\n` +
            `${tail.map((l) => `  ${l}`).join('\n')}\n` +
            `What to do: check that the Go module proxy is reachable (\`go env GOPROXY\`) and Go is ` +
            `>= 1.25 (\`go version\`), or build/download a temporal CLI yourself and set ` +
            `KUBESKIPPY_TEMPORAL_CLI=/path/to/temporal.`,
        ),
      );
    });
  });
}
