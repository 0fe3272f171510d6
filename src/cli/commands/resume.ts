// xivo-ha resume: refused while the two schemas differ; otherwise the master
// replicates once, then the replication timer and the slave's monitor resume.

import type { Command } from 'commander';
import { runMaintenance, withMaintenanceOptions, type MaintenanceFlags } from './maintenance-common.js';

export function registerResumeCommand(program: Command): void {
  withMaintenanceOptions(
    program.command('resume').description('end a pause: check both schemas match, replicate once, restart the timer and the monitor\'s automatic actions'),
  ).action(async (flags: MaintenanceFlags) => {
    await runMaintenance(flags, async ({ facts }) => {
      const { planResume } = await import('../../ha/maintenance/plan.js');
      return planResume(facts);
    }, { verify: true });
  });
}
