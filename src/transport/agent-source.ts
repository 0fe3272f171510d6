// How the agent reaches a node: a one-line python3 bootstrap reads the
// agent's source (length line + code) from stdin and runs it; the same
// stdin then carries the framed requests. Nothing is installed on the node.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../core/errors.js';

const BOOTSTRAP =
  'import sys;n=int(sys.stdin.buffer.readline());exec(compile(sys.stdin.buffer.read(n),"xivo-ha-agent","exec"))';

/** The command that starts the agent (run it with the preamble on stdin). */
export function agentArgv(python = 'python3'): string[] {
  return [python, '-c', BOOTSTRAP];
}

let cached: Buffer | undefined;

/** src/remote/agent.py, found from src/transport/ (tsx) or dist/transport/ (built). */
export function agentSourcePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'remote', 'agent.py'), join(here, '..', '..', 'src', 'remote', 'agent.py')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new InternalError(`agent.py not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** What to write first on the agent's stdin: the bootstrap's length line and the agent's code. */
export function agentPreamble(): Buffer {
  cached ??= readFileSync(agentSourcePath());
  return Buffer.concat([Buffer.from(`${cached.length}\n`, 'ascii'), cached]);
}
