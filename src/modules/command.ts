// ansible.builtin.command: runs argv without a shell. Free-form text (the
// `cmd` key, Ansible's _raw_params) is split like Python's shlex.split;
// `argv` gives the words directly. Without creates/removes it will always run.
//
// Not supported: globs in creates/removes (taken literally), expand_argument_vars.

import type { Module, ModulePlan, Probe, StepResult } from '../core/types.js';
import { ModuleArgError, optionalString, type Args } from './shared/args.js';
import { commandResult, commandSchema, guardProbes, planRun, readGuards, type CommandRun } from './shared/run-command.js';
import { shlexSplit } from './shared/shlex.js';

function parse(args: Args): CommandRun {
  const text = optionalString(args, 'cmd');
  const list = args.argv;
  if (text !== undefined && list !== undefined) throw new ModuleArgError('cmd (free-form) and argv are mutually exclusive');
  let argv: string[];
  if (Array.isArray(list)) argv = list.map((w) => String(w));
  else if (text !== undefined) argv = shlexSplit(text);
  else throw new ModuleArgError('no command given: write it as free-form text, or give cmd or argv');
  if (argv.length === 0) throw new ModuleArgError('no command given: the command is empty');
  return readGuards(args, { argv, cmd: argv, display: text ?? argv.join(' ') });
}

export const command: Module = {
  name: 'command',
  aliases: ['ansible.builtin.command', 'ansible.legacy.command'],
  freeForm: 'cmd',
  argsSchema: commandSchema({ argv: { type: 'array', items: { type: ['string', 'number'] }, minItems: 1 } }),

  probes(args: Args): Probe[] {
    return guardProbes(parse(args));
  },

  plan(args: Args, facts): ModulePlan {
    return planRun(parse(args), facts);
  },

  resultAfterApply(args: Args, stepResults: StepResult[]): Record<string, unknown> {
    return commandResult(parse(args), args, stepResults);
  },
};
