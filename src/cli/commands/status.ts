// xivo-ha status: which node carries telephony, monitor, replication, pause.
// The loader, SSH transport and HA code are imported by the action, so that
// the start-up of every other command does not pay for them.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode } from '../../core/events.js';
import { createEmitter } from '../output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('which node carries telephony, the monitor\'s state, replication age and result (exit 3 when a node is unreachable)')
    .requiredOption('-i, --inventory <file>', 'XiVO cluster inventory')
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'one JSON event on stdout')
    .option('--no-color', 'no colours')
    .action(async (flags: { inventory: string; acceptNew?: boolean; json?: boolean; color?: boolean }) => {
      const [{ loadInventory }, { connectSsh }, { connectCluster }, { gatherNodeStatus, summarise }] = await Promise.all([
        import('../../load/index.js'),
        import('../../transport/ssh.js'),
        import('../../ha/cluster-connections.js'),
        import('../../ha/status.js'),
      ]);
      const inventory = loadInventory(resolve(flags.inventory));
      const emit = await createEmitter(flags);
      const cc = await connectCluster(inventory, connectSsh, { acceptNew: Boolean(flags.acceptNew) });
      try {
        const nodes = await Promise.all(
          [cc.master, cc.slave].map((n) => gatherNodeStatus(n, cc.conns.get(n.name), cc.connectErrors.get(n.name)).catch((err: Error) => gatherNodeStatus(n, undefined, err.message))),
        );
        const status = summarise(cc.cluster.name, cc.cluster.deployment, nodes);
        emit({ type: 'cluster_status', status });
        process.exitCode = nodes.every((n) => n.reachable) ? ExitCode.ok : ExitCode.hostsFailed;
      } finally {
        await cc.close();
      }
    });
}
