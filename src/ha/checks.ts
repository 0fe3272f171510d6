// HA prerequisites (before provisioning) and health (after), each a named,
// read-only check that says what is wrong and how to fix it. `xivo-ha check`
// prints them; `apply` runs the "before" group first and refuses when one
// fails, unless the operator skips it by name.

import type { Cluster, ClusterNode } from '../core/model.js';
import type { CommandFact } from '../core/types.js';
import type { HostConnection } from '../transport/types.js';
import { psqlArgv, literal } from './modules/postgresql-role.js';

export type CheckGroup = 'before' | 'after';

export interface CheckResult {
  name: string;
  group: CheckGroup;
  ok: boolean;
  /** What was found, in words. */
  message: string;
  /** What to do when it failed. */
  fix?: string;
  skipped?: boolean;
}

export interface CheckContext {
  cluster: Cluster;
  master: ClusterNode;
  slave: ClusterNode;
  /** Connections to the XiVO nodes that answered; a missing one failed to connect. */
  conns: Map<string, HostConnection>;
  connectErrors: Map<string, string>;
}

export interface Check {
  name: string;
  group: CheckGroup;
  description: string;
  run(ctx: CheckContext): Promise<Omit<CheckResult, 'name' | 'group'>>;
}

/** The SIP expiry above which phones and trunks may stay registered to a dead master longer than the 5-minute promise. */
export const MAX_EXPIRY_S = 300;
export const PROVD_PLUGINS_DIR = '/var/lib/xivo-provd/plugins';
export const XIVO_VERSION_FILE = '/usr/share/xivo/XIVO-VERSION';
/** The peer's host key, written by the playbook: the node programs check it the same way. */
export const NODE_KNOWN_HOSTS = '/etc/xivo-ha/known_hosts';

async function run(conn: HostConnection, argv: string[]): Promise<CommandFact> {
  const facts = await conn.probe([{ kind: 'command', argv }]);
  const [fact] = [...facts.values()];
  return fact as CommandFact;
}

function connOf(ctx: CheckContext, node: ClusterNode): HostConnection {
  const conn = ctx.conns.get(node.name);
  if (!conn) throw new CheckSkipped(`${node.name} is not reachable over SSH`);
  return conn;
}

class CheckSkipped extends Error {}

/** `ip -o -4 addr` lines → the prefix length of the interface holding `address`. */
export function prefixOf(ipAddrOutput: string, address: string): number | undefined {
  for (const line of ipAddrOutput.split('\n')) {
    const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (m && m[1] === address) return Number(m[2]);
  }
  return undefined;
}

export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((toInt(a) & mask) >>> 0) === ((toInt(b) & mask) >>> 0);
}

