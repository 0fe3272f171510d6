// The lab network: bridge xhabr0 (198.18.0.1/24, no port on a real NIC, no
// route out, no NAT, IPv6 off) and per node a netns xha-NODE joined by a veth
// pair whose root side is xh-NODE and whose node side is eth0. Cutting a
// node's link is setting xh-NODE down.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { runLocal, runLocalOk } from './exec.js';
import { BRIDGE, NETNS_PREFIX, PREFIX_LENGTH, RUNNER_ADDRESS, VETH_PREFIX, netnsName, vethName, type LabNode } from './topology.js';

async function disableIpv6OnRootLink(link: string): Promise<void> {
  const path = `/proc/sys/net/ipv6/conf/${link}/disable_ipv6`;
  if (existsSync(path)) await writeFile(path, '1');
}

export async function linkExists(name: string): Promise<boolean> {
  return (await runLocal(['ip', 'link', 'show', 'dev', name])).code === 0;
}

export async function ensureBridge(): Promise<void> {
  if (!(await linkExists(BRIDGE))) {
    await runLocalOk(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  }
  await disableIpv6OnRootLink(BRIDGE);
  const addrs = await runLocalOk(['ip', '-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(`${RUNNER_ADDRESS}/${PREFIX_LENGTH}`)) {
    await runLocalOk(['ip', 'addr', 'add', `${RUNNER_ADDRESS}/${PREFIX_LENGTH}`, 'dev', BRIDGE]);
  }
  await runLocalOk(['ip', 'link', 'set', BRIDGE, 'up']);
}

const BRIDGE_ACCEPT_RULE = ['FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT', '-m', 'comment', '--comment', 'xivo-ha-lab'];

/**
 * With br_netfilter loaded, bridged frames go through iptables' FORWARD chain;
 * a DROP policy there (Docker sets one) would cut nodes off from each other.
 * Then one rule accepts traffic between lab ports; down removes it.
 */
export async function allowBridgedTraffic(log: (line: string) => void): Promise<void> {
  const nf = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  if (!existsSync(nf) || (await readFile(nf, 'utf8')).trim() !== '1') return;
  const chain = await runLocal(['iptables', '-S', 'FORWARD']);
  if (chain.code !== 0 || !chain.stdout.includes('-P FORWARD DROP')) return;
  if ((await runLocal(['iptables', '-C', ...BRIDGE_ACCEPT_RULE])).code === 0) return;
  await runLocalOk(['iptables', '-I', ...BRIDGE_ACCEPT_RULE]);
  log(`iptables FORWARD policy is DROP with br_netfilter: accepting traffic between ${BRIDGE} ports`);
}

async function removeBridgeRule(): Promise<void> {
  for (;;) {
    const r = await runLocal(['iptables', '-D', ...BRIDGE_ACCEPT_RULE]);
    if (r.code !== 0) return;
  }
}

export async function createNodeNetwork(node: LabNode): Promise<void> {
  const ns = netnsName(node.name);
  const veth = vethName(node.name);
  await runLocalOk(['ip', 'netns', 'add', ns]);
  for (const key of ['all', 'default']) {
    await runLocalOk(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${key}.disable_ipv6=1`]);
  }
  await runLocalOk(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await disableIpv6OnRootLink(veth);
  await runLocalOk(['ip', 'link', 'set', veth, 'master', BRIDGE]);
  await runLocalOk(['ip', '-n', ns, 'addr', 'add', `${node.address}/${PREFIX_LENGTH}`, 'dev', 'eth0']);
  await runLocalOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  await runLocalOk(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  await runLocalOk(['ip', 'link', 'set', veth, 'up']);
}

export async function setNodeLink(node: string, up: boolean): Promise<void> {
  await runLocalOk(['ip', 'link', 'set', vethName(node), up ? 'up' : 'down']);
}

export async function isNodeLinkUp(node: string): Promise<boolean> {
  const r = await runLocal(['ip', '-o', 'link', 'show', 'dev', vethName(node)]);
  return r.code === 0 && /<[^>]*\bUP\b[^>]*>/.test(r.stdout);
}

/** Every lab netns on the machine, whether or not the state file knows it. */
export async function listLabNetns(): Promise<string[]> {
  const r = await runLocal(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

/** Every lab interface in the root namespace: the bridge and the node veths. */
export async function listLabLinks(): Promise<string[]> {
  const r = await runLocal(['ip', '-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((n) => n === BRIDGE || n.startsWith(VETH_PREFIX));
}

export async function removeNetwork(): Promise<void> {
  for (const ns of await listLabNetns()) await runLocal(['ip', 'netns', 'del', ns]);
  for (const link of (await listLabLinks()).filter((l) => l !== BRIDGE)) await runLocal(['ip', 'link', 'del', link]);
  if (await linkExists(BRIDGE)) await runLocal(['ip', 'link', 'del', BRIDGE]);
  await removeBridgeRule();
}
