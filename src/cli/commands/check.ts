// xivo-ha check: the HA prerequisites and health, each OK or what to fix.
// The loader, SSH transport and HA code are imported by the action, so that
// the start-up of every other command does not pay for them.

import type { Command } from 'commander';
import type { CheckGroup } from '../../ha/checks.js';
import { ExitCode } from '../../core/events.js';
import { createEmitter } from '../output.js';
import { resolve } from 'node:path';

interface CheckFlags {
  inventory: string;
  group?: CheckGroup;
  skipCheck: string[];
  acceptNew?: boolean;
  json?: boolean;
  color?: boolean;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check the HA prerequisites (before provisioning) and health (after): each OK or what to fix')
    .requiredOption('-i, --inventory <file>', 'XiVO cluster inventory')
    .option('--group <group>', 'only "before" (prerequisites) or "after" (health) checks')
    .option('--skip-check <name>', 'skip one check by name, repeatable', (v: string, p: string[]) => [...p, v], [])
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'one JSON event per line on stdout')
    .option('--no-color', 'no colours')
    .action(async (flags: CheckFlags) => {
      const [{ loadInventory }, { connectSsh }, { connectCluster }, { runChecks }] = await Promise.all([
        import('../../load/index.js'),
        import('../../transport/ssh.js'),
        import('../../ha/cluster-connections.js'),
        import('../../ha/checks.js'),
      ]);
      const inventory = loadInventory(resolve(flags.inventory));
      const emit = await createEmitter(flags);
      const cc = await connectCluster(inventory, connectSsh, { acceptNew: Boolean(flags.acceptNew) });
      try {
        const results = await runChecks(cc, flags.group, flags.skipCheck);
        for (const r of results) emit({ type: 'check_result', name: r.name, group: r.group, ok: r.ok, skipped: Boolean(r.skipped), message: r.message, ...(r.fix ? { fix: r.fix } : {}) });
        process.exitCode = results.every((r) => r.ok) ? ExitCode.ok : ExitCode.hostsFailed;
      } finally {
        await cc.close();
      }
    });
}
