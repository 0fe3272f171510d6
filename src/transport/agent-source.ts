// How the runner's python reaches a node: nothing is installed there.
// - The agent: a one-line python3 bootstrap reads the agent's source (length
//   line + code) from stdin and runs it; the same stdin then carries the
//   framed requests.
// - The exec supervisor (HostConnection.exec): its source is the `-c`
//   argument, since the command's stdin belongs to the command.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../core/errors.js';

const BOOTSTRAP =
  'import sys;n=int(sys.stdin.buffer.readline());exec(compile(sys.stdin.buffer.read(n),"xivo-ha-agent","exec"))';

/**
 * The command that starts the agent (run it with the preamble on stdin).
 * -I: the node's PYTHONPATH and user site cannot put their modules into a
 * root agent; -S: no site module, since the agent needs the standard library
 * only (and every run waits for this start on every host).
 */
export function agentArgv(python = 'python3'): string[] {
  return [python, '-I', '-S', '-c', BOOTSTRAP];
}

/** A file of src/remote/, found from src/transport/ (tsx) or dist/transport/ (built). */
function remoteSourcePath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'remote', name), join(here, '..', '..', 'src', 'remote', name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new InternalError(`${name} not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function agentSourcePath(): string {
  return remoteSourcePath('agent.py');
}

let agentCode: Buffer | undefined;

/** What to write first on the agent's stdin: the bootstrap's length line and the agent's code. */
export function agentPreamble(): Buffer {
  agentCode ??= readFileSync(agentSourcePath());
  return Buffer.concat([Buffer.from(`${agentCode.length}\n`, 'ascii'), agentCode]);
}

let supervisorCode: string | undefined;

/**
 * How long after an exec's timeout the node ends the command by itself, for
 * when the channel's close cannot reach it (a cut link). The runner's own
 * timer always fires first, so a timeout is reported the same way whichever
 * side ends the command.
 */
const NODE_LIMIT_MARGIN_S = 10;

/**
 * argv run under src/remote/exec-supervisor.py: its process group is killed
 * when the channel (or pipe) that started it closes, or NODE_LIMIT_MARGIN_S
 * after timeoutMs.
 */
export function supervisedArgv(argv: string[], timeoutMs: number | undefined, python = 'python3'): string[] {
  // Without its comment lines: the source is on the node's command line, in every `ps`.
  supervisorCode ??= readFileSync(remoteSourcePath('exec-supervisor.py'), 'utf8')
    .split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n');
  const limitS = timeoutMs === undefined ? 0 : Math.ceil(timeoutMs / 1000) + NODE_LIMIT_MARGIN_S;
  return [python, '-c', supervisorCode, String(limitS), ...argv];
}
