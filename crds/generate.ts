// `npm run gen` writes deploy/crds/*.yaml from the zod schemas; `npm run verify:gen` fails when a
// committed file differs from what the schemas generate (so CI catches a forgotten regenerate).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './render.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verify = process.argv.includes('--verify');
let stale = 0;
for (const { file, content } of renderCrdFiles()) {
  const path = join(root, file);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) continue;
  if (verify) {
    stale++;
    process.stderr.write(`${file} is out of date with crds/*.ts: run \`npm run gen\` and commit it.\n`);
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    process.stdout.write(`wrote ${file}\n`);
  }
}
if (stale) process.exitCode = 1;
