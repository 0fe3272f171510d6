// Deciding systemctl actions for a unit, as ansible's systemd module does:
// mask/unmask first, then enable/disable, then the state. One change per
// action, each telling the facts model what the unit looks like afterwards.
//
// daemon_reload: Ansible runs it on every run and reports it as unchanged.
// A change here always counts as changed, so: with other actions it is the
// first step of the first change; alone (no `name`) it is a change that
// always runs; with a name and nothing else to do it is skipped (the note
// says so): running it would report a change Ansible does not report.

import type { Change, Facts, ModulePlan, Step, UnitFact } from '../../core/types.js';

export type UnitState = 'started' | 'stopped' | 'restarted' | 'reloaded';

export interface UnitRequest {
  name?: string;
  state?: UnitState;
  enabled?: boolean;
  masked?: boolean;
  daemonReload: boolean;
}

/** is-enabled states Ansible counts as enabled (systemctl is-enabled exits 0, minus the ones Ansible re-enables). */
const ENABLED_STATES = new Set(['enabled', 'linked', 'linked-runtime', 'static', 'generated', 'transient']);

export function planUnit(req: UnitRequest, facts: Facts): ModulePlan {
  const reload: Step = { kind: 'exec', argv: ['systemctl', 'daemon-reload'] };
  if (req.name === undefined) {
    if (!req.daemonReload) return { changes: [], note: 'nothing to do' };
    return {
      changes: [{ action: 'run', target: 'systemd', summary: 'reload the systemd manager configuration (daemon-reload)', steps: [reload], alwaysRuns: true }],
    };
  }
  const name = req.name;
  let unit: UnitFact = facts.unit(name);
  const changes: Change[] = [];
  const notes: string[] = [];
  const act = (action: Change['action'], verb: string, after: Partial<UnitFact>, alwaysRuns = false): void => {
    unit = { ...unit, ...after };
    const change: Change = {
      action,
      target: name,
      summary: `${verb} ${name}`,
      steps: [{ kind: 'exec', argv: ['systemctl', verb, name] }],
      assume: [{ probe: { kind: 'unit', unit: name }, value: { ...unit } }],
    };
    if (alwaysRuns) change.alwaysRuns = true;
    changes.push(change);
  };

  if (req.masked !== undefined) {
    const masked = unit.enabled === 'masked';
    if (masked !== req.masked) act('update', req.masked ? 'mask' : 'unmask', { enabled: req.masked ? 'masked' : 'disabled' });
    else notes.push(req.masked ? 'masked' : 'not masked');
  }
  if ((req.enabled !== undefined || req.state !== undefined) && !unit.exists) {
    return { changes: [], failed: `Could not find the requested service ${name}: host` };
  }
  if (req.enabled !== undefined) {
    const enabled = ENABLED_STATES.has(unit.enabled);
    if (enabled !== req.enabled) act('update', req.enabled ? 'enable' : 'disable', { enabled: req.enabled ? 'enabled' : 'disabled' });
    else notes.push(req.enabled ? `enabled (${unit.enabled})` : 'disabled');
  }
  if (req.state !== undefined) {
    // Ansible's is_running_service: a 'reloading' unit counts as not running, so
    // `stopped` leaves it and `started` starts it (xivo_standby_telephony, which
    // must stop it, has its own set).
    const running = unit.active === 'active' || unit.active === 'activating';
    if (req.state === 'started') {
      if (!running) act('update', 'start', { active: 'active' });
      else notes.push('running');
    } else if (req.state === 'stopped') {
      if (running || unit.active === 'deactivating') act('update', 'stop', { active: 'inactive' });
      else notes.push('stopped');
    } else if (!running) {
      act('update', 'start', { active: 'active' });
    } else {
      // restarted/reloaded always act, so they are not drift after apply.
      act('restart', req.state === 'restarted' ? 'restart' : 'reload', { active: 'active' }, true);
    }
  }
  const first = changes[0];
  if (req.daemonReload && first) first.steps.unshift(reload);
  if (changes.length > 0) return { changes };
  const reloadNote = req.daemonReload ? '; daemon-reload not run: nothing else changes (Ansible would run it and report no change)' : '';
  return { changes: [], note: `in sync: ${name} is ${notes.join(', ')}${reloadNote}` };
}
