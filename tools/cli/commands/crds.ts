import type { Command } from 'commander';
import { renderCrdStream } from '../../../crds/render.js';

export function registerCrdsCommand(program: Command): void {
  program
    .command('crds')
    .description('Print the HealingPolicy and HealingAction CRDs (pipe to `kubectl apply -f -`)')
    .action(() => {
      process.stdout.write(renderCrdStream());
    });
}
