// The newest modification time under a directory, recursively (0 when it
// does not exist): how `npm test` decides to build, and how the integration
// tests refuse a dist/ older than src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Python's bytecode cache (a node program imported by a test) is not source.
    if (entry.name === '__pycache__') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
