// Everything the runner has to say is one of these events; views (human,
// JSON lines) render them. The union is closed: a view's switch over `type`
// is checked for completeness by the compiler. docs/interfaces.md documents
// the JSON form (one object per line, exactly these fields plus `time`).

import type { ChangeAction } from './types.js';
import type { Diagnostic } from './errors.js';

export type TaskStatus =
  /** Nothing to do; `note` says why. */
  | 'ok'
  /** Dry run: would change. */
  | 'pending'
  /** Apply: changed. */
  | 'changed'
  | 'skipped'
  | 'failed';

export interface ChangeView {
  action: ChangeAction;
  target: string;
  summary: string;
  /** Unified diff text; absent when there is none; "(sensitive content hidden)" for secrets. */
  diff?: string;
  /** The change depends on a value only known after apply. */
  knownAfterApply?: boolean;
}

export type RunEvent =
  | { type: 'run_start'; command: string; inventory: string; playbooks: string[]; hosts: string[]; dry_run: boolean }
  | { type: 'diagnostic'; diagnostic: Diagnostic }
  | { type: 'host_connected'; host: string; duration_ms: number }
  | { type: 'host_unreachable'; host: string; reason: string; message: string }
  | { type: 'play_start'; play: string; hosts: string[] }
  | {
      type: 'task_result';
      host: string;
      play: string;
      task: string;
      module: string;
      status: TaskStatus;
      handler: boolean;
      changes: ChangeView[];
      note?: string;
      error?: string;
      messages?: string[];
      duration_ms: number;
    }
  /** Handlers a host still owes from an earlier, failed run, now fired. */
  | { type: 'handlers_resumed'; host: string; handlers: string[] }
  /** After apply the re-plan was not empty: a module bug. */
  | { type: 'verify_drift'; host: string; task: string; changes: ChangeView[] }
  | { type: 'host_failed'; host: string; message: string }
  | {
      type: 'host_summary';
      host: string;
      ok: number;
      changed: number;
      pending: number;
      skipped: number;
      failed: number;
      unreachable: boolean;
    }
  | { type: 'message'; level: 'info' | 'warning' | 'error'; text: string; host?: string }
  /** One HA prerequisite or health check (xivo-ha check, and apply before provisioning). */
  | { type: 'check_result'; name: string; group: 'before' | 'after'; ok: boolean; skipped: boolean; message: string; fix?: string }
  /** xivo-ha verify: one table of the master compared with the slave (never row contents). */
  | { type: 'table_verdict'; table: string; status: 'identical' | 'different' | 'missing' | 'excluded'; master_rows?: number; slave_rows?: number; missing_on?: 'master' | 'slave' }
  /** xivo-ha status: the whole cluster at a glance (shape: ClusterStatus in src/ha/status.ts). */
  | { type: 'cluster_status'; status: import('../ha/status.js').ClusterStatus }
  /** xivo-ha pause|resume|upgrade: the plan, printed before it runs (shape: MaintenancePlan in src/ha/maintenance/plan.ts). */
  | { type: 'maintenance_plan'; plan: import('../ha/maintenance/plan.js').MaintenancePlan; dry_run: boolean }
  /** One step of that plan: starts (running), ends (done, failed), or is skipped (done by an earlier run). */
  | { type: 'maintenance_step'; procedure: import('../ha/maintenance/plan.js').Procedure; id: string; summary: string; status: 'running' | 'done' | 'failed' | 'skipped'; at?: string; message?: string; detail?: string }
  | { type: 'run_end'; exit_code: number; duration_ms: number };

export type RunEventType = RunEvent['type'];

export interface EventSink {
  emit(event: RunEvent): void;
}

/** Exit codes, also in `xivo-ha --help` and docs/interfaces.md. */
export const ExitCode = {
  ok: 0,
  error: 1,
  changesPending: 2,
  hostsFailed: 3,
} as const;
