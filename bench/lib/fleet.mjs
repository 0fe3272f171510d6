// N simulated hosts on loopback: sshd processes we start ourselves, each
// listening on up to 16 addresses 127.0.0.2… port 2222, key-only root login
// with a bench-owned key, a stock home, and a known_hosts both tools use.

import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ownProcess, releaseProcess } from './cleanup.mjs';
import {
  ADDRESSES_PER_SSHD, AUTHORIZED_KEYS, CLIENT_KEY, HOST_KEY, KNOWN_HOSTS, REMOTE_HOME, SSH_DIR, SSH_PORT, hostAddress,
} from './paths.mjs';
import { runSync } from './proc.mjs';

const SSHD = '/usr/sbin/sshd';

export function prepareKeys() {
  mkdirSync(SSH_DIR, { recursive: true, mode: 0o700 });
  chmodSync(SSH_DIR, 0o700);
  for (const key of [CLIENT_KEY, HOST_KEY]) {
    if (!existsSync(key)) runSync(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'xivo-ha-bench', '-f', key]);
  }
  writeFileSync(AUTHORIZED_KEYS, readFileSync(`${CLIENT_KEY}.pub`), { mode: 0o600 });
  rmSync(REMOTE_HOME, { recursive: true, force: true });
  cpSync('/etc/skel', REMOTE_HOME, { recursive: true });
}

/** One known_hosts line per address: the host key is shared by every listener. */
export function writeKnownHosts(count) {
  const hostKey = readFileSync(`${HOST_KEY}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const lines = [];
  for (let i = 1; i <= count; i++) lines.push(`[${hostAddress(i)}]:${SSH_PORT} ${hostKey}`);
  writeFileSync(KNOWN_HOSTS, lines.join('\n') + '\n');
}

export function renderSshdConfig(addresses, pidFile) {
  return [
    ...addresses.map((a) => `ListenAddress ${a}:${SSH_PORT}`),
    `HostKey ${HOST_KEY}`,
    `PidFile ${pidFile}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // The bench key, never root's own ~/.ssh. StrictModes would refuse it under
    // world-writable /tmp, and the directory is ours (0700) anyway.
    `AuthorizedKeysFile ${AUTHORIZED_KEYS}`,
    'StrictModes no',
    'UsePAM no',
    'UseDNS no',
    'MaxStartups 200',
    'MaxSessions 200',
    // A stock home: the machine's dotfiles (and ~/.ssh/rc) stay out of every remote command.
    `SetEnv HOME=${REMOTE_HOME}`,
    'PermitUserRC no',
    'PrintMotd no',
    'PrintLastLog no',
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

export class Fleet {
  constructor(count) {
    this.count = count;
    this.processes = [];
  }

  async start() {
    prepareKeys();
    writeKnownHosts(this.count);
    // sshd refuses to start without its privilege separation directory (Debian's unit creates it).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    for (let first = 1; first <= this.count; first += ADDRESSES_PER_SSHD) {
      const last = Math.min(this.count, first + ADDRESSES_PER_SSHD - 1);
      const addresses = [];
      for (let i = first; i <= last; i++) addresses.push(hostAddress(i));
      const index = this.processes.length;
      const configFile = join(SSH_DIR, `sshd-${index}.conf`);
      writeFileSync(configFile, renderSshdConfig(addresses, join(SSH_DIR, `sshd-${index}.pid`)));
      runSync([SSHD, '-t', '-f', configFile]);
      // -D: stay in the foreground so the PID we hold is the listener's; -e: errors to stderr.
      const child = spawn(SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      ownProcess(child.pid, `sshd ${addresses[0]}…`);
      child.on('exit', () => releaseProcess(child.pid));
      this.processes.push({ child, addresses, stderr: () => stderr });
    }
    await Promise.all(this.processes.flatMap((p) => p.addresses.map((a) => waitForPort(a, SSH_PORT, p))));
  }

  stop() {
    for (const { child } of this.processes) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      releaseProcess(child.pid);
    }
    this.processes = [];
  }
}

async function waitForPort(address, port, proc, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`sshd for ${address} exited (${proc.child.exitCode}): ${proc.stderr().trim()}`);
    if (await canConnect(address, port)) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${address}:${port} within ${timeoutMs} ms: ${proc.stderr().trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
