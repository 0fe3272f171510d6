// ansible.builtin.shell: runs its text with /bin/sh -c (or `executable`).
// Without creates/removes it will always run.

import type { Module, ModulePlan, Probe, StepResult } from '../core/types.js';
import { optionalString, requiredString, type Args } from './shared/args.js';
import { commandResult, commandSchema, guardProbes, planRun, readGuards, type CommandRun } from './shared/run-command.js';
import { textArg } from './shared/schema.js';

function parse(args: Args): CommandRun {
  const text = requiredString(args, 'cmd');
  const shell = optionalString(args, 'executable') ?? '/bin/sh';
  return readGuards(args, { argv: [shell, '-c', text], cmd: text, display: text });
}

export const shell: Module = {
  name: 'shell',
  aliases: ['ansible.builtin.shell', 'ansible.legacy.shell'],
  freeForm: 'cmd',
  argsSchema: commandSchema({ executable: textArg }),

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
