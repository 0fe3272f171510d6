// ansible.builtin.debug. Contract with the runner (prepareArgs in
// src/core/task-plan.ts): `msg` arrives templated; for `var` the runner passes
// the variable's name as `var` and its evaluated value as `value` (undefined
// when the variable is not defined). verbosity is accepted and ignored: every
// debug message is shown.

import type { Module, ModulePlan } from '../core/types.js';
import { ModuleArgError, type Args } from './shared/args.js';
import { argsObject } from './shared/schema.js';

export const debug: Module = {
  name: 'debug',
  aliases: ['ansible.builtin.debug', 'ansible.legacy.debug'],
  argsSchema: argsObject({ msg: {}, var: { type: 'string' }, verbosity: { type: ['integer', 'string'] } }, { not: { required: ['msg', 'var'] } }),

  probes: () => [],

  plan(args: Args): ModulePlan {
    if (args.msg !== undefined && args.var !== undefined) throw new ModuleArgError('msg and var are mutually exclusive');
    if (typeof args.var === 'string') {
      const value = 'value' in args && args.value !== undefined ? args.value : 'VARIABLE IS NOT DEFINED!';
      return { changes: [], result: { changed: false, [args.var]: value }, messages: [`${args.var}: ${render(value)}`] };
    }
    const msg = args.msg ?? 'Hello world!';
    return { changes: [], result: { changed: false, msg }, messages: [render(msg)] };
  },
};

/** Strings as they are; anything else as indented JSON (Ansible's callback output). */
function render(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 4) ?? String(value);
}
