// xivo-ha upgrade: a rolling upgrade as a plan printed before it runs:
// pause, upgrade the slave, (failover,) upgrade the master, (failback,) check
// versions and schemas, replicate, resume. Progress is saved on the master
// after every step (/var/lib/xivo-ha/upgrade.json): run the same command again
// after an interruption and it continues where it stopped.

import type { Command } from 'commander';
import { runMaintenance, withMaintenanceOptions, type MaintenanceFlags } from './maintenance-common.js';

interface UpgradeFlags extends MaintenanceFlags {
  command: string;
  switchover?: boolean;
}

export function registerUpgradeCommand(program: Command): void {
  withMaintenanceOptions(
    program
      .command('upgrade')
      .description('rolling upgrade of both XiVO nodes, resumable: pause, slave, master, check, replicate, resume')
      .requiredOption('--command <cmd>', 'the upgrade command run on each node (sh -c), e.g. "xivo-upgrade -f"')
      .option('--switchover', 'fail over to the slave while the master is upgraded, then fail back (telephony stays up)'),
  ).action(async (flags: UpgradeFlags) => {
    const { planUpgrade, parseUpgradeRecord, newUpgradeRecord, recordProgress } = await import('../../ha/maintenance/plan.js');
    const { UPGRADE_FILE } = await import('../../ha/maintenance/cluster-actions.js');
    const options = { command: flags.command, switchover: Boolean(flags.switchover), pause: { by: '', since: new Date().toISOString(), reason: `upgrade: ${flags.command}` } };
    let record: ReturnType<typeof newUpgradeRecord> | undefined;
    await runMaintenance(
      flags,
      async ({ actions, by }) => {
        options.pause.by = by;
        const saved = parseUpgradeRecord(await actions.readUpgradeRecord());
        record = newUpgradeRecord(options, saved);
        return planUpgrade(options, saved, `${UPGRADE_FILE}`);
      },
      {
        save: async ({ actions }, plan, outcome) => {
          if (!record) return;
          const finished = outcome?.ok ? new Date().toISOString() : undefined;
          await actions.writeUpgradeRecord(`${JSON.stringify(recordProgress(record, plan, finished), null, 1)}\n`);
        },
      },
    );
  });
}
