// Maintenance procedures as data: `pause`, `resume` and `upgrade` each plan
// a list of steps (pure functions of what was gathered), the views print it,
// one executor (./execute.ts) runs it. A step's status travels with it, so an
// upgrade's plan saved on the master tells a second run what is left to do.

import { UserError } from '../../core/errors.js';

export type XivoRole = 'master' | 'slave';

/** What /var/lib/xivo-ha/paused.json holds: who paused, when and why. */
export interface PauseInfo {
  by: string;
  since: string;
  reason: string;
  /** Set by `upgrade --switchover`: its own planned failover and failback may run while paused. */
  manual_switches?: boolean;
}

export type MaintenanceAction =
  | { kind: 'pause'; node: XivoRole; pause: PauseInfo }
  | { kind: 'unpause'; node: XivoRole }
  | { kind: 'timer'; verb: 'start' | 'stop' }
  | { kind: 'command'; node: XivoRole; command: string }
  | { kind: 'failover' }
  | { kind: 'failback' }
  | { kind: 'check-versions' }
  | { kind: 'check-schemas' }
  | { kind: 'replicate' };

export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface MaintenanceStep {
  id: string;
  /** Imperative ("pause the slave"): "would …" in a dry run, the past tense once done. */
  summary: string;
  action: MaintenanceAction;
  status: StepStatus;
  /** When it finished (done or failed). */
  at?: string;
  message?: string;
}

export type Procedure = 'pause' | 'resume' | 'upgrade';

export interface MaintenancePlan {
  procedure: Procedure;
  steps: MaintenanceStep[];
  /** Why there is nothing to do, when the plan is empty. */
  note?: string;
}

/** What pause and resume decide from, per XiVO node (from `gatherNodeStatus`). */
export interface PauseFacts {
  master: { paused?: Record<string, unknown>; timer?: { active: string; enabled: string } };
  slave: { paused?: Record<string, unknown> };
}

/** The upgrade's progress, kept on the master in UPGRADE_FILE. */
export interface UpgradeRecord {
  version: 1;
  command: string;
  switchover: boolean;
  by: string;
  started: string;
  finished?: string;
  steps: Array<Pick<MaintenanceStep, 'id' | 'status' | 'at' | 'message'>>;
}

export const REPLICATE_TIMER = 'xivo-ha-replicate.timer';

function step(id: string, summary: string, action: MaintenanceAction): MaintenanceStep {
  return { id, summary, action, status: 'pending' };
}

export function describePause(p: Record<string, unknown> | undefined): string {
  if (!p) return 'not paused';
  const by = typeof p.by === 'string' ? p.by : 'someone';
  const since = typeof p.since === 'string' ? p.since : 'an unknown time';
  const reason = typeof p.reason === 'string' && p.reason ? p.reason : 'no reason given';
  return `paused by ${by} since ${since}: ${reason}`;
}

function pauseSteps(facts: PauseFacts, pause: PauseInfo): MaintenanceStep[] {
  const steps: MaintenanceStep[] = [];
  for (const node of ['master', 'slave'] as const) {
    const current = facts[node].paused;
    const needsFlag = pause.manual_switches === true && current?.manual_switches !== true;
    if (!current || needsFlag) {
      const what = node === 'master' ? 'its replication refuses to run' : 'its monitor takes no automatic action';
      steps.push(step(`pause-${node}`, `pause the ${node} (write paused.json under the HA lock: ${what})`, { kind: 'pause', node, pause }));
    }
  }
  if (facts.master.timer?.active === 'active') steps.push(step('stop-timer', `stop ${REPLICATE_TIMER} on the master`, { kind: 'timer', verb: 'stop' }));
  return steps;
}

/** `xivo-ha pause`: both nodes paused and the replication timer stopped; nothing when that is already so. */
export function planPause(facts: PauseFacts, pause: PauseInfo): MaintenancePlan {
  const steps = pauseSteps(facts, pause);
  if (steps.length > 0) return { procedure: 'pause', steps };
  return { procedure: 'pause', steps, note: `already ${describePause(facts.master.paused ?? facts.slave.paused)}` };
}

/**
 * The steps that end a pause: the schemas must match, the timer starts and
 * the master replicates once, then the slave's monitor resumes (so the slave
 * carries fresh data before automatic takeovers are allowed again).
 * The timer starts first: it is Persistent, so a pause that spanned a
 * scheduled run makes it start the replication at once, and the replicate
 * step's `systemctl start` then joins that run instead of replicating a
 * second time right after it.
 */
