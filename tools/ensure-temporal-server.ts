// `npm run tools:temporal-server`: finds or builds the Temporal server and temporal-sql-tool for the
// PostgreSQL tier (`npm run test:postgres`), so a first build's minutes show up as their own step.
import { resolveTemporalServer } from './temporal-server.js';

const started = Date.now();
try {
  const found = await resolveTemporalServer({
    onProgress: (msg) => void process.stderr.write(`tools:temporal-server: ${msg}\n`),
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`Temporal server ${found.version} from ${found.source}: ${found.dir} (${secs}s)\n`);
} catch (err) {
  process.stderr.write(`tools:temporal-server: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
