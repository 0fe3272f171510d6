// A node's disk: the shared read-only base under an overlayfs whose upper
// layer is the node's own (/var/lib/xivo-ha-lab/nodes/NODE/{upper,work,root}).
// Identity (hostname, machine-id, SSH host keys) is written into it before
// each boot; host keys and machine-id are kept in host-keys/NODE, outside the
// upper layer, so `reset` gives a fresh disk with the same identity.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runLocal, runLocalOk } from './exec.js';
import { hostKeysDir, nodeDir, runnerKey, stateDir } from './paths.js';
import { ALL_NODES, RUNNER_ADDRESS, findNode, isXivoNode, type LabNode } from './topology.js';

export function nodeRoot(node: string): string {
  return join(nodeDir(node), 'root');
}

export function isMounted(path: string): boolean {
  return readMountPoints().includes(path);
}

/** Mount points of the runner's mount namespace, octal escapes decoded. */
export function readMountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Lab mounts (node roots) still mounted, deepest first. */
export function labMounts(): string[] {
  return readMountPoints()
    .filter((m) => m.startsWith(`${stateDir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function mountNodeDisk(node: string, base: string): Promise<void> {
  const dir = nodeDir(node);
  const root = nodeRoot(node);
  if (isMounted(root)) return;
  for (const d of ['upper', 'work', 'root']) await mkdir(join(dir, d), { recursive: true });
  await runLocalOk([
    'mount', '-t', 'overlay', `xivo-ha-lab-${node}`,
    '-o', `lowerdir=${base},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, root,
  ]);
}

export async function unmountNodeDisk(node: string): Promise<void> {
  const root = nodeRoot(node);
  if (!isMounted(root)) return;
  const r = await runLocal(['umount', root]);
  if (r.code !== 0) await runLocalOk(['umount', '--lazy', root]);
}

/** Unmounts and deletes the node's upper layer (its identity stays in host-keys/). */
export async function destroyNodeDisk(node: string): Promise<void> {
  await unmountNodeDisk(node);
  await rm(nodeDir(node), { recursive: true, force: true });
}

/** Host keys and machine-id of the node, made once on the runner and kept. */
export async function ensureNodeIdentity(node: string): Promise<void> {
  const dir = hostKeysDir(node);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const type of HOST_KEY_TYPES) {
    const key = join(dir, `ssh_host_${type}_key`);
    if (!existsSync(key)) {
      await runLocalOk(['ssh-keygen', '-q', '-t', type, '-N', '', '-C', `root@${node}`, '-f', key]);
    }
  }
  const machineId = join(dir, 'machine-id');
  if (!existsSync(machineId)) await writeFile(machineId, `${randomBytes(16).toString('hex')}\n`);
}

export const HOST_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'];

/** "TYPE BASE64" of each host key of the node, ed25519 first. */
export function hostPublicKeys(node: string): string[] {
  return HOST_KEY_TYPES.map((type) =>
    readFileSync(join(hostKeysDir(node), `ssh_host_${type}_key.pub`), 'utf8').trim().split(' ').slice(0, 2).join(' '),
  );
}

async function put(root: string, path: string, content: string, mode = 0o644): Promise<void> {
  const target = join(root, path);
  await mkdir(dirname(target), { recursive: true });
  await rm(target, { force: true });
  await writeFile(target, content, { mode });
  await chmod(target, mode);
}

async function enableUnit(root: string, unit: string): Promise<void> {
  const link = join(root, 'etc/systemd/system/multi-user.target.wants', unit);
  await mkdir(dirname(link), { recursive: true });
  await rm(link, { force: true });
  await symlink(`/etc/systemd/system/${unit}`, link);
}

