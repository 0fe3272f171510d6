// xivo-ha status: one read-only round trip per XiVO node, then a summary an
// operator reads at a glance: which node carries telephony, the monitor's
// state and last transitions, replication age and result, pause.

import type { ClusterNode } from '../core/model.js';
import type { FileFact, Probe, UnitFact } from '../core/types.js';
import { probeKey } from '../core/types.js';
import type { HostConnection } from '../transport/types.js';

export const STATE_DIR = '/var/lib/xivo-ha';
export const TELEPHONY_UNIT = 'asterisk.service';

export interface NodeStatus {
  name: string;
  role: string;
  address: string;
  reachable: boolean;
  error?: string;
  /** From /etc/xivo/ha.conf. */
  nodeType?: string;
  telephony: 'running' | 'stopped' | 'unknown';
  units: Record<string, { active: string; enabled: string }>;
  /** monitor-state.json: the slave's monitor, or the master's guard. */
  monitor?: Record<string, unknown>;
  replication?: Record<string, unknown>;
  paused?: Record<string, unknown>;
}

export interface ClusterStatus {
  cluster: string;
  deployment: string;
  /** Which node carries telephony now. "both" is a split brain. */
  active: string;
  nodes: NodeStatus[];
  replication?: {
    result?: string;
    reason?: string | null;
    ended?: string;
    durationS?: number;
    lastSuccess?: string;
    ageS?: number;
  };
  paused?: Record<string, unknown>;
  warnings: string[];
}

const UNITS = [TELEPHONY_UNIT, 'xivo-ha-replicate.timer', 'xivo-ha-monitor.service'];
const FILES = ['/etc/xivo/ha.conf', `${STATE_DIR}/monitor-state.json`, `${STATE_DIR}/replication-status.json`, `${STATE_DIR}/paused.json`];

export function statusProbes(): Probe[] {
  return [...FILES.map((path): Probe => ({ kind: 'file', path, content: true })), ...UNITS.map((unit): Probe => ({ kind: 'unit', unit }))];
}

function json(fact: FileFact | undefined): Record<string, unknown> | undefined {
  if (!fact || !fact.exists || !fact.content) return undefined;
  try {
    return JSON.parse(fact.content.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { unreadable: true };
  }
}

export async function gatherNodeStatus(node: ClusterNode, conn: HostConnection | undefined, error?: string): Promise<NodeStatus> {
  const base: NodeStatus = { name: node.name, role: node.role, address: node.address, reachable: false, telephony: 'unknown', units: {} };
  if (!conn) return { ...base, ...(error ? { error } : {}) };
  const facts = await conn.probe(statusProbes());
  const file = (path: string) => facts.get(probeKey({ kind: 'file', path })) as FileFact | undefined;
  const units: NodeStatus['units'] = {};
  for (const unit of UNITS) {
    const u = facts.get(probeKey({ kind: 'unit', unit })) as UnitFact | undefined;
    if (u?.exists) units[unit] = { active: u.active, enabled: u.enabled };
  }
  const haConf = json(file('/etc/xivo/ha.conf'));
  const status: NodeStatus = {
    ...base,
    reachable: true,
    units,
    telephony: units[TELEPHONY_UNIT]?.active === 'active' ? 'running' : 'stopped',
  };
  if (typeof haConf?.node_type === 'string') status.nodeType = haConf.node_type;
  const monitor = json(file(`${STATE_DIR}/monitor-state.json`));
  if (monitor) status.monitor = monitor;
  const replication = json(file(`${STATE_DIR}/replication-status.json`));
  if (replication) status.replication = replication;
  const paused = json(file(`${STATE_DIR}/paused.json`));
  if (paused) status.paused = paused;
  return status;
}

export function summarise(cluster: string, deployment: string, nodes: NodeStatus[], now = Date.now()): ClusterStatus {
  const master = nodes.find((n) => n.role === 'master');
  const slave = nodes.find((n) => n.role === 'slave');
  const warnings: string[] = [];
  const running = nodes.filter((n) => n.telephony === 'running').map((n) => n.name);
  let active = running.length === 2 ? 'both' : running.length === 1 ? running[0]! : 'none';
  if (running.length === 0 && nodes.some((n) => n.telephony === 'unknown')) active = 'unknown';
  if (active === 'both') warnings.push('SPLIT BRAIN: telephony runs on both nodes');
  if (active === 'none') warnings.push('telephony runs on no node');
  for (const n of nodes) if (!n.reachable) warnings.push(`${n.name} is unreachable: ${n.error ?? 'no answer'}`);

  const record = (master?.replication ?? slave?.replication) as { last?: Record<string, unknown>; last_success?: Record<string, unknown> } | undefined;
  const out: ClusterStatus = { cluster, deployment, active, nodes, warnings };
  if (record) {
    const last = record.last ?? {};
    const success = record.last_success;
    const ended = typeof success?.ended === 'string' ? success.ended : undefined;
    out.replication = {
      ...(typeof last.result === 'string' ? { result: last.result } : {}),
      ...(last.reason !== undefined ? { reason: last.reason as string | null } : {}),
      ...(typeof last.ended === 'string' ? { ended: last.ended } : {}),
      ...(typeof last.duration_s === 'number' ? { durationS: last.duration_s } : {}),
      ...(ended ? { lastSuccess: ended, ageS: Math.round((now - Date.parse(ended)) / 1000) } : {}),
    };
    if (last.result && last.result !== 'ok') warnings.push(`last replication ${String(last.result)}: ${String(last.reason ?? 'see the journal of xivo-ha-replicate.service')}`);
    if (out.replication.ageS !== undefined && out.replication.ageS > 2 * 3600) warnings.push(`the slave's copy is ${Math.round(out.replication.ageS / 60)} minutes old`);
  } else if (master?.reachable) {
    warnings.push('no replication has run yet');
  }
  const paused = master?.paused ?? slave?.paused;
  if (paused) out.paused = paused;
  for (const [n, other] of [[master, slave], [slave, master]] as const) {
    if (n?.paused && other?.reachable && !other.paused) warnings.push(`only ${n.name} is paused: run \`xivo-ha pause -i INV\` to finish pausing, or \`xivo-ha resume -i INV\``);
  }
  const monitor = slave?.monitor;
  if (slave?.reachable && !monitor) warnings.push('the slave has no monitor state: is xivo-ha-monitor.service running?');
  for (const f of (monitor?.failed_actions as unknown[] | undefined) ?? []) warnings.push(`failed action: ${JSON.stringify(f)}`);
  const unsent = (monitor?.copyback as { unsent_user_settings?: unknown[] } | undefined)?.unsent_user_settings;
  if (unsent?.length) warnings.push(`${unsent.length} user setting(s) changed on the slave were not carried back: ${JSON.stringify(unsent)}`);
  return out;
}
