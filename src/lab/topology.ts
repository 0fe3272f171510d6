// The lab's fixed node set (docs/interfaces.md §7) and which nodes a
// deployment brings up. Names stay short: they end up in interface names.

import { UserError } from '../core/errors.js';
import { INSTANCE_TAG, LAB_INSTANCE } from './instance.js';

export type LabDeployment = 'xivo' | 'cc' | 'xds';
export type LabRole = 'master' | 'slave' | 'cc' | 'mds' | 'edge';

export interface LabNode {
  name: string;
  address: string;
  role: LabRole;
  /** For cc nodes: the XiVO node they serve. */
  pairsWith?: string;
}

export const BRIDGE = `xhabr${LAB_INSTANCE}`;
/** The first three octets of the lab's /24: 198.18.0 for the default lab. */
export const SUBNET = `198.18.${LAB_INSTANCE}`;
export const RUNNER_ADDRESS = `${SUBNET}.1`;
export const PREFIX_LENGTH = 24;
// Prefixes of different instances never prefix one another ("xha-" vs "xha1-"): each lab's sweeps see only its own.
export const NETNS_PREFIX = `xha${INSTANCE_TAG}-`;
export const VETH_PREFIX = `xh${INSTANCE_TAG}-`;
export const CGROUP_NAME = `xivo-ha-lab${INSTANCE_TAG}`;
/** argv[0] of the node launchers, how `down` finds them. */
export const LAUNCHER_NAME = `xivo-ha-lab-launcher${INSTANCE_TAG}`;

export const ALL_NODES: readonly LabNode[] = [
  { name: 'master', address: `${SUBNET}.11`, role: 'master' },
  { name: 'slave', address: `${SUBNET}.12`, role: 'slave' },
  { name: 'cc-master', address: `${SUBNET}.21`, role: 'cc', pairsWith: 'master' },
  { name: 'cc-slave', address: `${SUBNET}.22`, role: 'cc', pairsWith: 'slave' },
  { name: 'mds1', address: `${SUBNET}.31`, role: 'mds' },
  { name: 'edge', address: `${SUBNET}.41`, role: 'edge' },
];

export interface NodeSelection {
  deployment?: LabDeployment;
  edge?: boolean;
  allNodes?: boolean;
}

export function parseDeployment(value: string | undefined): LabDeployment {
  if (value === undefined) return 'xivo';
  if (value === 'xivo' || value === 'cc' || value === 'xds') return value;
  throw new UserError(`unknown deployment "${value}"`, 'use one of: xivo, cc, xds');
}

export function selectNodes(selection: NodeSelection): LabNode[] {
  if (selection.allNodes) return [...ALL_NODES];
  const deployment = selection.deployment ?? 'xivo';
  return ALL_NODES.filter(
    (n) =>
      n.role === 'master' ||
      n.role === 'slave' ||
      (n.role === 'cc' && deployment === 'cc') ||
      (n.role === 'mds' && deployment === 'xds') ||
      (n.role === 'edge' && selection.edge === true),
  );
}

export function findNode(name: string): LabNode {
  const node = ALL_NODES.find((n) => n.name === name);
  if (!node) throw new UserError(`no lab node "${name}"`, `lab nodes are: ${ALL_NODES.map((n) => n.name).join(', ')}`);
  return node;
}

export function netnsName(node: string): string {
  return `${NETNS_PREFIX}${node}`;
}

export function vethName(node: string): string {
  return `${VETH_PREFIX}${node}`;
}

/** systemd-nspawn's machine name (its /run/systemd/nspawn/propagate/NAME): unique across instances. */
export function machineName(node: string): string {
  return INSTANCE_TAG === '' ? node : `${node}-lab${INSTANCE_TAG}`;
}

export function isXivoNode(node: LabNode): boolean {
  return node.role === 'master' || node.role === 'slave';
}

export function nodeAddress(name: string): string {
  return findNode(name).address;
}
