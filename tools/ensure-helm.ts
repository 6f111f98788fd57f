// `npm run tools:helm`: finds or builds helm up front (CI does this before the tests, beside the
// temporal CLI), so a first build's minutes show up as their own step with progress lines.
import { resolveHelm } from './helm.js';

const started = Date.now();
try {
  const helm = await resolveHelm({ onProgress: (msg) => void process.stderr.write(`tools:helm: ${msg}\n`) });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`helm ${helm.version} from ${helm.source}: ${helm.path} (${secs}s)\n`);
} catch (err) {
  process.stderr.write(`tools:helm: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
