// Path helpers for remote (POSIX) paths.

import { posix } from 'node:path';

/** Every ancestor of an absolute path, nearest first, "/" excluded. */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = posix.dirname(path); dir !== '/' && dir !== '.'; dir = posix.dirname(dir)) out.push(dir);
  return out;
}

/** A symlink's target as seen from the link's directory (Ansible checks src existence this way). */
export function linkTargetPath(linkPath: string, target: string): string {
  return posix.resolve(posix.dirname(linkPath), target);
}

export function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}
