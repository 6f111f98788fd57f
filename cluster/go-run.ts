// Runs one `go` step of a build with a progress line on a timer (what is being built, how long this
// step and the whole build have taken) and, on failure, an error that names the step, shows go's
// last lines and says what to do. go's own output is kept for that error, not echoed: a cold build
// prints thousands of "go: downloading" lines that say nothing about progress.
import { spawn } from 'node:child_process';

export class ClusterToolsError extends Error {
  override name = 'ClusterToolsError';
}

export interface GoStep {
  /** Shown in progress and errors, e.g. "build kube-apiserver v1.36.3". */
  label: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The last line of a failure's error; defaults to the control plane's (tools/helm.ts has its own). */
  whatToDo?: string;
}

/** How a tool built once per machine with runGo is found or built (helm, the Temporal server). */
export interface ResolveBuiltToolOptions {
  /** Build when nothing is found (default true); false says which `npm run tools:…` to run once. */
  allowBuild?: boolean;
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  onProgress?: (msg: string) => void;
  progressIntervalMs?: number;
}

export interface GoRunner {
  goPath: string;
  /** `nice` on PATH: builds run at the lowest priority so a machine stays usable. */
  nicePath?: string;
  env: NodeJS.ProcessEnv;
  onProgress: (msg: string) => void;
  progressIntervalMs: number;
  /** When the whole build started, for "N min in all". */
  startedMs: number;
}

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Runs `go <args>`; resolves with stdout (for `go mod download -json`). */
export function runGo(runner: GoRunner, step: GoStep): Promise<string> {
  const started = Date.now();
  const tail: string[] = [];
  let stdout = '';
  const [cmd, args] = runner.nicePath
    ? [runner.nicePath, ['-n', '19', runner.goPath, ...step.args]]
    : [runner.goPath, step.args];
  const child = spawn(cmd, args, {
    cwd: step.cwd,
    env: { ...runner.env, CGO_ENABLED: '0', ...step.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', keep);
  const timer = setInterval(() => {
    runner.onProgress(
      `still on "${step.label}": ${formatElapsed(Date.now() - started)} for this step, ` +
        `${formatElapsed(Date.now() - runner.startedMs)} in all`,
    );
  }, runner.progressIntervalMs);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new ClusterToolsError(`step "${step.label}": could not run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      if (code === 0) {
        resolve(stdout);
        return;
      }
      if (stdout.trim()) keep(Buffer.from(stdout));
      reject(
        new ClusterToolsError(
          `step "${step.label}" failed after ${formatElapsed(Date.now() - started)} ` +
            `(${signal ?? `exit ${code}`}): go ${step.args.join(' ')} (in ${step.cwd}). Last output:\n` +
            `${tail.map((l) => `  ${l}`).join('\n')}\n` +
            (step.whatToDo ??
              'What to do: check that the Go module proxy is reachable (`go env GOPROXY`), that Go is ' +
                '>= 1.26 (`go version`) and that the disk has ~8 GB free (`df -h ~/.cache`); then run ' +
                '`npm run tools:cluster` again (finished steps are kept). Or build the binaries yourself ' +
                'and set KUBESKIPPY_CLUSTER_BIN_DIR to their folder.'),
        ),
      );
    });
  });
}
