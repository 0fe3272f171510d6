// The human form of `xivo-ha pause|resume|upgrade`: the plan before it runs
// (one line per step, with its status mark) and each step as it runs.

import type { RunEvent } from '../../core/events.js';
import type { MaintenancePlan, MaintenanceStep } from '../../ha/maintenance/plan.js';
import type { Palette } from './colors.js';

const MARK: Record<MaintenanceStep['status'], string> = { done: '✓', failed: '✗', running: '…', pending: '·' };

/** Status mark, number, id, summary; done steps say when, an interrupted one that it runs again. */
export function renderMaintenancePlan(plan: MaintenancePlan, dryRun: boolean): string {
  if (plan.steps.length === 0) return `${plan.procedure}: ${plan.note ?? 'nothing to do'}`;
  const pending = plan.steps.filter((s) => s.status !== 'done').length;
  const earlier = plan.steps.length - pending;
  const head = `${plan.procedure}: ${pending} step${pending === 1 ? '' : 's'} ${dryRun ? 'would run' : 'to run'}${earlier > 0 ? ` (${earlier} done earlier)` : ''}`;
  const line = (s: MaintenanceStep, i: number) => {
    const after = s.status === 'done' ? ` (done ${s.at ?? ''})` : s.status === 'running' ? ' (interrupted: runs again)' : s.status === 'failed' ? ` (failed: ${s.message ?? ''})` : '';
    return `  ${MARK[s.status]} ${String(i + 1).padStart(2)}. ${s.id.padEnd(15)} ${s.summary}${after}`;
  };
  return [head, ...plan.steps.map(line)].join('\n');
}

export function renderMaintenanceStep(e: Extract<RunEvent, { type: 'maintenance_step' }>, c: Palette): string {
  switch (e.status) {
    case 'running':
      return `${c.bold('→')} ${e.summary} …`;
    case 'skipped':
      return c.dim(`  ✓ skip (done ${e.at ?? 'earlier'}): ${e.summary}`);
    case 'done':
      return `  ${c.green('✓')} ${e.message ?? 'done'}`;
    case 'failed':
      return c.red(`  ✗ ${e.message ?? 'failed'}${e.detail ? `\n    ${e.detail}` : ''}`);
  }
}
