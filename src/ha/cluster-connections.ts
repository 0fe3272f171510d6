// Opens connections to the XiVO nodes of a cluster for the HA commands
// (check, status, replicate, failover…), keeping going when one fails.

import type { Cluster, ClusterNode, Inventory } from '../core/model.js';
import { ConfigError } from '../core/errors.js';
import type { ConnectOptions, Connector, HostConnection } from '../transport/types.js';
import { describeError } from '../core/host-run.js';

export interface ClusterConnections {
  cluster: Cluster;
  master: ClusterNode;
  slave: ClusterNode;
  conns: Map<string, HostConnection>;
  connectErrors: Map<string, string>;
  close(): Promise<void>;
}

export function requireCluster(inventory: Inventory): { cluster: Cluster; master: ClusterNode; slave: ClusterNode } {
  const cluster = inventory.cluster;
  const master = cluster?.nodes.find((n) => n.role === 'master');
  const slave = cluster?.nodes.find((n) => n.role === 'slave');
  if (!cluster || !master || !slave) {
    throw new ConfigError([{ severity: 'error', code: 'cli.cluster-required', message: `${inventory.path}: this command needs a XiVO cluster inventory (cluster:, nodes: with a master and a slave)` }]);
  }
  return { cluster, master, slave };
}

export async function connectCluster(inventory: Inventory, connect: Connector, options: ConnectOptions, nodes?: ClusterNode[]): Promise<ClusterConnections> {
  const { cluster, master, slave } = requireCluster(inventory);
  const conns = new Map<string, HostConnection>();
  const connectErrors = new Map<string, string>();
  await Promise.all(
    (nodes ?? [master, slave]).map(async (node) => {
      const host = inventory.hosts.get(node.name);
      if (!host) return;
      try {
        conns.set(node.name, await connect(host, options));
      } catch (err) {
        connectErrors.set(node.name, describeError(err));
      }
    }),
  );
  return {
    cluster,
    master,
    slave,
    conns,
    connectErrors,
    async close() {
      await Promise.allSettled([...conns.values()].map((c) => c.close()));
    },
  };
}
