// ansible.builtin.template: renders a controller-side template (the loader
// resolves src against the playbook's templates/ dir, with the task's
// variables and Ansible's settings) and writes it like copy does.
//
// Not supported (the schema refuses them): backup, validate, newline_sequence,
// the block/variable delimiter options, mode=preserve.

import { posix } from 'node:path';
import type { Module, ModulePlan, Probe } from '../core/types.js';
import { bool, requiredString, type Args } from './shared/args.js';
import { copyProbes, planCopy, type CopyTarget } from './shared/copy-like.js';
import { readAttrs } from './shared/file-attrs.js';
import { argsObject, boolArg, fileAttrArgs, textArg } from './shared/schema.js';

function target(args: Args): CopyTarget {
  const src = requiredString(args, 'src');
  return { dest: requiredString(args, 'dest'), srcName: posix.basename(src), force: bool(args, 'force', true), attrs: readAttrs(args) };
}

export const template: Module = {
  name: 'template',
  aliases: ['ansible.builtin.template', 'ansible.legacy.template'],
  argsSchema: argsObject({ src: textArg, dest: textArg, force: boolArg, ...fileAttrArgs }, { required: ['src', 'dest'] }),

  probes(args: Args): Probe[] {
    return copyProbes(target(args));
  },

  plan(args: Args, facts, ctx): ModulePlan {
    const text = ctx.renderTemplateFile(requiredString(args, 'src'));
    return planCopy(target(args), Buffer.from(text, 'utf8'), facts, ctx);
  },
};
