// ansible.builtin.systemd (alias systemd_service): state, enabled, masked and
// daemon_reload of a unit, through systemctl. See shared/systemd-plan.ts for
// the decisions. Not supported: scope, no_block, force, daemon_reexec.

import type { Module, ModulePlan, Probe } from '../core/types.js';
import { ModuleArgError, aliased, choice, optionalBool, type Args } from './shared/args.js';
import { argsObject, boolArg, enumArg, textArg } from './shared/schema.js';
import { planUnit, type UnitRequest } from './shared/systemd-plan.js';

const STATES = ['started', 'stopped', 'restarted', 'reloaded'] as const;

function parse(args: Args): UnitRequest {
  const req: UnitRequest = { daemonReload: (optionalBool(args, 'daemon_reload') ?? optionalBool(args, 'daemon-reload')) === true };
  const name = aliased(args, ['name', 'service', 'unit']);
  if (name !== undefined) req.name = name;
  const state = choice(args, 'state', STATES);
  if (state !== undefined) req.state = state;
  const enabled = optionalBool(args, 'enabled');
  if (enabled !== undefined) req.enabled = enabled;
  const masked = optionalBool(args, 'masked');
  if (masked !== undefined) req.masked = masked;
  if (req.state === undefined && req.enabled === undefined && req.masked === undefined && !req.daemonReload) {
    throw new ModuleArgError('one of state, enabled, masked or daemon_reload is required');
  }
  if ((req.state !== undefined || req.enabled !== undefined || req.masked !== undefined) && req.name === undefined) {
    throw new ModuleArgError('name is required with state, enabled or masked');
  }
  return req;
}

export const systemd: Module = {
  name: 'systemd',
  aliases: ['ansible.builtin.systemd', 'ansible.builtin.systemd_service', 'systemd_service', 'ansible.legacy.systemd', 'ansible.legacy.systemd_service'],
  argsSchema: argsObject({
    name: textArg,
    service: textArg,
    unit: textArg,
    state: enumArg(STATES),
    enabled: boolArg,
    masked: boolArg,
    daemon_reload: boolArg,
    'daemon-reload': boolArg,
  }),

  probes(args: Args): Probe[] {
    const req = parse(args);
    return req.name === undefined ? [] : [{ kind: 'unit', unit: req.name }];
  },

  plan(args: Args, facts): ModulePlan {
    return planUnit(parse(args), facts);
  },
};