export function renderEtcHosts(node: string, nodes: readonly LabNode[]): string {
  const lines = ['127.0.0.1\tlocalhost', `127.0.1.1\t${node}`, `${RUNNER_ADDRESS}\trunner`];
  for (const n of nodes) lines.push(`${n.address}\t${n.name}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes what makes a fresh disk this node: identity, the runner's key,
 * /etc/hosts naming every lab node, and its role's services. Run before the
 * first boot of a disk only (up, reset); revive boots the disk as it was left.
 */
export async function writeNodeConfig(node: string, hostsNodes: readonly LabNode[]): Promise<void> {
  const root = nodeRoot(node);
  const me = findNode(node);
  const keys = hostKeysDir(node);
  await put(root, 'etc/hostname', `${node}\n`);
  await put(root, 'etc/hosts', renderEtcHosts(node, hostsNodes));
  await put(root, 'etc/machine-id', readFileSync(join(keys, 'machine-id'), 'utf8'), 0o444);
  for (const file of await readdir(keys)) {
    if (!file.startsWith('ssh_host_')) continue;
    await copyFile(join(keys, file), join(root, 'etc/ssh', file));
    await chmod(join(root, 'etc/ssh', file), file.endsWith('.pub') ? 0o644 : 0o600);
  }
  await mkdir(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await chmod(join(root, 'root/.ssh'), 0o700);
  await put(root, 'root/.ssh/authorized_keys', readFileSync(`${runnerKey}.pub`, 'utf8'), 0o600);
  await put(root, 'etc/xivo-ha-lab/node.json', `${JSON.stringify(me, null, 1)}\n`);
  await writeRoleFiles(root, me);
}

/** What /usr/share/xivo/XIVO-VERSION says on the lab's XiVO nodes (a plausible release, nothing more). */
export const LAB_XIVO_VERSION = '2024.05.00';

const PROVD_DEFAULT_CONFIG = (address: string): string =>
  `${JSON.stringify(
    {
      X_type: 'registrar',
      id: 'default',
      deletable: false,
      displayname: 'local',
      parent_ids: [],
      raw_config: {},
      registrar_main: address,
      registrar_main_port: 5060,
      proxy_main: address,
      proxy_main_port: 5060,
    },
    null,
    1,
  )}\n`;

/** Role-specific services and files. */
async function writeRoleFiles(root: string, me: LabNode): Promise<void> {
  const master = findNode('master');
  if (isXivoNode(me)) {
    await enableUnit(root, 'asterisk.service');
    await put(root, 'etc/xivo-ha-lab/telephony-units', '# units `xivo-service start|stop` manages (lab)\nasterisk.service\n');
    await put(root, 'etc/asterisk/lab-registrations.conf', '; trunks the SIP responder registers, like sip.conf: register => USER@HOST[:PORT]\n');
    await put(root, 'var/lib/xivo-provd/jsondb/configs/default', PROVD_DEFAULT_CONFIG(me.address));
    await put(root, 'usr/share/xivo/XIVO-VERSION', `${LAB_XIVO_VERSION}\n`);
    await put(root, 'etc/xivo/ha.conf', `${JSON.stringify({ node_type: 'disabled', remote_address: '' })}\n`);
    return;
  }
  // PostgreSQL is in the base for the XiVO nodes only.
  await put(root, 'etc/postgresql/15/main/start.conf', 'manual\n');
  await chown(join(root, 'etc/postgresql/15/main/start.conf'), ...postgresIds(root));
  if (me.role === 'cc') {
    const paired = findNode(me.pairsWith ?? 'master');
    await put(root, 'etc/docker/xivocc/.env', `XIVO_HOST=${paired.address}\nXUC_HOST=${me.address}\n`);
    await enableUnit(root, 'xuc.service');
  } else if (me.role === 'mds') {
    await enableUnit(root, 'mds-registrar.service');
  } else if (me.role === 'edge') {
    const ccMaster = ALL_NODES.find((n) => n.name === 'cc-master');
    await put(
      root,
      'etc/docker/edge/.env',
      [
        '# XiVO Edge environment (lab): the addresses Edge forwards to',
        `XIVO_HOST=${master.address}`,
        `XIVOCC_HOST=${ccMaster?.address ?? master.address}`,
        `TURN_ALLOWED_PEERS=${master.address}`,
        `XIVO_MDS_HOST_DEFAULT=${master.address}`,
        '',
      ].join('\n'),
    );
  }
}

function postgresIds(root: string): [number, number] {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const parts = line?.split(':') ?? [];
  return [Number(parts[2] ?? 0), Number(parts[3] ?? 0)];
}
