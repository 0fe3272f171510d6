// What `pause`, `resume` and `upgrade` share: options, the gather → plan →
// print → execute flow and the exit code. The loader, SSH transport and HA
// code are imported when a command runs, not at every start-up.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { RunEvent } from '../../core/events.js';
import { createEmitter } from '../output.js';
import type { ClusterActions } from '../../ha/maintenance/cluster-actions.js';
import type { MaintenancePlan, PauseFacts } from '../../ha/maintenance/plan.js';
import type { StepReport } from '../../ha/maintenance/execute.js';
import { who } from './failover.js';

export interface MaintenanceFlags {
  inventory: string;
  dryRun?: boolean;
  acceptNew?: boolean;
  json?: boolean;
  color?: boolean;
}

export const MAINTENANCE_EXIT_CODES = `
Exit codes: 0 done (or nothing to do), 1 refused before any step was done, 3 a step failed (run the command again once fixed).`;

export function withMaintenanceOptions(command: Command): Command {
  return command
    .requiredOption('-i, --inventory <file>', 'XiVO cluster inventory')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'JSON events on stdout')
    .option('--no-color', 'no colours')
    .addHelpText('after', MAINTENANCE_EXIT_CODES);
}

export interface MaintenanceContext {
  actions: ClusterActions;
  facts: PauseFacts;
  by: string;
  emit: (event: RunEvent) => void;
}

export interface MaintenanceRunOptions {
  /** Persists progress (the upgrade's record), after every step and once at the end with the outcome. */
  save?: (ctx: MaintenanceContext, plan: MaintenancePlan, outcome?: { ok: boolean }) => Promise<void>;
  /** Gather and plan again after a successful run: the plan must now be empty. */
  verify?: boolean;
}

/**
 * Connects to both XiVO nodes, gathers their pause state, asks `plan` for
 * the steps, prints them and (unless --dry-run) runs them.
 */
export async function runMaintenance(
  flags: MaintenanceFlags,
  plan: (ctx: MaintenanceContext) => Promise<MaintenancePlan>,
  { save, verify }: MaintenanceRunOptions = {},
): Promise<void> {
  const [{ loadInventory }, { connectSsh }, { connectCluster }, { gatherNodeStatus }, { ClusterActions }, { executePlan, exitCodeOf }] = await Promise.all([
    import('../../load/index.js'),
    import('../../transport/ssh.js'),
    import('../../ha/cluster-connections.js'),
    import('../../ha/status.js'),
    import('../../ha/maintenance/cluster-actions.js'),
    import('../../ha/maintenance/execute.js'),
  ]);
  const inventory = loadInventory(resolve(flags.inventory));
  const emit = await createEmitter(flags);
  const report = (text: string, level: 'info' | 'warning' | 'error' = 'info') => emit({ type: 'message', level, text });
  const cc = await connectCluster(inventory, connectSsh, { acceptNew: Boolean(flags.acceptNew) });
  try {
    const by = who();
    const actions = new ClusterActions(cc, by, report);
    const unreachable = [cc.master, cc.slave].filter((n) => !cc.conns.has(n.name));
    if (unreachable.length > 0) {
      for (const n of unreachable) report(`cannot reach the ${n.role} ${n.name} (${n.address}): ${cc.connectErrors.get(n.name) ?? 'no connection'}`, 'error');
      report('nothing was changed: both XiVO nodes must answer', 'error');
      process.exitCode = 3;
      return;
    }
    const gatherFacts = async (): Promise<PauseFacts> => {
      const [master, slave] = await Promise.all([cc.master, cc.slave].map((n) => gatherNodeStatus(n, cc.conns.get(n.name))));
      const timer = master?.units['xivo-ha-replicate.timer'];
      return { master: { ...(master?.paused ? { paused: master.paused } : {}), ...(timer ? { timer } : {}) }, slave: slave?.paused ? { paused: slave.paused } : {} };
    };
    const ctx: MaintenanceContext = { actions, facts: await gatherFacts(), by, emit };
    const steps = await plan(ctx);
    emit({ type: 'maintenance_plan', plan: steps, dry_run: Boolean(flags.dryRun) });
    if (flags.dryRun || steps.steps.length === 0) {
      process.exitCode = 0;
      return;
    }
    const onStep = (r: StepReport) => emit({ type: 'maintenance_step', procedure: steps.procedure, ...r });
    const outcome = await executePlan(steps, actions.perform, { onStep, ...(save ? { save: (p) => save(ctx, p) } : {}) });
    if (save) await save(ctx, steps, outcome);
    if (outcome.ok && verify) {
      const left = (await plan({ ...ctx, facts: await gatherFacts() })).steps;
      if (left.length > 0) {
        report(`inconsistent result after ${steps.procedure}: still to do: ${left.map((s) => s.id).join(', ')} (another run changed the nodes meanwhile, or this is a bug in xivo-ha: please report it)`, 'error');
        process.exitCode = 3;
        return;
      }
    }
    if (outcome.ok) {
      report(`${steps.procedure} done`);
    } else {
      report(`${steps.procedure} stopped at step ${outcome.failed?.id ?? '?'}: ${outcome.error?.message ?? ''}`, 'error');
    }
    process.exitCode = exitCodeOf(steps, outcome);
  } finally {
    await cc.close();
  }
}
