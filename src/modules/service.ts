// ansible.builtin.service, the subset that means the same on every systemd
// host (Ansible delegates to its systemd module there): name, state, enabled.
// Not supported: pattern, sleep, runlevel, arguments, use.

import type { Module, ModulePlan, Probe } from '../core/types.js';
import { ModuleArgError, choice, optionalBool, requiredString, type Args } from './shared/args.js';
import { argsObject, boolArg, enumArg, textArg } from './shared/schema.js';
import { planUnit, type UnitRequest } from './shared/systemd-plan.js';

const STATES = ['started', 'stopped', 'restarted', 'reloaded'] as const;

function parse(args: Args): UnitRequest {
  const req: UnitRequest = { name: requiredString(args, 'name'), daemonReload: false };
  const state = choice(args, 'state', STATES);
  if (state !== undefined) req.state = state;
  const enabled = optionalBool(args, 'enabled');
  if (enabled !== undefined) req.enabled = enabled;
  if (req.state === undefined && req.enabled === undefined) throw new ModuleArgError('one of state or enabled is required');
  return req;
}

export const service: Module = {
  name: 'service',
  aliases: ['ansible.builtin.service', 'ansible.legacy.service'],
  argsSchema: argsObject({ name: textArg, state: enumArg(STATES), enabled: boolArg }, { required: ['name'] }),

  probes(args: Args): Probe[] {
    return [{ kind: 'unit', unit: parse(args).name! }];
  },

  plan(args: Args, facts): ModulePlan {
    return planUnit(parse(args), facts);
  },
};