function resumeSteps(replicate: boolean, unpauseMaster: boolean, startTimer: boolean, unpauseSlave: boolean): MaintenanceStep[] {
  const steps = [step('check-schemas', 'check that master and slave have the same database schema (xivo-ha-replicate --compare-schemas)', { kind: 'check-schemas' })];
  if (unpauseMaster) steps.push(step('unpause-master', 'resume the master (remove paused.json under the HA lock)', { kind: 'unpause', node: 'master' }));
  if (startTimer) steps.push(step('start-timer', `start ${REPLICATE_TIMER} on the master`, { kind: 'timer', verb: 'start' }));
  if (replicate) steps.push(step('replicate', 'replicate the master to the slave once (systemctl start xivo-ha-replicate.service; it joins a run the timer has just started)', { kind: 'replicate' }));
  if (unpauseSlave) steps.push(step('unpause-slave', 'resume the slave (remove paused.json under the HA lock: its monitor acts again)', { kind: 'unpause', node: 'slave' }));
  return steps;
}

/** `xivo-ha resume`: nothing when neither node is paused. */
export function planResume(facts: PauseFacts): MaintenancePlan {
  const masterPaused = facts.master.paused !== undefined;
  const slavePaused = facts.slave.paused !== undefined;
  if (!masterPaused && !slavePaused) return { procedure: 'resume', steps: [], note: 'not paused: nothing to resume' };
  const timer = facts.master.timer;
  const startTimer = timer !== undefined && timer.active !== 'active' && timer.enabled === 'enabled';
  return { procedure: 'resume', steps: resumeSteps(masterPaused, masterPaused, startTimer, slavePaused) };
}

export interface UpgradeOptions {
  command: string;
  switchover: boolean;
  pause: PauseInfo;
}

/** Every step of a rolling upgrade, all pending. */
function upgradeSteps(o: UpgradeOptions): MaintenanceStep[] {
  const pause = { ...o.pause, ...(o.switchover ? { manual_switches: true } : {}) };
  const everything: PauseFacts = { master: { timer: { active: 'active', enabled: 'enabled' } }, slave: {} };
  const steps = [...pauseSteps(everything, pause), step('upgrade-slave', `upgrade the slave: ${o.command}`, { kind: 'command', node: 'slave', command: o.command })];
  if (o.switchover) steps.push(step('failover', 'planned failover: the slave carries telephony while the master is upgraded', { kind: 'failover' }));
  steps.push(step('upgrade-master', `upgrade the master: ${o.command}`, { kind: 'command', node: 'master', command: o.command }));
  if (o.switchover) steps.push(step('failback', 'planned failback: the master carries telephony again', { kind: 'failback' }));
  steps.push(step('check-versions', 'check that both nodes run the same XiVO version (/usr/share/xivo/XIVO-VERSION)', { kind: 'check-versions' }));
  steps.push(...resumeSteps(true, true, true, true));
  return steps;
}

/**
 * `xivo-ha upgrade`: a new procedure, or the rest of an unfinished one (the
 * saved record's finished steps stay done). An unfinished upgrade with other
 * options is refused: its command may have run on one node already.
 */
export function planUpgrade(o: UpgradeOptions, saved: UpgradeRecord | undefined, recordPath: string): MaintenancePlan {
  const steps = upgradeSteps(o);
  if (!saved || saved.finished) return { procedure: 'upgrade', steps };
  if (saved.command !== o.command || saved.switchover !== o.switchover) {
    const options = `--command '${saved.command}'${saved.switchover ? ' --switchover' : ''}`;
    throw new UserError(
      `an upgrade started by ${saved.by} at ${saved.started} is unfinished, with other options (${options})`,
      `run it again with ${options} to finish it; or, once you have checked both nodes by hand, remove ${recordPath} on the master`,
    );
  }
  const progress = new Map(saved.steps.map((s) => [s.id, s]));
  // Done steps are skipped; a running (interrupted) or failed one is shown as such and runs again.
  for (const s of steps) {
    const before = progress.get(s.id);
    if (before) Object.assign(s, { status: before.status, ...(before.at ? { at: before.at } : {}), ...(before.message ? { message: before.message } : {}) });
  }
  return { procedure: 'upgrade', steps };
}

export function newUpgradeRecord(o: UpgradeOptions, saved: UpgradeRecord | undefined): UpgradeRecord {
  if (saved && !saved.finished) return saved;
  return { version: 1, command: o.command, switchover: o.switchover, by: o.pause.by, started: o.pause.since, steps: [] };
}

export function recordProgress(record: UpgradeRecord, plan: MaintenancePlan, finishedAt?: string): UpgradeRecord {
  return {
    ...record,
    steps: plan.steps.map((s) => ({ id: s.id, status: s.status, ...(s.at ? { at: s.at } : {}), ...(s.message ? { message: s.message } : {}) })),
    ...(finishedAt ? { finished: finishedAt } : {}),
  };
}

export function parseUpgradeRecord(text: string | undefined): UpgradeRecord | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<UpgradeRecord>;
    if (value.version !== 1 || typeof value.command !== 'string' || !Array.isArray(value.steps)) return undefined;
    return value as UpgradeRecord;
  } catch {
    return undefined;
  }
}
