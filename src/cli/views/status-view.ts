// The human form of `xivo-ha status`.

import type { ClusterStatus, NodeStatus } from '../../ha/status.js';
import type { Palette } from './colors.js';

function ago(seconds: number): string {
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

function monitorLine(n: NodeStatus, c: Palette): string {
  const m = n.monitor;
  if (!m) return n.role === 'slave' ? c.yellow('monitor: no state') : '';
  const who = n.role === 'slave' ? 'monitor' : 'guard';
  const state = String(m.state ?? '?');
  const tone = state === 'active' || state === 'held' ? c.yellow : c.green;
  return `${who}: ${tone(state)}${m.since ? ` since ${String(m.since)}` : ''}${m.reason ? c.dim(` (${String(m.reason)})`) : ''}`;
}

export function renderClusterStatus(s: ClusterStatus, c: Palette): string {
  const lines: string[] = [];
  const activeTone = s.active === 'both' || s.active === 'none' ? c.red : c.green;
  lines.push(`${c.bold(`cluster ${s.cluster}`)} (${s.deployment})   telephony on: ${activeTone(s.active)}`);
  for (const n of s.nodes) {
    if (!n.reachable) {
      lines.push(`  ${n.name.padEnd(10)} ${n.address.padEnd(15)} ${c.red('UNREACHABLE')} ${n.error ?? ''}`);
      continue;
    }
    const tel = n.telephony === 'running' ? c.green('running') : c.dim('stopped');
    lines.push(`  ${n.name.padEnd(10)} ${n.address.padEnd(15)} ha.conf: ${(n.nodeType ?? '-').padEnd(8)} telephony: ${tel}   ${monitorLine(n, c)}`);
  }
  if (s.replication) {
    const r = s.replication;
    const result = r.result === 'ok' ? c.green('ok') : c.red(r.result ?? '?');
    lines.push(`  replication: last run ${result}${r.durationS !== undefined ? ` in ${r.durationS.toFixed(1)} s` : ''}${r.reason ? ` (${r.reason})` : ''}; last success ${r.ageS !== undefined ? ago(r.ageS) : 'never'}`);
  }
  if (s.paused) {
    const p = s.paused;
    const on = s.nodes.filter((n) => n.paused).map((n) => n.name).join(' and ');
    const timer = s.nodes.find((n) => n.role === 'master')?.units['xivo-ha-replicate.timer']?.active ?? 'not installed';
    const monitor = s.nodes.find((n) => n.role === 'slave')?.monitor?.paused === true ? 'paused' : 'not yet seen the pause';
    lines.push(c.yellow(`  PAUSED on ${on} since ${String(p.since ?? '?')} by ${String(p.by ?? '?')}: ${String(p.reason || 'no reason given')}`));
    lines.push(`    replication timer: ${timer}; monitor: ${monitor}` + c.dim(' (no replication, no automatic takeover or failback until `xivo-ha resume`)'));
  }
  const slave = s.nodes.find((n) => n.role === 'slave');
  const history = (slave?.monitor?.history as Array<{ at: string; from: string; to: string; reason: string }> | undefined) ?? [];
  if (history.length) {
    lines.push('  recent transitions:');
    for (const h of history.slice(-5)) lines.push(`    ${h.at}  ${h.from} → ${h.to}  ${c.dim(h.reason)}`);
  }
  const actions = (slave?.monitor?.last_actions as Array<{ at: string; phase: string; argv: string[]; rc: number; attempts?: number }> | undefined) ?? [];
  if (actions.length) {
    lines.push('  last actions (takeover or failback, in order):');
    for (const a of actions) {
      const line = `    ${a.at}  ${a.phase}  ${shortArgv(a.argv)}  rc ${a.rc}` + ((a.attempts ?? 1) > 1 ? ` after ${a.attempts} attempts` : '');
      lines.push(a.rc === 0 ? line : c.yellow(line));
    }
  }
  for (const w of s.warnings) lines.push(c.yellow(`  ! ${w}`));
  return lines.join('\n');
}

/** An action's command as an operator reads it: ssh's options dropped (`ssh root@HOST COMMAND`). */
function shortArgv(argv: string[]): string {
  const at = argv[0] === 'ssh' ? argv.findIndex((w, i) => i > 0 && /^[^-][^ ]*@/.test(w) && argv[i - 1]?.startsWith('-') !== true) : -1;
  return at > 0 ? ['ssh', ...argv.slice(at)].join(' ') : argv.join(' ');
}
