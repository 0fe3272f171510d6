// Where the package's own files are, from both src/ (tests) and dist/ (the CLI).

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const playbooksDir = join(packageRoot, 'playbooks');

/** The playbook shipped for a deployment; with HA disabled, the one that removes what xivo-ha installed. */
export function defaultPlaybook(deployment: string, haEnabled = true): string {
  return join(playbooksDir, haEnabled ? `${deployment}.yml` : `${deployment}-disable.yml`);
}

/**
 * The playbooks run without a playbook argument (docs/deployments.md): the XiVO
 * pair's, then the deployment's own (cc.yml, xds.yml), then edge.yml when the
 * inventory has an Edge. With HA disabled, xivo-disable.yml alone.
 */
export function defaultPlaybooks(deployment: string, haEnabled = true, edge = false): string[] {
  if (!haEnabled) return [defaultPlaybook('xivo', false)];
  return [defaultPlaybook('xivo'), ...(deployment === 'xivo' ? [] : [defaultPlaybook(deployment)]), ...(edge ? [defaultPlaybook('edge')] : [])];
}
