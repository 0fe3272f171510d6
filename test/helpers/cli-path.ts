// Where integration tests find the xivo-ha CLI: dist/bundle/xivo-ha.cjs,
// package.json's bin, as an operator runs it. Running the sources through tsx
// instead costs about half a second of CPU per call (the whole engine is
// transpiled in each new process), and the suite makes hundreds of calls on
// 2 cores. `npm test`
// builds dist when src is newer; a test file run on its own checks it here,
// so a stale build fails loudly instead of testing old code.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { newestMtime } from '../newest-mtime.mjs';
import { ENTRY_FILE } from '../../src/build/bundle-files.js';

export const packageRoot = join(import.meta.dirname, '..', '..');
export const cliPath = join(packageRoot, 'dist', 'bundle', ENTRY_FILE);

let checked = false;

/** The compiled CLI; throws when it is missing or older than a source file. */
export function builtCli(): string {
  if (checked) return cliPath;
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` (npm test does it)`);
  if (newestMtime(join(packageRoot, 'src')) > newestMtime(join(packageRoot, 'dist'))) {
    throw new Error('dist/ is older than src/: run `npm run build` (npm test does it) so the tests run the current code');
  }
  checked = true;
  return cliPath;
}
