// `npm run tools:prometheus`: the PromQL and alert tests run Debian's `prometheus` and
// `prometheus-alertmanager` (test/support/prometheus.ts). Present: nothing to do. Missing, as root
// with apt-get: installs them once per machine (the packages' service starts fail without systemd
// and are only noise). Otherwise it says what to run; the tests that need them then fail saying so.
import { spawnSync } from 'node:child_process';
import { findOnPath } from '../lib/executables.js';

const PACKAGES = ['prometheus', 'prometheus-alertmanager'];
const say = (msg: string): void => void process.stderr.write(`tools:prometheus: ${msg}\n`);
const findExecutable = (name: string): Promise<string | undefined> => findOnPath(name, process.env);
async function missing(): Promise<string[]> {
  const found = await Promise.all(PACKAGES.map(findExecutable));
  return PACKAGES.filter((_, i) => !found[i]);
}

function apt(args: string[]): boolean {
  const run = spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return run.status === 0;
}

const absent = await missing();
if (absent.length) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !(await findExecutable('apt-get'))) {
    say(`missing ${absent.join(', ')}; install them: sudo apt-get install -y ${PACKAGES.join(' ')}`);
  } else {
    say(`installing ${absent.join(', ')} with apt-get (once per machine)`);
    if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES]))
      say('apt-get failed; the PromQL and alert tests will fail saying what is missing');
  }
}
for (const p of PACKAGES) {
  const path = await findExecutable(p);
  process.stdout.write(`${p}: ${path ?? 'missing'}\n`);
}
