// What runs on this machine, for tests whose commands run here (the
// loopback sshd, the local connection).

import { spawnSync } from 'node:child_process';

/** True while a process whose command line contains text is alive. */
export function processRunning(text: string): boolean {
  return spawnSync('pgrep', ['-f', text]).status === 0;
}
