// `npm run demo` (xivo-ha demo): the main job on the embedded lab, narrated
// (demo-run.ts), imported only when the command runs: it pulls in the lab.

import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the main job on the embedded lab: provision a master and slave, fail over, fail back (root)')
    .option('--keep', 'leave the lab up at the end')
    .action(async (flags: { keep?: boolean }) => {
      const { runDemo } = await import('./demo-run.js');
      await runDemo({ keep: Boolean(flags.keep) });
    });
}