export const checks: Check[] = [
  {
    name: 'ssh',
    group: 'before',
    description: 'the workstation reaches master and slave over SSH',
    async run(ctx) {
      const failed = [...ctx.connectErrors.entries()];
      if (failed.length === 0) return { ok: true, message: 'both nodes answer over SSH' };
      return { ok: false, message: failed.map(([n, e]) => `${n}: ${e}`).join('; '), fix: 'check the address, port, key and known_hosts in the inventory' };
    },
  },
  {
    name: 'same-subnet',
    group: 'before',
    description: 'master and slave are on the same subnet (DHCP settings are replicated)',
    async run(ctx) {
      const found: string[] = [];
      for (const node of [ctx.master, ctx.slave]) {
        const out = await run(connOf(ctx, node), ['ip', '-o', '-4', 'addr', 'show']);
        const prefix = prefixOf(out.stdout, node.address);
        if (prefix === undefined) return { ok: false, message: `${node.name} has no interface with address ${node.address}`, fix: `set ${node.name}'s address in the inventory to one it really has` };
        const peer = node === ctx.master ? ctx.slave : ctx.master;
        if (!sameSubnet(node.address, peer.address, prefix)) {
          return { ok: false, message: `${peer.name} (${peer.address}) is outside ${node.name}'s subnet ${node.address}/${prefix}`, fix: 'put both nodes on the same VoIP subnet: phones and DHCP settings are shared' };
        }
        found.push(`${node.address}/${prefix}`);
      }
      return { ok: true, message: `same subnet (${found.join(', ')})` };
    },
  },
  {
    name: 'slave-pings-master',
    group: 'before',
    description: 'the slave reaches the master with ICMP ping',
    async run(ctx) {
      const out = await run(connOf(ctx, ctx.slave), ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', ctx.master.address]);
      if (out.rc === 0) return { ok: true, message: `${ctx.slave.name} pings ${ctx.master.address}` };
      return { ok: false, message: `${ctx.slave.name} gets no ICMP echo reply from ${ctx.master.address}`, fix: 'allow ICMP echo from the slave to the master in every firewall between them' };
    },
  },
  {
    name: 'sip-expiry',
    group: 'before',
    description: `trunk registration expiry below ${MAX_EXPIRY_S} s on the master`,
    async run(ctx) {
      // chan_sip asks for `defaultexpiry` (sip.conf [general], table staticsip) in the REGISTERs it sends to
      // trunks: above 300 s a provider keeps routing calls to a dead master longer than the 5-minute promise.
      const sql = `SELECT var_val FROM staticsip WHERE filename = 'sip.conf' AND category = 'general' AND var_name = 'defaultexpiry' AND commented = 0;`;
      const out = await run(connOf(ctx, ctx.master), psqlArgv('asterisk', ['-c', sql]));
      if (out.rc !== 0) return { ok: false, message: `cannot read staticsip on ${ctx.master.name}: ${out.stderr.trim()}`, fix: 'check that PostgreSQL runs and holds the asterisk database' };
      const value = out.stdout.trim();
      const seconds = value === '' ? 120 : Number(value);
      const source = value === '' ? 'unset: chan_sip default 120 s' : `${seconds} s`;
      if (Number.isFinite(seconds) && seconds < MAX_EXPIRY_S) return { ok: true, message: `defaultexpiry (staticsip, sip.conf [general]) is ${source}` };
      return {
        ok: false,
        message: `defaultexpiry (staticsip, sip.conf [general]) is ${value} s: trunks would stay registered to a dead master longer than ${MAX_EXPIRY_S} s`,
        fix: `set it below ${MAX_EXPIRY_S} s in the web interface (SIP general settings); provisioning then sets 180/300/240`,
      };
    },
  },
  {
    name: 'slave-no-provd-plugins',
    group: 'before',
    description: 'no provisioning plugins installed on the slave',
    async run(ctx) {
      const out = await run(connOf(ctx, ctx.slave), ['find', PROVD_PLUGINS_DIR, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\n']);
      const plugins = out.rc === 0 ? out.stdout.split('\n').filter(Boolean) : [];
      if (plugins.length === 0) return { ok: true, message: `no plugin under ${PROVD_PLUGINS_DIR} on ${ctx.slave.name}` };
      return { ok: false, message: `${ctx.slave.name} has provisioning plugins: ${plugins.join(', ')}`, fix: 'uninstall them on the slave (phones must be provisioned by the master only)' };
    },
  },
  {
    name: 'same-version',
    group: 'before',
    description: 'same XiVO version and database schema on both nodes',
    async run(ctx) {
      const seen: Record<string, string> = {};
      for (const node of [ctx.master, ctx.slave]) {
        const conn = connOf(ctx, node);
        const version = await run(conn, ['cat', XIVO_VERSION_FILE]);
        const schema = await run(conn, psqlArgv('asterisk', ['-c', 'SELECT version_num FROM alembic_version']));
        seen[node.name] = `XiVO ${version.rc === 0 ? version.stdout.trim() : 'unknown'}, schema ${schema.rc === 0 ? schema.stdout.trim() || 'none' : 'unknown'}`;
      }
      const [a, b] = [seen[ctx.master.name], seen[ctx.slave.name]];
      if (a === b) return { ok: true, message: `both ${a}` };
      return { ok: false, message: `${ctx.master.name}: ${a}; ${ctx.slave.name}: ${b}`, fix: 'upgrade the older node first: a data-only copy breaks across schema versions' };
    },
  },
  {
    name: 'master-reaches-slave-db',
    group: 'after',
    description: 'the master reaches the slave\'s PostgreSQL (TCP 5432)',
    async run(ctx) {
      const probe = `import socket,sys\ns=socket.create_connection((sys.argv[1],5432),3)\ns.close()`;
      const out = await run(connOf(ctx, ctx.master), ['python3', '-c', probe, ctx.slave.address]);
      if (out.rc === 0) return { ok: true, message: `${ctx.master.name} connects to ${ctx.slave.address}:5432` };
      return { ok: false, message: `${ctx.master.name} cannot open TCP ${ctx.slave.address}:5432`, fix: 'allow TCP 5432 from the master to the slave; check PostgreSQL listens on the slave\'s address' };
    },
  },
  {
    name: 'replication-key',
    group: 'after',
    description: 'the master\'s replication key is accepted by the slave (restricted command)',
    async run(ctx) {
      const out = await run(connOf(ctx, ctx.master), [
        'ssh', '-i', '/root/.ssh/xivo_ha_replication', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${NODE_KNOWN_HOSTS}`,
        `root@${ctx.slave.address}`, 'status',
      ]);
      if (out.rc === 0) return { ok: true, message: `the slave answers the replication key's status command` };
      return { ok: false, message: `the replication key is refused or the command failed (exit ${out.rc}): ${out.stderr.trim().split('\n').pop() ?? ''}`, fix: 'run xivo-ha apply to (re)install the key' };
    },
  },
];

export async function runChecks(ctx: CheckContext, group?: CheckGroup, skip: string[] = []): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    if (group && check.group !== group) continue;
    if (skip.includes(check.name)) {
      results.push({ name: check.name, group: check.group, ok: true, skipped: true, message: 'SKIPPED on request (--skip-check)' });
      continue;
    }
    try {
      results.push({ name: check.name, group: check.group, ...(await check.run(ctx)) });
    } catch (err) {
      const message = err instanceof CheckSkipped ? `not checked: ${err.message}` : `check failed to run: ${err instanceof Error ? err.message : String(err)}`;
      results.push({ name: check.name, group: check.group, ok: false, message });
    }
  }
  return results;
}
