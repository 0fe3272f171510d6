// SSH from the runner to the nodes: the lab's own key pair and a known_hosts
// file built from the host keys the lab gave each node (nothing trusted on
// first use).

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { quoteArgv } from '../transport/shell.js';
import { runLocalOk } from './exec.js';
import { hostPublicKeys } from './node-disk.js';
import { knownHostsFile, runnerKey, stateDir } from './paths.js';
import type { LabNode } from './topology.js';

export async function ensureRunnerKey(): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (!existsSync(runnerKey)) {
    await runLocalOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'xivo-ha-lab runner', '-f', runnerKey]);
  }
}

export function renderKnownHosts(nodes: readonly LabNode[]): string {
  return nodes.flatMap((n) => hostPublicKeys(n.name).map((key) => `${n.name},${n.address} ${key}\n`)).join('');
}

export async function writeKnownHosts(nodes: readonly LabNode[], path = knownHostsFile): Promise<void> {
  await writeFile(path, renderKnownHosts(nodes));
}

/** ssh argv to run argv on the node (quoted: ssh hands the remote shell one string). */
export function sshArgv(node: LabNode, argv: string[], options: { tty?: boolean } = {}): string[] {
  return [
    'ssh', '-i', runnerKey,
    '-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', '-o', 'IdentitiesOnly=yes',
    ...(options.tty ? ['-t'] : []),
    `root@${node.address}`,
    ...(argv.length ? ['--', quoteArgv(argv)] : []),
  ];
}
