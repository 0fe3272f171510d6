// `xivo-ha lab inventory`: a ready XiVO inventory (docs/interfaces.md §1) for
// the lab's nodes, with a known_hosts file beside it so nothing is trusted on
// first use.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { defaultInventoryDir, runnerKey } from './paths.js';
import { renderKnownHosts } from './ssh.js';
import { ensureNodeIdentity } from './node-disk.js';
import { ALL_NODES, RUNNER_ADDRESS, selectNodes, type LabDeployment, type LabNode } from './topology.js';

export interface LabInventoryOptions {
  deployment: LabDeployment;
  edge?: boolean;
  /** Directory for the inventory and known_hosts (default: .lab/ of the package). */
  outDir?: string;
  /** Monitor profile (default: fast, which is what lab scenarios want). */
  profile?: 'default' | 'fast';
  /** Use the runner's bridge address as the monitor's witness (default: yes). */
  witness?: boolean;
  cluster?: string;
}

export interface LabInventoryFiles {
  inventory: string;
  knownHosts: string;
  nodes: LabNode[];
}

export const TURN_SECRET_FILE = 'turn_secret';

export function inventoryFileName(deployment: LabDeployment, edge: boolean): string {
  return `inventory-${deployment}${edge ? '-edge' : ''}.yml`;
}

export function renderLabInventory(options: LabInventoryOptions): string {
  const nodes = selectNodes({ deployment: options.deployment, edge: options.edge });
  const doc: Record<string, unknown> = {
    cluster: options.cluster ?? 'lab',
    deployment: options.deployment,
    ssh: { user: 'root', port: 22, identity_file: runnerKey, known_hosts: './known_hosts', connect_timeout: 10 },
    nodes: Object.fromEntries(
      nodes.map((n) => [n.name, { role: n.role, ...(n.pairsWith ? { pairs_with: n.pairsWith } : {}), address: n.address }]),
    ),
    ha: {
      enabled: true,
      monitor: { profile: options.profile ?? 'fast', ...(options.witness === false ? {} : { witness: RUNNER_ADDRESS }) },
      // The lab's Edge relaunches with its stand-in (docs/lab.md), not XiVO's command.
      ...(options.edge ? { actions: { edge_relaunch: ['/usr/local/sbin/edge-relaunch'] } } : {}),
    },
    // A file beside the inventory, written by writeLabInventory: the lab works
    // without exporting anything; real inventories would rather use {env: …}.
    ...(options.edge ? { secrets: { turn_secret: { file: `./${TURN_SECRET_FILE}` } } } : {}),
  };
  return `# Written by \`xivo-ha lab inventory\` for the lab's nodes (docs/lab.md).\n${stringify(doc)}`;
}

export async function writeLabInventory(options: LabInventoryOptions): Promise<LabInventoryFiles> {
  const dir = resolve(options.outDir ?? defaultInventoryDir);
  await mkdir(dir, { recursive: true });
  const nodes = selectNodes({ deployment: options.deployment, edge: options.edge });
  const inventory = join(dir, inventoryFileName(options.deployment, options.edge ?? false));
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(inventory, renderLabInventory(options));
  const secret = join(dir, TURN_SECRET_FILE);
  if (options.edge && !existsSync(secret)) await writeFile(secret, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  // Every lab node, so inventories of several deployments can share the directory.
  for (const n of ALL_NODES) await ensureNodeIdentity(n.name);
  await writeFile(knownHosts, renderKnownHosts(ALL_NODES));
  return { inventory, knownHosts, nodes };
}
