// `npm run tools:cluster`: finds or builds the real control plane's binaries up front (CI runs it
// before the tests), so a first build's half hour shows up as its own step with progress lines,
// not as a hung test.
import { resolveClusterTools } from './tools.js';
import { formatElapsed } from './go-run.js';

const started = Date.now();
try {
  const tools = await resolveClusterTools({
    onProgress: (msg) => void process.stderr.write(`tools:cluster: ${msg}\n`),
  });
  for (const [name, file] of Object.entries(tools)) process.stdout.write(`${name.padEnd(24)} ${file}\n`);
  process.stdout.write(`real control plane binaries ready (${formatElapsed(Date.now() - started)})\n`);
} catch (err) {
  process.stderr.write(`tools:cluster: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
