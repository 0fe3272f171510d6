// xivo-ha failover | failback: planned switches for maintenance. The slave's
// monitor performs the transition (src/ha/switchover.ts); this file wires
// the inventory, the connections and the output. The loader, SSH transport
// and HA code are imported by the action, not at every start-up.

import type { Command } from 'commander';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { ExitCode } from '../../core/events.js';
import { createEmitter } from '../output.js';

interface SwitchFlags {
  inventory: string;
  acceptNew?: boolean;
  json?: boolean;
  color?: boolean;
}

export function who(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `xivo-ha@${hostname()}`;
  }
}

function registerSwitch(program: Command, name: 'failover' | 'failback', description: string): void {
  program
    .command(name)
    .description(description)
    .requiredOption('-i, --inventory <file>', 'XiVO cluster inventory')
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'JSON events on stdout')
    .option('--no-color', 'no colours')
    .action(async (flags: SwitchFlags) => {
      const [{ loadInventory }, { connectSsh }, { connectCluster }, switchover] = await Promise.all([
        import('../../load/index.js'),
        import('../../transport/ssh.js'),
        import('../../ha/cluster-connections.js'),
        import('../../ha/switchover.js'),
      ]);
      const { SwitchFailed, SwitchRefused } = switchover;
      const run = switchover[name];
      const inventory = loadInventory(resolve(flags.inventory));
      const emit = await createEmitter(flags);
      const cc = await connectCluster(inventory, connectSsh, { acceptNew: Boolean(flags.acceptNew) });
      try {
        await run(cc, { by: who(), report: (text, level = 'info') => emit({ type: 'message', level, text }) });
        emit({ type: 'message', level: 'info', text: `${name} done` });
        process.exitCode = ExitCode.ok;
      } catch (err) {
        if (!(err instanceof SwitchRefused || err instanceof SwitchFailed)) throw err;
        emit({ type: 'message', level: 'error', text: `${err.message}${err.detail ? `\n${err.detail}` : ''}` });
        // Refused: nothing was changed (1). Failed: something was (3).
        process.exitCode = err instanceof SwitchRefused ? ExitCode.error : ExitCode.hostsFailed;
      } finally {
        await cc.close();
      }
    });
}

export function registerFailoverCommands(program: Command): void {
  registerSwitch(program, 'failover', 'planned switch to the slave: stop the master\'s telephony (held by its guard), the slave takes over at once and stays active until failback');
  registerSwitch(program, 'failback', 'planned switch back: the slave copies back what it recorded, stops its telephony, the master resumes');
}
