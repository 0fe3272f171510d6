// xivo-ha command line. Errors are caught here, at the boundary, and turned
// into a located message and an exit code (docs/interfaces.md §4).

import { Command, CommanderError } from 'commander';
import { ConfigError, UserError, formatDiagnostic } from '../core/errors.js';
import { ExitCode } from '../core/events.js';
import { redact } from '../core/secret.js';
import { registerRunCommands } from './commands/run.js';
import { registerLabCommand } from './lab-command.js';
import { registerCheckCommand } from './commands/check.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerStatusCommand } from './commands/status.js';
import { registerUnlockCommand } from './commands/unlock.js';
import { registerReplicateCommand } from './commands/replicate.js';
import { registerFailoverCommands } from './commands/failover.js';
import { registerPauseCommand } from './commands/pause.js';
import { registerResumeCommand } from './commands/resume.js';
import { registerUpgradeCommand } from './commands/upgrade.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  success; everything in sync
  1  error before any host was changed (usage, validation, internal error)
  2  plan --detailed-exitcode: changes pending (verify: differences found)
  3  some hosts failed or were unreachable (wins over 2)`;

export function buildProgram(): Command {
  const program = new Command('xivo-ha')
    .description('Build and run high-availability XiVO clusters: plan, apply, check, fail over.')
    .version('0.1.0')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .showHelpAfterError();
  registerRunCommands(program);
  registerCheckCommand(program);
  registerVerifyCommand(program);
  registerStatusCommand(program);
  registerUnlockCommand(program);
  registerReplicateCommand(program);
  registerFailoverCommands(program);
  registerPauseCommand(program);
  registerResumeCommand(program);
  registerUpgradeCommand(program);
  registerLabCommand(program);
  registerDemoCommand(program);
  return program;
}

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return reportError(err, wantsJson(argv));
  }
}

function reportError(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.error;
  }
  const time = new Date().toISOString();
  if (err instanceof ConfigError) {
    for (const d of err.diagnostics) {
      if (json) process.stdout.write(redact(JSON.stringify({ type: 'diagnostic', diagnostic: d, time })) + '\n');
      else process.stderr.write(redact(formatDiagnostic(d)) + '\n');
    }
    return ExitCode.error;
  }
  const message = err instanceof UserError ? `${err.message}${err.detail ? `\n${err.detail}` : ''}` : `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nThis is a bug in xivo-ha, please report it.`;
  if (json) process.stdout.write(redact(JSON.stringify({ type: 'message', level: 'error', text: message, time })) + '\n');
  else process.stderr.write(`error: ${redact(message)}\n`);
  return ExitCode.error;
}
