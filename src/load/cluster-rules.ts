// What the inventory schema cannot say: how the nodes of one cluster relate.
// Each broken rule is a located diagnostic, like a schema error.

import type { Deployment, NodeRole } from '../core/model.js';
import type { Diagnostics } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { roundDuration, type HaSettings } from './ha-settings.js';

export interface RawNode {
  role: NodeRole;
  address: string;
  pairs_with?: string;
}

const ROLES_BY_DEPLOYMENT: Record<Deployment, readonly NodeRole[]> = {
  xivo: ['master', 'slave', 'edge'],
  cc: ['master', 'slave', 'cc', 'edge'],
  xds: ['master', 'slave', 'mds', 'edge'],
};

export function checkClusterRules(deployment: Deployment, nodes: Record<string, RawNode>, ha: HaSettings, src: YamlSource, d: Diagnostics): void {
  const entries = Object.entries(nodes);
  const named = (role: NodeRole) => entries.filter(([, n]) => n.role === role);
  const code = 'inventory.rule';

  for (const [name, node] of entries) {
    if (!ROLES_BY_DEPLOYMENT[deployment].includes(node.role)) {
      d.error(code, `node ${name}: role "${node.role}" is not valid in a "${deployment}" deployment (allowed: ${ROLES_BY_DEPLOYMENT[deployment].join(', ')})`, positionOf(src, ['nodes', name, 'role']), ['nodes', name, 'role']);
    }
  }

  for (const role of ['master', 'slave'] as const) {
    const found = named(role);
    if (found.length === 0) d.error(code, `the cluster needs exactly one node with role "${role}", found none`, positionOf(src, ['nodes'], 'key'), ['nodes']);
    for (const [name] of found.slice(1)) {
      d.error(code, `node ${name}: a second "${role}" (${found[0]![0]} is already the ${role}); the cluster needs exactly one`, positionOf(src, ['nodes', name, 'role']), ['nodes', name, 'role']);
    }
  }

  const xivoNodes = new Set([...named('master'), ...named('slave')].map(([n]) => n));
  for (const [name, node] of entries) {
    if (node.pairs_with === undefined) {
      if (node.role === 'cc') d.error(code, `node ${name}: a cc node needs "pairs_with" naming the XiVO node (master or slave) it works with`, positionOf(src, ['nodes', name], 'key'), ['nodes', name]);
      continue;
    }
    const at = ['nodes', name, 'pairs_with'];
    if (node.role !== 'cc') d.error(code, `node ${name}: only cc nodes take "pairs_with"`, positionOf(src, at, 'key'), at);
    else if (!xivoNodes.has(node.pairs_with)) {
      d.error(code, `node ${name}: pairs_with "${node.pairs_with}" is not the master or the slave of this cluster (${[...xivoNodes].join(', ') || 'none'})`, positionOf(src, at), at);
    }
  }

  if (deployment === 'cc') {
    for (const xivo of xivoNodes) {
      const pairs = named('cc').filter(([, n]) => n.pairs_with === xivo);
      if (pairs.length === 0) d.error(code, `node ${xivo}: a "cc" deployment needs one cc node with pairs_with: ${xivo}, found none`, positionOf(src, ['nodes', xivo], 'key'), ['nodes', xivo]);
      for (const [name] of pairs.slice(1)) {
        d.error(code, `node ${name}: ${pairs[0]![0]} already pairs with ${xivo}; each XiVO node has exactly one cc node`, positionOf(src, ['nodes', name, 'pairs_with']), ['nodes', name, 'pairs_with']);
      }
    }
  }

  if (deployment === 'xds' && named('mds').length === 0) {
    d.error(code, 'an "xds" deployment needs at least one node with role "mds"', positionOf(src, ['nodes'], 'key'), ['nodes']);
  }

  const edges = named('edge');
  for (const [name] of edges.slice(1)) {
    d.error(code, `node ${name}: a second "edge" (${edges[0]![0]} is already the edge); at most one is allowed`, positionOf(src, ['nodes', name, 'role']), ['nodes', name, 'role']);
  }

  const byAddress = new Map<string, string>();
  for (const [name, node] of entries) {
    const first = byAddress.get(node.address);
    if (first !== undefined) {
      d.error(code, `node ${name}: address ${node.address} is already used by node ${first}`, positionOf(src, ['nodes', name, 'address']), ['nodes', name, 'address']);
    } else byAddress.set(node.address, name);
  }

  const m = ha.monitor;
  if (roundDuration(m) >= m.interval && m.probes_per_round > 1) {
    d.error(
      code,
      `a probe round (${m.probes_per_round} probes ${m.probe_spacing} s apart) lasts longer than the interval between rounds (${m.interval} s)`,
      positionOf(src, ['ha', 'monitor'], 'key'),
      ['ha', 'monitor'],
    );
  }
}
