// The one executor of maintenance plans: runs the pending steps in order,
// marks each running then done (or failed) and saves the plan after every
// change of status, so an interrupted upgrade knows what is left. A step that
// was running when the run died runs again: every action is idempotent.

import { UserError } from '../../core/errors.js';
import type { MaintenanceAction, MaintenancePlan, MaintenanceStep } from './plan.js';

/** A check said no: this step changed nothing. */
export class MaintenanceRefused extends UserError {}

/** A step failed after it may have changed something. */
export class MaintenanceFailed extends UserError {}

/** Performs one action; resolves with a short outcome, throws MaintenanceRefused / MaintenanceFailed. */
export type PerformAction = (action: MaintenanceAction) => Promise<string>;

export interface ExecuteHooks {
  /** Called before a step runs, and after with its outcome. */
  report: (text: string, level?: 'info' | 'warning' | 'error') => void;
  /** Persists the plan's statuses (the upgrade's record); called after every change. */
  save?: (plan: MaintenancePlan) => Promise<void>;
  now?: () => Date;
}

export interface ExecuteOutcome {
  ok: boolean;
  /** How many steps ran to the end in this run. */
  ran: number;
  failed?: MaintenanceStep;
  error?: UserError;
}

export async function executePlan(plan: MaintenancePlan, perform: PerformAction, hooks: ExecuteHooks): Promise<ExecuteOutcome> {
  const now = hooks.now ?? (() => new Date());
  let ran = 0;
  for (const s of plan.steps) {
    if (s.status === 'done') {
      hooks.report(`skip (done ${s.at ?? 'earlier'}): ${s.summary}`);
      continue;
    }
    s.status = 'running';
    delete s.message;
    await hooks.save?.(plan);
    hooks.report(`${s.summary} …`);
    try {
      const message = await perform(s.action);
      Object.assign(s, { status: 'done', at: now().toISOString(), message });
      ran++;
      hooks.report(`done: ${message}`);
      await hooks.save?.(plan);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      Object.assign(s, { status: 'failed', at: now().toISOString(), message: err.message });
      await hooks.save?.(plan);
      return { ok: false, ran, failed: s, error: err };
    }
  }
  return { ok: true, ran };
}

/** The plan as lines, for `--dry-run` and before a run: status mark, id, summary. */
export function renderPlan(plan: MaintenancePlan, dryRun: boolean): string[] {
  if (plan.steps.length === 0) return [`${plan.procedure}: ${plan.note ?? 'nothing to do'}`];
  const pending = plan.steps.filter((s) => s.status !== 'done').length;
  const head = `${plan.procedure}: ${pending} step${pending === 1 ? '' : 's'} ${dryRun ? 'would run' : 'to run'}${pending < plan.steps.length ? ` (${plan.steps.length - pending} done earlier)` : ''}`;
  const mark = (s: MaintenanceStep) => (s.status === 'done' ? '✓' : s.status === 'failed' ? '✗' : s.status === 'running' ? '…' : '·');
  return [head, ...plan.steps.map((s, i) => `  ${mark(s)} ${String(i + 1).padStart(2)}. ${s.id.padEnd(15)} ${s.summary}${s.status === 'done' ? ` (done ${s.at ?? ''})` : s.status === 'running' ? ' (interrupted: runs again)' : ''}`)];
}

/** Exit code of a run: 0 done, 1 refused before any step of the plan was done, 3 a step failed (or was refused after others were done). */
export function exitCodeOf(plan: MaintenancePlan, outcome: ExecuteOutcome): 0 | 1 | 3 {
  if (outcome.ok) return 0;
  return outcome.error instanceof MaintenanceRefused && !plan.steps.some((s) => s.status === 'done') ? 1 : 3;
}
