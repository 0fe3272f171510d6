// Planned switches for maintenance: `xivo-ha failover` and `xivo-ha failback`.
// The slave's monitor stays the one owner of the state machine: we ask it
// (`xivo-ha-monitor request …` on the slave) and it performs the transition
// under the HA lock, logged with "manual failover by WHO". What only the
// workstation can do is done here: stopping the master's telephony before
// the takeover, recording the master's guard as `held`, and starting the
// master's telephony after the failback. Every step is announced before it
// runs; every check that can refuse runs before the first change.

import type { ClusterNode } from '../core/model.js';
import { UserError } from '../core/errors.js';
import type { HostConnection } from '../transport/types.js';
import { gatherNodeStatus, TELEPHONY_UNIT, type NodeStatus } from './status.js';

export const MONITOR_PROGRAM = '/usr/local/sbin/xivo-ha-monitor';
export const GUARD_PROGRAM = '/usr/local/sbin/xivo-ha-guard';
export const MONITOR_UNIT = 'xivo-ha-monitor.service';

/** The target is not ready: nothing was changed. */
export class SwitchRefused extends UserError {}

/** A step failed after something was changed: the detail says where things stand. */
export class SwitchFailed extends UserError {}

export interface SwitchNodes {
  master: ClusterNode;
  slave: ClusterNode;
  /** A missing connection is an unreachable node; connectErrors says why. */
  conns: Map<string, HostConnection>;
  connectErrors: Map<string, string>;
}

export interface SwitchOptions {
  /** Who asks, for the monitor's log ("manual failover by alice@laptop"). */
  by: string;
  /** Called before each step runs, and with its outcome. */
  report: (text: string, level?: 'info' | 'warning') => void;
}

/** What `xivo-ha-monitor request` printed: the daemon's result. */
interface MonitorResult {
  ok?: boolean;
  message?: string;
  state?: string;
}

function connection(nodes: SwitchNodes, node: ClusterNode, role: string, why: string): HostConnection {
  const conn = nodes.conns.get(node.name);
  if (!conn) throw new SwitchRefused(`${why}: the ${role} ${node.name} (${node.address}) is unreachable: ${nodes.connectErrors.get(node.name) ?? 'no connection'}`);
  return conn;
}

function monitorState(status: NodeStatus): string {
  const state = status.monitor?.state;
  return typeof state === 'string' ? state : 'unknown (no monitor-state.json)';
}

function parseResult(stdout: string): MonitorResult {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as MonitorResult) : {};
  } catch {
    return { message: stdout.trim() || 'no answer' };
  }
}

async function requestFromMonitor(slave: HostConnection, action: 'takeover' | 'failback', by: string): Promise<{ rc: number; result: MonitorResult; stderr: string }> {
  const run = await slave.exec([MONITOR_PROGRAM, 'request', action, '--by', by], { timeoutMs: 60 * 60_000 });
  return { rc: run.rc, result: parseResult(run.stdout), stderr: run.stderr.trim() };
}

async function systemctl(conn: HostConnection, verb: 'start' | 'stop', what: string): Promise<void> {
  const run = await conn.exec(['systemctl', verb, TELEPHONY_UNIT], { timeoutMs: 5 * 60_000 });
  if (run.rc !== 0) throw new SwitchFailed(`systemctl ${verb} ${TELEPHONY_UNIT} on ${what} exited ${run.rc}`, run.stderr.trim().slice(-400));
}

async function slaveReadiness(nodes: SwitchNodes, why: string): Promise<{ conn: HostConnection; status: NodeStatus }> {
  const conn = connection(nodes, nodes.slave, 'slave', why);
  const status = await gatherNodeStatus(nodes.slave, conn);
  if (status.paused && status.paused.manual_switches !== true) throw new SwitchRefused(`${why}: the HA is paused (${JSON.stringify(status.paused)})`, 'run `xivo-ha resume -i INV` first');
  const unit = status.units[MONITOR_UNIT];
  if (unit?.active !== 'active') {
    throw new SwitchRefused(`${why}: ${MONITOR_UNIT} is ${unit?.active ?? 'not installed'} on the slave ${nodes.slave.name}`, 'run `xivo-ha apply -i INV` to install and start it');
  }
  return { conn, status };
}

