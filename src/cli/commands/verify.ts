// xivo-ha verify: table by table, is the slave's configuration the master's?

// The loader, SSH transport and HA code are imported by the action, so that
// the start-up of every other command does not pay for them.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode } from '../../core/events.js';
import { UserError } from '../../core/errors.js';
import { createEmitter } from '../output.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('compare each replicated table of the master and the slave by checksum (exit 2 when they differ)')
    .requiredOption('-i, --inventory <file>', 'XiVO cluster inventory')
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'one JSON event per line on stdout')
    .option('--no-color', 'no colours')
    .option('-v, --verbose', 'also list identical and excluded tables')
    .action(async (flags: { inventory: string; acceptNew?: boolean; json?: boolean; color?: boolean; verbose?: boolean }) => {
      const [{ loadInventory }, { connectSsh }, { connectCluster }, { verifyReplication }] = await Promise.all([
        import('../../load/index.js'),
        import('../../transport/ssh.js'),
        import('../../ha/cluster-connections.js'),
        import('../../ha/verify.js'),
      ]);
      const inventory = loadInventory(resolve(flags.inventory));
      const emit = await createEmitter(flags);
      const cc = await connectCluster(inventory, connectSsh, { acceptNew: Boolean(flags.acceptNew) });
      try {
        const master = cc.conns.get(cc.master.name);
        const slave = cc.conns.get(cc.slave.name);
        if (!master || !slave) throw new UserError(`cannot verify: ${[...cc.connectErrors.values()].join('; ')}`);
        const excluded = (cc.cluster.ha as { replication?: { exclude_tables?: string[] } }).replication?.exclude_tables ?? [];
        const verdicts = await verifyReplication(master, slave, excluded);
        for (const v of verdicts) {
          emit({
            type: 'table_verdict',
            table: v.table,
            status: v.status,
            ...(v.status === 'identical' ? { master_rows: v.rows, slave_rows: v.rows } : {}),
            ...(v.status === 'different' ? { master_rows: v.masterRows, slave_rows: v.slaveRows } : {}),
            ...(v.status === 'missing' ? { missing_on: v.on } : {}),
          });
        }
        const differing = verdicts.filter((v) => v.status === 'different' || v.status === 'missing');
        const same = verdicts.filter((v) => v.status === 'identical').length;
        emit({ type: 'message', level: differing.length ? 'warning' : 'info', text: `${same} replicated tables identical, ${differing.length} differ, ${verdicts.length - same - differing.length} excluded` });
        process.exitCode = differing.length ? ExitCode.changesPending : ExitCode.ok;
      } finally {
        await cc.close();
      }
    });
}
