// A XiVO inventory (one cluster) turned into hosts, groups and variables the
// playbooks target: derived groups (xivo_master, cc, …) and derived host
// variables (peer_address, ha, …) as docs/interfaces.md §1 lists them.

import { dirname } from 'node:path';
import type { Cluster, ClusterNode, Deployment, Inventory, InventoryHost, NodeRole, Vars } from '../core/model.js';
import type { Diagnostics } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { normaliseHaSettings, type HaSettings, type RawHaSettings } from './ha-settings.js';
import { checkClusterRules, type RawNode } from './cluster-rules.js';
import { resolveSecrets, type SecretRef } from './secrets.js';
import { resolveLocalPath } from './local-path.js';

interface RawSsh {
  user?: string;
  port?: number;
  identity_file?: string;
  known_hosts?: string;
  connect_timeout?: number;
}

interface RawXivoNode extends RawNode {
  ssh?: RawSsh;
  vars?: Vars;
}

/** The document after it passed the schema. */
export interface RawXivoInventory {
  cluster: string;
  deployment: Deployment;
  ssh?: RawSsh;
  nodes: Record<string, RawXivoNode>;
  ha?: RawHaSettings;
  secrets?: Record<string, SecretRef>;
  vars?: Vars;
}

export const SSH_DEFAULTS = { user: 'root', port: 22, connect_timeout: 10 } as const;

/** Variables xivo-ha sets from the inventory's structure: `vars:` may not override them. */
export const DERIVED_VARIABLES = [
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'xivo_ha_cluster',
  'xivo_ha_deployment',
  'xivo_ha_role',
  'xivo_ha_node_type',
  'master_address',
  'slave_address',
  'peer_address',
  'cc_master_address',
  'cc_slave_address',
  'paired_xivo_address',
  'mds_addresses',
  'edge_address',
  'ha',
] as const;

const DERIVED_GROUPS = ['xivo', 'xivo_master', 'xivo_slave', 'cc', 'cc_master', 'cc_slave', 'mds', 'edge'] as const;

export function buildXivoInventory(src: YamlSource, raw: RawXivoInventory, extraVars: Vars, d: Diagnostics): Inventory {
  const baseDir = dirname(src.file);
  const ha = normaliseHaSettings(raw.ha);
  checkClusterRules(raw.deployment, raw.nodes, ha, src, d);
  const secrets = resolveSecrets(raw.secrets ?? {}, src, baseDir, d);
  checkVariableNames(raw, src, d);

  const nodes: ClusterNode[] = Object.entries(raw.nodes).map(([name, n]) => {
    const node: ClusterNode = { name, role: n.role, address: n.address, position: positionOf(src, ['nodes', name], 'key') };
    if (n.pairs_with !== undefined) node.pairsWith = n.pairs_with;
    return node;
  });
  const cluster: Cluster = { name: raw.cluster, deployment: raw.deployment, nodes, ha: ha as unknown as Vars };
  const groups = deriveGroups(nodes);

  const hosts = new Map<string, InventoryHost>();
  for (const node of nodes) {
    const rawNode = raw.nodes[node.name]!;
    const ssh = { ...SSH_DEFAULTS, ...raw.ssh, ...rawNode.ssh };
    const host: InventoryHost = {
      name: node.name,
      address: node.address,
      port: ssh.port,
      user: ssh.user,
      connectTimeoutS: ssh.connect_timeout,
      vars: {},
      groups: ['all', ...DERIVED_GROUPS.filter((g) => groups.get(g)!.includes(node.name))],
      position: node.position!,
    };
    if (ssh.identity_file !== undefined) host.identityFile = resolveLocalPath(ssh.identity_file, baseDir);
    if (ssh.known_hosts !== undefined) host.knownHosts = resolveLocalPath(ssh.known_hosts, baseDir);
    host.vars = {
      ...raw.vars,
      ...rawNode.vars,
      ...derivedVars(node, host, cluster, ha),
      ...Object.fromEntries(secrets),
      ...extraVars,
    };
    hosts.set(node.name, host);
  }
  return { path: src.file, kind: 'xivo', hosts, groups, cluster, secrets };
}