/**
 * Planned failover: stop the master's telephony, have the slave's monitor
 * take over at once, record the master's guard as `held`. The slave then
 * stays active until `failback` (the monitor's manual rule).
 */
export async function failover(nodes: SwitchNodes, options: SwitchOptions): Promise<void> {
  const why = 'failover refused';
  const { conn: slave, status } = await slaveReadiness(nodes, why);
  const state = monitorState(status);
  if (state !== 'standby') throw new SwitchRefused(`${why}: the slave's monitor is ${state}, not standby`, state === 'active' ? 'the slave already carries telephony' : 'see `xivo-ha status -i INV`');
  const master = connection(nodes, nodes.master, 'master', why);
  const { master: m, slave: s } = nodes;

  options.report(`stopping telephony on the master ${m.name} (systemctl stop ${TELEPHONY_UNIT})`);
  await systemctl(master, 'stop', `the master ${m.name}`);

  options.report(`asking the slave ${s.name}'s monitor to take over now (${MONITOR_PROGRAM} request takeover)`);
  const { rc, result, stderr } = await requestFromMonitor(slave, 'takeover', options.by);
  if (rc !== 0) {
    const after = monitorState(await gatherNodeStatus(s, slave));
    const told = result.message ?? (stderr || `exit ${rc}`);
    if (after === 'standby') {
      options.report(`the slave did not take over (${told}): restarting telephony on the master ${m.name}`, 'warning');
      await systemctl(master, 'start', `the master ${m.name}`);
      throw new SwitchFailed(`failover failed: ${told}`, `the master ${m.name} carries telephony again`);
    }
    throw new SwitchFailed(`failover incomplete: ${told}`, `the slave's monitor is ${after}; see \`xivo-ha status -i INV\` and journalctl -u ${MONITOR_UNIT} on ${s.name}`);
  }
  options.report(`the slave ${s.name} is ${result.state ?? 'active'}: ${result.message ?? 'takeover done'}`);

  // The guard exits 1 when it holds telephony back: that is the outcome we want.
  options.report(`recording the master's guard decision (${GUARD_PROGRAM})`);
  const guard = await master.exec([GUARD_PROGRAM], { timeoutMs: 60_000 });
  if (guard.rc === 0) {
    options.report(`the master's guard did not see the slave in charge: a restart of ${TELEPHONY_UNIT} on ${m.name} would start telephony (${guard.stdout.trim()})`, 'warning');
  } else {
    options.report(`the master's telephony is held by its guard until \`xivo-ha failback\``);
  }
}

/**
 * Planned failback: the slave's monitor copies back, stops its telephony and
 * stands by; then the master's telephony starts (its guard now releases it).
 */
export async function failback(nodes: SwitchNodes, options: SwitchOptions): Promise<void> {
  const why = 'failback refused';
  const { conn: slave, status } = await slaveReadiness(nodes, why);
  const state = monitorState(status);
  if (state !== 'active') throw new SwitchRefused(`${why}: the slave's monitor is ${state}, not active`, 'nothing to fail back');
  const master = connection(nodes, nodes.master, 'master', why);
  const { master: m, slave: s } = nodes;

  options.report(`asking the slave ${s.name}'s monitor to fail back now: copy-back, then its telephony stops (${MONITOR_PROGRAM} request failback)`);
  const { rc, result, stderr } = await requestFromMonitor(slave, 'failback', options.by);
  const after = monitorState(await gatherNodeStatus(s, slave));
  if (after !== 'standby') {
    const told = result.message ?? (stderr || `exit ${rc}`);
    if (after === 'active' && rc === 1) throw new SwitchRefused(`${why}: ${told}`);
    throw new SwitchFailed(`failback incomplete: ${told}`, `the slave's monitor is ${after}; see journalctl -u ${MONITOR_UNIT} on ${s.name}`);
  }
  if (rc !== 0) options.report(`the slave stood down with problems: ${result.message ?? stderr} (see \`xivo-ha status -i INV\`)`, 'warning');
  else options.report(`the slave ${s.name} is standby: ${result.message ?? 'failback done'}`);

  options.report(`starting telephony on the master ${m.name} (systemctl start ${TELEPHONY_UNIT}; its guard releases it)`);
  await systemctl(master, 'start', `the master ${m.name}`);
  options.report(`the master ${m.name} carries telephony`);
}
