// `npm run gen` writes deploy/crds/*.yaml from the zod schemas, and the same bytes into the Helm
// chart's crds/ folder (helm installs that folder before the templates); it also copies the Grafana
// dashboard into the chart (helm's .Files can read only files inside the chart, and the copy must
// not drift from deploy/grafana/kubeskippy.json, the one that is edited); `npm run verify:gen` fails
// when a committed file differs from what the schemas generate (so CI catches a forgotten regenerate).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './render.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verify = process.argv.includes('--verify');
const CHART_CRDS = 'deploy/helm/kubeskippy/crds';
const DASHBOARD = 'deploy/grafana/kubeskippy.json';
const files = [
  ...renderCrdFiles().flatMap((f) => [f, { ...f, file: `${CHART_CRDS}/${basename(f.file)}` }]),
  {
    file: 'deploy/helm/kubeskippy/dashboards/kubeskippy.json',
    content: await readFile(join(root, DASHBOARD), 'utf8'),
  },
];
let stale = 0;
for (const { file, content } of files) {
  const path = join(root, file);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) continue;
  if (verify) {
    stale++;
    process.stderr.write(
      `${file} is out of date with crds/*.ts or ${DASHBOARD}: run \`npm run gen\` and commit it.\n`,
    );
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    process.stdout.write(`wrote ${file}\n`);
  }
}
if (stale) process.exitCode = 1;