function deriveGroups(nodes: ClusterNode[]): Map<string, string[]> {
  const withRole = (...roles: NodeRole[]) => nodes.filter((n) => roles.includes(n.role)).map((n) => n.name);
  const ccPairedWith = (role: NodeRole) => {
    const xivo = new Set(withRole(role));
    return nodes.filter((n) => n.role === 'cc' && n.pairsWith !== undefined && xivo.has(n.pairsWith)).map((n) => n.name);
  };
  return new Map<string, string[]>([
    ['all', nodes.map((n) => n.name)],
    ['xivo', withRole('master', 'slave')],
    ['xivo_master', withRole('master')],
    ['xivo_slave', withRole('slave')],
    ['cc', withRole('cc')],
    ['cc_master', ccPairedWith('master')],
    ['cc_slave', ccPairedWith('slave')],
    ['mds', withRole('mds')],
    ['edge', withRole('edge')],
  ]);
}

function derivedVars(node: ClusterNode, host: InventoryHost, cluster: Cluster, ha: HaSettings): Vars {
  const byRole = (role: NodeRole) => cluster.nodes.filter((n) => n.role === role);
  const master = byRole('master')[0];
  const slave = byRole('slave')[0];
  const addressOf = (name: string | undefined) => cluster.nodes.find((n) => n.name === name)?.address;
  const ccPairedWith = (xivo: ClusterNode | undefined) => byRole('cc').find((n) => xivo !== undefined && n.pairsWith === xivo.name)?.address;

  const vars: Vars = {
    ansible_host: host.address,
    ansible_port: host.port,
    ansible_user: host.user,
    xivo_ha_cluster: cluster.name,
    xivo_ha_deployment: cluster.deployment,
    xivo_ha_role: node.role,
    mds_addresses: byRole('mds').map((n) => n.address),
    ha,
  };
  setIfDefined(vars, 'master_address', master?.address);
  setIfDefined(vars, 'slave_address', slave?.address);
  setIfDefined(vars, 'cc_master_address', ccPairedWith(master));
  setIfDefined(vars, 'cc_slave_address', ccPairedWith(slave));
  setIfDefined(vars, 'edge_address', byRole('edge')[0]?.address);
  if (node.role === 'master' || node.role === 'slave') {
    // A node whose HA is switched off runs as a plain XiVO ("disabled" in XiVO's own HA settings).
    vars['xivo_ha_node_type'] = ha.enabled ? node.role : 'disabled';
    setIfDefined(vars, 'peer_address', node.role === 'master' ? slave?.address : master?.address);
  }
  if (node.role === 'cc') setIfDefined(vars, 'paired_xivo_address', addressOf(node.pairsWith));
  return vars;
}

function setIfDefined(vars: Vars, key: string, value: unknown): void {
  if (value !== undefined) vars[key] = value;
}

function checkVariableNames(raw: RawXivoInventory, src: YamlSource, d: Diagnostics): void {
  const reserved = new Set<string>(DERIVED_VARIABLES);
  const secretNames = new Set(Object.keys(raw.secrets ?? {}));
  const check = (vars: Vars | undefined, path: (string | number)[]) => {
    for (const key of Object.keys(vars ?? {})) {
      const at = [...path, key];
      if (reserved.has(key)) d.error('inventory.rule', `variable "${key}" is derived from the inventory by xivo-ha and cannot be set in vars`, positionOf(src, at, 'key'), at);
      else if (secretNames.has(key)) d.error('inventory.rule', `variable "${key}" has the name of a secret; rename one of them`, positionOf(src, at, 'key'), at);
    }
  };
  check(raw.vars, ['vars']);
  for (const [name, node] of Object.entries(raw.nodes)) check(node.vars, ['nodes', name, 'vars']);
}
