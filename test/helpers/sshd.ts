// A real OpenSSH server for integration tests: its own host key, config and
// authorized key in a temp dir, listening on a loopback address, run in the
// foreground (-D -e) and killed by its PID in stop(). Never the system sshd.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryHost } from '../../src/core/model.js';

const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  address: string;
  port: number;
  dir: string;
  pid: number;
  /** Private key that may log in as root. */
  clientKey: string;
  /** The server's public host key line (type and base64). */
  hostKey: string;
  /** A known_hosts line for this server. */
  knownHostsLine(): string;
  /** An inventory host for this server; override anything. */
  host(overrides?: Partial<InventoryHost>): InventoryHost;
  /** PIDs of xivo-ha agents running under this sshd's sessions. */
  agentPids(): number[];
  stop(): Promise<void>;
}

/** Every process below pid, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process exited while we looked.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Makes a key pair with ssh-keygen; returns the private key path. */
export function makeKey(dir: string, name: string, type = 'ed25519'): string {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return path;
}

export function publicKeyOf(privateKeyPath: string): string {
  return readFileSync(`${privateKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 40000);
}

function waitForListening(child: ChildProcess): Promise<'listening' | 'in-use' | string> {
  return new Promise((resolve) => {
    let log = '';
    const timer = setTimeout(() => resolve(`sshd did not report listening within 10 s: ${log}`), 10_000);
    const done = (what: string) => {
      clearTimeout(timer);
      child.stderr?.removeAllListeners('data');
      child.removeAllListeners('exit');
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

export async function startSshd(options: { address?: string } = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install it with apt-get install -y openssh-server`);
  const address = options.address ?? '127.0.0.2';
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-sshd-'));
  try {
    const hostKeyPath = makeKey(dir, 'host_ed25519');
    const clientKey = makeKey(dir, 'client_ed25519');
    writeFileSync(join(dir, 'authorized_keys'), `${publicKeyOf(clientKey)}\n`, { mode: 0o600 });
    // sshd refuses to start without its privilege separation directory (normally made by the package's service).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    for (let attempt = 0; attempt < 10; attempt++) {
      const port = randomPort();
      const config = join(dir, 'sshd_config');
      writeFileSync(config, [
        `ListenAddress ${address}:${port}`,
        `HostKey ${hostKeyPath}`,
        'PidFile none',
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'MaxStartups 100',
        'LogLevel INFO',
        '',
      ].join('\n'));
      const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      const state = await waitForListening(child);
      if (state === 'in-use') continue;
      if (state !== 'listening') {
        child.kill('SIGKILL');
        throw new Error(state);
      }
      child.stderr?.resume();
      const pid = child.pid!;
      const hostKey = publicKeyOf(hostKeyPath);
      return {
        address,
        port,
        dir,
        pid,
        clientKey,
        hostKey,
        knownHostsLine: () => `[${address}]:${port} ${hostKey}`,
        host: (overrides = {}) => ({
          name: 'node',
          address,
          port,
          user: 'root',
          identityFile: clientKey,
          knownHosts: join(dir, 'known_hosts'),
          // Generous: CI machines under load take seconds for an SSH handshake.
          connectTimeoutS: 20,
          vars: {},
          groups: [],
          ...overrides,
        }),
        agentPids: () => descendants(pid).filter((p) => cmdline(p).includes('xivo-ha-agent')),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            process.kill(pid, 'SIGTERM');
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    throw new Error('no free port found for sshd after 10 attempts');
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
