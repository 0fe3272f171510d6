// The SSH floor: what any SSH-based tool must pay at least. (1) one
// curve25519 handshake per host, all in parallel (OpenSSH's client, key auth,
// one `true`); (2) one tar stream per host pushing that host's final tree.

import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ownProcess, releaseProcess } from './cleanup.mjs';
import { FLEET_SSH, FLOOR_DIR } from './paths.mjs';

/**
 * The floor a case is measured against: pushing the final trees for (a) (it
 * writes every file), one handshake per host for the no-op and drift runs
 * (b) and (c), which only read.
 */
export function floorKindOf(caseId) {
  return caseId === 'a' ? 'tar' : 'handshake';
}

/** ssh: {port, key, knownHosts}, the simulated hosts' by default. */
export function sshArgv(address, remoteArgv, ssh = FLEET_SSH) {
  return [
    'ssh', '-F', '/dev/null', '-i', ssh.key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${ssh.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'KexAlgorithms=curve25519-sha256', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
    '-p', String(ssh.port), `root@${address}`, '--', ...remoteArgv,
  ];
}

function runOne(argv, env, stdinFile) {
  return new Promise((resolve, reject) => {
    const fd = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const child = spawn(argv[0], argv.slice(1), { env, stdio: [fd, 'ignore', 'pipe'] });
    ownProcess(child.pid, 'ssh (floor)');
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      releaseProcess(child.pid);
      if (typeof fd === 'number') closeSync(fd);
      if (code === 0) resolve();
      else reject(new Error(`${argv.slice(-3).join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** env: the timed commands' environment (bench/lib/environment.mjs). */
export function floorHandshake(hosts, ssh, env) {
  return timed(() => Promise.all(hosts.map((h) => runOne(sshArgv(h.address, ['true'], ssh), env))));
}

/**
 * renderedDir holds <hostname>.tar from gen.py render; each host extracts
 * into its own scratch dir on the host, emptied over SSH before the clock
 * starts (the same way for the simulated hosts and the lab's nodes).
 */
export async function floorTarPush(hosts, renderedDir, ssh, env) {
  const scratch = (h) => join(FLOOR_DIR, h.hostname);
  await Promise.all(hosts.map((h) => runOne(sshArgv(h.address, ['rm', '-rf', scratch(h), '&&', 'mkdir', '-p', scratch(h)], ssh), env)));
  return timed(() => Promise.all(hosts.map((h) => runOne(sshArgv(h.address, ['tar', '-x', '-C', scratch(h)], ssh), env, join(renderedDir, `${h.hostname}.tar`)))));
}
