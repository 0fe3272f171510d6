// The SSH floor: what any SSH-based tool must pay at least. (1) one
// curve25519 handshake per host, all in parallel (OpenSSH's client, key auth,
// one `true`); (2) one tar stream per host pushing that host's final tree.

import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ownProcess, releaseProcess } from './cleanup.mjs';
import { CLIENT_KEY, FLOOR_DIR, KNOWN_HOSTS, SSH_PORT } from './paths.mjs';

export function sshArgv(address, remoteArgv) {
  return [
    'ssh', '-F', '/dev/null', '-i', CLIENT_KEY, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${KNOWN_HOSTS}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'KexAlgorithms=curve25519-sha256', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
    '-p', String(SSH_PORT), `root@${address}`, '--', ...remoteArgv,
  ];
}

function runOne(argv, stdinFile) {
  return new Promise((resolve, reject) => {
    const fd = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const child = spawn(argv[0], argv.slice(1), { stdio: [fd, 'ignore', 'pipe'] });
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

export function floorHandshake(hosts) {
  return timed(() => Promise.all(hosts.map((h) => runOne(sshArgv(h.address, ['true'])))));
}

/** renderedDir holds <hostname>.tar from gen.py render; each host extracts into its own scratch dir. */
export function floorTarPush(hosts, renderedDir) {
  for (const h of hosts) {
    rmSync(join(FLOOR_DIR, h.hostname), { recursive: true, force: true });
    mkdirSync(join(FLOOR_DIR, h.hostname), { recursive: true });
  }
  return timed(() =>
    Promise.all(hosts.map((h) => runOne(sshArgv(h.address, ['tar', '-x', '-C', join(FLOOR_DIR, h.hostname)]), join(renderedDir, `${h.hostname}.tar`)))),
  );
}
