// xivo-ha replicate: run the master's replication now, as its timer would.
// It runs as the systemd service, not over our SSH session: if the
// workstation goes away mid-run, the replication still finishes (or rolls
// back) on its own, in one transaction on the slave.
// The loader, SSH transport and HA code are imported by the action, so that
// the start-up of every other command does not pay for them.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Inventory } from '../../core/model.js';
import { ExitCode } from '../../core/events.js';
import { UserError } from '../../core/errors.js';
import { createEmitter } from '../output.js';

export const REPLICATE_UNIT = 'xivo-ha-replicate.service';

export function registerReplicateCommand(program: Command): void {
  program
    .command('replicate')
    .description('replicate the master\'s configuration to the slave now (database, then files); exit 3 when it fails or is refused')
    .requiredOption('-i, --inventory <file>', 'XiVO cluster inventory')
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'JSON events on stdout')
    .option('--no-color', 'no colours')
    .action(async (flags: { inventory: string; acceptNew?: boolean; json?: boolean; color?: boolean }) => {
      const [{ loadInventory }, { connectSsh }, { connectCluster }, { gatherNodeStatus }] = await Promise.all([
        import('../../load/index.js'),
        import('../../transport/ssh.js'),
        import('../../ha/cluster-connections.js'),
        import('../../ha/status.js'),
      ]);
      const inventory = loadInventory(resolve(flags.inventory));
      const emit = await createEmitter(flags);
      const cc = await connectCluster(inventory, connectSsh, { acceptNew: Boolean(flags.acceptNew) }, [requireMaster(inventory)]);
      try {
        const conn = cc.conns.get(cc.master.name);
        if (!conn) throw new UserError(`cannot reach the master ${cc.master.name}: ${cc.connectErrors.get(cc.master.name) ?? ''}`);
        emit({ type: 'message', level: 'info', text: `replicating ${cc.master.name} → ${cc.slave.name} (systemctl start ${REPLICATE_UNIT})` });
        const run = await conn.exec(['systemctl', 'start', REPLICATE_UNIT], { timeoutMs: 30 * 60_000 });
        const status = await gatherNodeStatus(cc.master, conn);
        const last = (status.replication?.last ?? {}) as { result?: string; reason?: string | null; duration_s?: number; db?: { rows_total?: number }; files?: { bytes_transferred?: number } };
        if (run.rc !== 0 || last.result !== 'ok') {
          emit({ type: 'message', level: 'error', text: `replication ${last.result ?? 'failed'}: ${last.reason ?? run.stderr.trim()} (journalctl -u ${REPLICATE_UNIT} on ${cc.master.name})` });
          process.exitCode = ExitCode.hostsFailed;
          return;
        }
        emit({ type: 'message', level: 'info', text: `replication ok in ${last.duration_s?.toFixed(1) ?? '?'} s: ${last.db?.rows_total ?? '?'} rows, ${last.files?.bytes_transferred ?? 0} bytes of files sent` });
        process.exitCode = ExitCode.ok;
      } finally {
        await cc.close();
      }
    });
}

function requireMaster(inventory: Inventory) {
  const master = inventory.cluster?.nodes.find((n) => n.role === 'master');
  if (!master) throw new UserError(`${inventory.path}: no master node`);
  return master;
}
