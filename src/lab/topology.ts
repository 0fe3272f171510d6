// The lab's fixed node set (docs/interfaces.md §7) and which nodes a
// deployment brings up. Names stay short: they end up in interface names.

import { UserError } from '../core/errors.js';

export type LabDeployment = 'xivo' | 'cc' | 'xds';
export type LabRole = 'master' | 'slave' | 'cc' | 'mds' | 'edge';

export interface LabNode {
  name: string;
  address: string;
  role: LabRole;
  /** For cc nodes: the XiVO node they serve. */
  pairsWith?: string;
}

export const BRIDGE = 'xhabr0';
export const RUNNER_ADDRESS = '198.18.0.1';
export const PREFIX_LENGTH = 24;
export const NETNS_PREFIX = 'xha-';
export const VETH_PREFIX = 'xh-';
export const CGROUP_NAME = 'xivo-ha-lab';

export const ALL_NODES: readonly LabNode[] = [
  { name: 'master', address: '198.18.0.11', role: 'master' },
  { name: 'slave', address: '198.18.0.12', role: 'slave' },
  { name: 'cc-master', address: '198.18.0.21', role: 'cc', pairsWith: 'master' },
  { name: 'cc-slave', address: '198.18.0.22', role: 'cc', pairsWith: 'slave' },
  { name: 'mds1', address: '198.18.0.31', role: 'mds' },
  { name: 'edge', address: '198.18.0.41', role: 'edge' },
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

export function isXivoNode(node: LabNode): boolean {
  return node.role === 'master' || node.role === 'slave';
}

export function nodeAddress(name: string): string {
  return findNode(name).address;
}
