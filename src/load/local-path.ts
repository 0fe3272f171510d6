// Paths written in an inventory: `~` is the operator's home, and a relative
// path is relative to the inventory file, not to wherever xivo-ha was started.

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export function resolveLocalPath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
