// Where the package's own files are, from both src/ (tests) and dist/ (the CLI).

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const playbooksDir = join(packageRoot, 'playbooks');

export function defaultPlaybook(deployment: string): string {
  return join(playbooksDir, `${deployment}.yml`);
}
