// `npm run tools:temporal`: finds or builds the `temporal` CLI up front (CI does this before the
// tests) so a first build's minutes show up as their own step with progress, not as a hung test.
import { isResolvedCli, resolveTemporalCli } from './temporal-cli.js';

const started = Date.now();
const cli = await resolveTemporalCli({
  allowBuild: true,
  onProgress: (msg) => void process.stderr.write(`tools:temporal: ${msg}\n`),
});
if (isResolvedCli(cli)) {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`temporal CLI ${cli.version} from ${cli.source}: ${cli.path} (${secs}s)\n`);
} else {
  process.stderr.write('tools:temporal: no temporal CLI and no Go; tests will try the SDK download\n');
}
