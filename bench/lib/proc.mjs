// Running helper commands (setup, gen.py, apt) as argv arrays, with errors
// that say which command failed and how.

import { spawn, spawnSync } from 'node:child_process';
import { ownProcess, releaseProcess } from './cleanup.mjs';

export class CommandFailed extends Error {
  constructor(argv, code, stderr) {
    const tail = stderr.trim().split('\n').slice(-8).join('\n');
    super(`command failed (exit ${code}): ${argv.join(' ')}${tail ? `\n${tail}` : ''}`);
    this.argv = argv;
    this.code = code;
  }
}

/** Runs to completion; throws CommandFailed on a non-zero exit. Returns stdout. */
export function runSync(argv, options = {}) {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (res.error) throw new CommandFailed(argv, res.error.code ?? 'spawn', String(res.error.message));
  if (res.status !== 0) throw new CommandFailed(argv, res.status ?? res.signal, `${res.stderr ?? ''}${res.stdout ?? ''}`);
  return res.stdout ?? '';
}

/** Like runSync but async, so several can run in parallel; the child is stopped by the cleanup (Ctrl-C). */
export function run(argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    if (child.pid !== undefined) ownProcess(child.pid, argv[0]);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new CommandFailed(argv, 'spawn', e.message)));
    child.on('close', (code, signal) => {
      releaseProcess(child.pid);
      if (code === 0) resolve(out);
      else reject(new CommandFailed(argv, code ?? signal, err + out));
    });
  });
}

export function commandExists(name) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).status === 0;
}
