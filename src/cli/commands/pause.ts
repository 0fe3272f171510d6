// xivo-ha pause: both XiVO nodes paused (paused.json, who/when/why, written
// under each node's HA lock), the master's replication timer stopped. The
// monitor then takes no automatic action and the replication refuses to run.

import type { Command } from 'commander';
import { runMaintenance, withMaintenanceOptions, type MaintenanceFlags } from './maintenance-common.js';

export function registerPauseCommand(program: Command): void {
  withMaintenanceOptions(
    program
      .command('pause')
      .description('suspend the HA on both nodes: no replication, no automatic takeover or failback (status shows who, when, why)')
      .option('--reason <text>', 'why, shown by status', 'maintenance'),
  ).action(async (flags: MaintenanceFlags & { reason: string }) => {
    await runMaintenance(flags, async ({ facts, by }) => {
      const { planPause } = await import('../../ha/maintenance/plan.js');
      return planPause(facts, { by, since: new Date().toISOString(), reason: flags.reason });
    }, { verify: true });
  });
}
