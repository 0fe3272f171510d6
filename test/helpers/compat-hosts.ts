// Simulated hosts for the Ansible compatibility suite: one OpenSSH sshd per
// host on its own loopback address, each in its own mount namespace with a
// private tmpfs over /var/lib/xivo-ha. All hosts share this machine, and
// xivo-ha keeps its run lock and pending handlers there: without the private
// mount two xivo-ha hosts would take the same lock and one would fail.
// Every sshd runs in the foreground and is stopped by its PID.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKey, publicKeyOf } from './sshd.js';

const SSHD = '/usr/sbin/sshd';
const STATE_DIR = '/var/lib/xivo-ha';

export interface CompatHost {
  name: string;
  address: string;
  port: number;
  pid: number;
}

export interface CompatHosts {
  hosts: CompatHost[];
  /** Private key that may log in as root on every host. */
  clientKey: string;
  /** known_hosts with one line per host. */
  knownHosts: string;
  stop(): Promise<void>;
}

function sshdConfig(address: string, port: number, dir: string): string {
  return [
    `ListenAddress ${address}:${port}`,
    `HostKey ${join(dir, 'host_ed25519')}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    // The key lives under /tmp, which StrictModes would refuse.
    'StrictModes no',
    'MaxStartups 100',
    'MaxSessions 100',
    // A stock home from /etc/skel: bash sources ~/.bashrc for ssh commands, and
    // this machine's (pyenv and the like) costs seconds per command.
    `SetEnv HOME=${join(dir, 'home')}`,
    // Keep the machine's ~/.ssh/rc and motd out of every session.
    'PermitUserRC no',
    'PrintMotd no',
    'PrintLastLog no',
    // Ansible sends files over sftp (and warns, then falls back to slower ways, without it).
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    '',
  ].join('\n');
}

function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let log = '';
    const timer = setTimeout(() => resolve(`sshd did not report listening within 10 s: ${log}`), 10_000);
    const done = (what: string) => {
      clearTimeout(timer);
      child.stderr?.removeAllListeners('data');
      child.removeAllListeners('exit');
      child.stderr?.resume();
      resolve(what);
    };
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server listening on')) done('listening');
      else if (log.includes('Address already in use')) done('in-use');
    });
    child.on('exit', (code) => done(log.includes('Address already in use') ? 'in-use' : `sshd exited (${code}): ${log}`));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid!, 'SIGTERM');
  await exited;
}

async function startOne(name: string, address: string, dir: string, children: ChildProcess[]): Promise<CompatHost> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const config = join(dir, `sshd-${name}.conf`);
    writeFileSync(config, sshdConfig(address, port, dir));
    // unshare and sh exec in place, so the PID we hold is sshd's.
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
      'mount -t tmpfs -o mode=0700 xivo-ha-compat "$1" && exec "$2" -D -e -f "$3"', 'sh', STATE_DIR, SSHD, config],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    const state = await waitForListening(child);
    if (state === 'listening') return { name, address, port, pid: child.pid! };
    await stopChild(child);
    if (state !== 'in-use') throw new Error(`sshd for ${name} on ${address}: ${state}`);
  }
  throw new Error(`no free port for ${name}'s sshd on ${address} after 10 attempts`);
}

/** Starts one sshd per name, on 127.0.0.<firstOctet + i>; keys and configs go in dir. */
export async function startCompatHosts(names: string[], dir: string, firstOctet: number): Promise<CompatHosts> {
  mkdirSync(dir, { recursive: true });
  const hostKey = makeKey(dir, 'host_ed25519');
  const clientKey = makeKey(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), `${publicKeyOf(clientKey)}\n`, { mode: 0o600 });
  // sshd refuses to start without its privilege separation directory; the tmpfs needs a mount point.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  cpSync('/etc/skel', join(dir, 'home'), { recursive: true });
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
  };
  try {
    const hosts: CompatHost[] = [];
    for (const [i, name] of names.entries()) hosts.push(await startOne(name, `127.0.0.${firstOctet + i}`, dir, children));
    const knownHosts = join(dir, 'known_hosts');
    const key = publicKeyOf(hostKey);
    writeFileSync(knownHosts, hosts.map((h) => `[${h.address}]:${h.port} ${key}\n`).join(''));
    return { hosts, clientKey, knownHosts, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
