// xivo_standby_telephony: a standby slave's telephony held back (disabled at
// boot, its unit stopped), never a slave in charge's.
//
// The plan reads the monitor's state, the unit and xivo-service's "disabled"
// marker. The step does not stop anything itself: it runs the node's
// xivo-ha-standby-telephony, which decides again under the HA lock that the
// monitor's takeover holds. A takeover between this run's gather and its step
// therefore keeps the calls it has just taken: with plain `systemd: stopped`
// it lost them until the monitor started telephony again.

import type { Change, Facts, Module, Probe, StepResult } from '../../core/types.js';

interface StandbyTelephonyArgs {
  unit?: string;
  disabled_marker?: string;
  state_file?: string;
  program?: string;
}

const DEFAULTS = {
  unit: 'asterisk.service',
  disabled_marker: '/var/lib/xivo/disabled',
  state_file: '/var/lib/xivo-ha/monitor-state.json',
  program: '/usr/local/sbin/xivo-ha-standby-telephony',
};
/** Monitor states in which the slave carries the calls. */
const IN_CHARGE = new Set(['active', 'failing-back']);
/** ActiveState values of a unit that is running or on its way. */
const RUNNING = new Set(['active', 'activating', 'reloading']);

function settings(args: StandbyTelephonyArgs): typeof DEFAULTS {
  return {
    unit: args.unit ?? DEFAULTS.unit,
    disabled_marker: args.disabled_marker ?? DEFAULTS.disabled_marker,
    state_file: args.state_file ?? DEFAULTS.state_file,
    program: args.program ?? DEFAULTS.program,
  };
}

/** The monitor's state, or undefined when it has none yet (or an unreadable one: held back, as the node program does). */
function monitorState(facts: Facts, path: string): string | undefined {
  const fact = facts.file(path);
  if (!fact.exists || !fact.content) return undefined;
  try {
    const state = (JSON.parse(fact.content.toString('utf8')) as { state?: unknown }).state;
    return typeof state === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

export const xivoStandbyTelephony: Module<StandbyTelephonyArgs> = {
  name: 'xivo_standby_telephony',
  aliases: ['xivo_ha.standby_telephony'],
  argsSchema: {
    type: 'object',
    properties: {
      unit: { type: 'string', minLength: 1 },
      disabled_marker: { type: 'string', pattern: '^/' },
      state_file: { type: 'string', pattern: '^/' },
      program: { type: 'string', pattern: '^/' },
    },
    additionalProperties: false,
  },
  probes(args): Probe[] {
    const s = settings(args);
    return [
      { kind: 'file', path: s.state_file, content: true },
      { kind: 'file', path: s.disabled_marker },
      { kind: 'unit', unit: s.unit },
    ];
  },
  plan(args, facts) {
    const s = settings(args);
    const state = monitorState(facts, s.state_file);
    if (state !== undefined && IN_CHARGE.has(state)) {
      return { changes: [], note: `kept: this slave is in charge (monitor state ${state}); its telephony stays up` };
    }
    const unit = facts.unit(s.unit);
    const todo: string[] = [];
    if (!facts.file(s.disabled_marker).exists) todo.push('disable it at boot (xivo-service disable)');
    if (unit.exists && RUNNING.has(unit.active)) todo.push(`stop ${s.unit}`);
    if (todo.length === 0) return { changes: [], note: `in sync: held back (disabled at boot, ${s.unit} ${unit.exists ? unit.active : 'absent'})` };
    const change: Change = {
      action: 'update',
      target: s.unit,
      summary: `hold back the standby slave's telephony: ${todo.join(', ')} (decided again on the node under the HA lock)`,
      steps: [{ kind: 'exec', argv: [s.program, 'stop', '--unit', s.unit, '--disabled-marker', s.disabled_marker] }],
      // Afterwards (what a later plan of this run sees): the marker exists
      // (only its existence is read) and the unit is inactive.
      assume: [
        { probe: { kind: 'file', path: s.disabled_marker }, value: { exists: true, type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', size: 0 } },
        ...(unit.exists ? [{ probe: { kind: 'unit' as const, unit: s.unit }, value: { ...unit, active: 'inactive' } }] : []),
      ],
    };
    return { changes: [change] };
  },
  // The program prints one line per thing done ("disabled at boot: …",
  // "stopped: …") or kept ("kept: this slave is in charge …", "already …"):
  // a takeover between gather and step leaves it with nothing to do.
  changedAfterApply(_args, stepResults: StepResult[]) {
    const lines = stepResults.flatMap((r) => (r.stdout ?? '').split('\n'));
    const changed = lines.some((l) => /^(disabled at boot|stopped):/.test(l));
    const kept = lines.find((l) => l.startsWith('kept: '));
    return { changed, ...(!changed && kept ? { note: `${kept} (decided on the node, under the HA lock)` } : {}) };
  },
};
