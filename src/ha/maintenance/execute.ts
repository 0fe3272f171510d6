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

/** A step starts (running), ends (done, failed), or is skipped (done by an earlier run). */
export interface StepReport {
  id: string;
  summary: string;
  status: 'running' | 'done' | 'failed' | 'skipped';
  at?: string;
  message?: string;
  detail?: string;
}

export interface ExecuteHooks {
  onStep: (report: StepReport) => void;
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
    const base = { id: s.id, summary: s.summary };
    if (s.status === 'done') {
      hooks.onStep({ ...base, status: 'skipped', ...(s.at ? { at: s.at } : {}) });
      continue;
    }
    s.status = 'running';
    delete s.message;
    await hooks.save?.(plan);
    hooks.onStep({ ...base, status: 'running' });
    try {
      const message = await perform(s.action);
      Object.assign(s, { status: 'done', at: now().toISOString(), message });
      ran++;
      hooks.onStep({ ...base, status: 'done', at: s.at!, message });
      await hooks.save?.(plan);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      Object.assign(s, { status: 'failed', at: now().toISOString(), message: err.message });
      await hooks.save?.(plan);
      hooks.onStep({ ...base, status: 'failed', at: s.at!, message: err.message, ...(err.detail ? { detail: err.detail } : {}) });
      return { ok: false, ran, failed: s, error: err };
    }
  }
  return { ok: true, ran };
}

/** Exit code of a run: 0 done, 1 refused before any step of the plan was done, 3 a step failed (or was refused after others were done). */
export function exitCodeOf(plan: MaintenancePlan, outcome: ExecuteOutcome): 0 | 1 | 3 {
  if (outcome.ok) return 0;
  return outcome.error instanceof MaintenanceRefused && !plan.steps.some((s) => s.status === 'done') ? 1 : 3;
}
