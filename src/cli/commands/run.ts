// validate, plan and apply: the same load, then (for plan and apply) the runner.
// The loader, runner and SSH transport are imported by the actions, not at
// start-up: `--help`, `--version` and the other commands need none of them.

import type { Command } from 'commander';
import { ExitCode } from '../../core/events.js';
import { createEmitter } from '../output.js';

interface RunFlags {
  inventory: string;
  limit?: string;
  tags?: string;
  forks?: string;
  extraVars: string[];
  acceptNew?: boolean;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
  detailedExitcode?: boolean;
  skipCheck?: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addRunOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-i, --inventory <file>', 'inventory file (XiVO cluster or plain Ansible YAML)')
    .option('-l, --limit <pattern>', 'only hosts matching this Ansible pattern')
    .option('-t, --tags <tags>', 'only tasks with one of these comma-separated tags')
    .option('-f, --forks <n>', 'hosts worked on in parallel (default: all)')
    .option('-e, --extra-vars <key=value>', 'extra variable, repeatable (wins over every other)', collect, [])
    .option('--accept-new', 'trust and record unknown SSH host keys (never changed ones)')
    .option('--json', 'one JSON event per line on stdout')
    .option('--no-color', 'no colours (also with NO_COLOR or no terminal)')
    .option('-v, --verbose', 'also show tasks that changed nothing, and why');
}

export function registerRunCommands(program: Command): void {
  addRunOptions(program.command('validate').description('load and check the inventory and playbooks; contacts no host'))
    .argument('[playbooks...]')
    .action(async (playbooks: string[], flags: RunFlags) => {
      const { loadInputs, parseExtraVars } = await import('../load-inputs.js');
      const emit = await createEmitter(flags);
      const inputs = loadInputs(flags.inventory, playbooks, parseExtraVars(flags.extraVars));
      const tasks = inputs.playbooks.reduce((n, p) => n + p.plays.reduce((m, play) => m + play.tasks.length + play.handlers.length, 0), 0);
      emit({ type: 'message', level: 'info', text: `valid: ${inputs.inventory.hosts.size} host(s), ${inputs.playbooks.length} playbook(s), ${tasks} task(s)` });
      process.exitCode = ExitCode.ok;
    });

  addRunOptions(program.command('plan').description('dry run: show what apply would change, with diffs'))
    .argument('[playbooks...]')
    .option('--detailed-exitcode', 'exit 2 when changes are pending')
    .action(async (playbooks: string[], flags: RunFlags) => {
      const code = await execute('plan', playbooks, flags);
      process.exitCode = code === ExitCode.changesPending && !flags.detailedExitcode ? ExitCode.ok : code;
    });

  addRunOptions(program.command('apply').description('change what differs, then check that the hosts converged'))
    .argument('[playbooks...]')
    .option('--skip-check <name>', 'provision although this prerequisite check fails (repeatable; announced loudly)', collect, [])
    .action(async (playbooks: string[], flags: RunFlags) => {
      process.exitCode = await execute('apply', playbooks, flags);
    });
}

async function execute(command: 'plan' | 'apply', playbooks: string[], flags: RunFlags): Promise<number> {
  const [{ loadInputs, parseExtraVars }, { runPlaybooks }, { connectSsh }] = await Promise.all([
    import('../load-inputs.js'),
    import('../../core/runner.js'),
    import('../../transport/ssh.js'),
  ]);
  const extraVars = parseExtraVars(flags.extraVars);
  const { inventory, playbooks: loaded } = loadInputs(flags.inventory, playbooks, extraVars);
  const emit = await createEmitter({ ...flags, live: true });
  const connectOptions = { acceptNew: Boolean(flags.acceptNew) };
  if (command === 'apply') {
    // Prerequisites first (src/ha/before-apply.ts): a failed one refuses the whole apply before any write.
    const { runBeforeApplyChecks } = await import('../../ha/before-apply.js');
    const before = await runBeforeApplyChecks(inventory, connectSsh, connectOptions, flags.skipCheck ?? [], emit);
    if (!before.ok) return ExitCode.error;
  }
  const result = await runPlaybooks({
    command,
    inventory,
    playbooks: loaded,
    ...(flags.limit ? { limit: flags.limit } : {}),
    tags: flags.tags ? flags.tags.split(',').map((t) => t.trim()).filter(Boolean) : [],
    ...(flags.forks ? { forks: Number(flags.forks) } : {}),
    extraVars,
    connect: connectSsh,
    connectOptions,
    emit,
  });
  return result.exitCode;
}
