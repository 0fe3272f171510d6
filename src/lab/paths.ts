// Where the lab keeps things on the runner machine (docs/interfaces.md §7).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTANCE_TAG } from './instance.js';

/** The package root, from both src/lab (tests) and dist/lab (the CLI). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the base image's inputs are, relative to the package root (the image's key hashes these names, never a checkout's path). */
export const ASSETS_DIR_IN_PACKAGE = join('src', 'lab', 'assets');
export const SCHEMA_SQL_IN_PACKAGE = join('test', 'fixtures', 'xivo-asterisk-schema.sql');

export const assetsDir = join(packageRoot, ASSETS_DIR_IN_PACKAGE);
export const schemaSqlPath = join(packageRoot, SCHEMA_SQL_IN_PACKAGE);
export const defaultInventoryDir = join(packageRoot, `.lab${INSTANCE_TAG}`);

export const cacheDir = '/var/cache/xivo-ha-lab';
export const stateDir = `/var/lib/xivo-ha-lab${INSTANCE_TAG}`;
export const stateFile = join(stateDir, 'state.json');
export const runnerKey = join(stateDir, 'id_ed25519');
export const knownHostsFile = join(stateDir, 'known_hosts');

export function nodeDir(node: string): string {
  return join(stateDir, 'nodes', node);
}

/** Kept outside the node's upper layer so `reset` keeps the node's identity. */
export function hostKeysDir(node: string): string {
  return join(stateDir, 'host-keys', node);
}
