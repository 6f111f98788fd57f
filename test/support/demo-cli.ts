// Runs `kubeskippy demo` as a user would: a child process in its own working directory (the demo
// writes .kubeskippy/ there), with no model configured unless the test sets one. SIGINT after
// `timeoutMs`, so a hung demo still tidies up and the test sees its output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/kubeskippy.js', import.meta.url));

/** The environment without any model configuration, plus `ai` (what the test sets). */
export function envWith(ai: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['OLLAMA_HOST', 'KUBESKIPPY_AI_MODEL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete env[k];
  return { ...env, ...ai };
}

export function runDemo(
  cwd: string,
  args: string[],
  timeoutMs: number,
  ai: Record<string, string> = {},
  /** Called with the whole output so far on every write, while the demo runs. */
  onOutput?: (out: string) => void,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'demo', ...args], {
      cwd,
      env: envWith(ai),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const add = (d: Buffer): void => {
      out += d.toString();
      onOutput?.(out);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
