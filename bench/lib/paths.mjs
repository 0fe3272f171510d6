// Where the benchmark keeps things. gen.py hard-codes /tmp/bench for the
// hosts' base directories, so everything else lives beside them.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(BENCH_DIR);
export const WORKLOAD_DIR = join(BENCH_DIR, 'workload');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

export const ROOT = '/tmp/bench';
export const SSH_DIR = join(ROOT, 'ssh');
export const CLIENT_KEY = join(SSH_DIR, 'id_ed25519');
export const HOST_KEY = join(SSH_DIR, 'ssh_host_ed25519_key');
export const AUTHORIZED_KEYS = join(SSH_DIR, 'authorized_keys');
export const KNOWN_HOSTS = join(SSH_DIR, 'known_hosts');
/** A stock root home (from /etc/skel): the machine's own dotfiles would be paid by every remote command. */
export const REMOTE_HOME = join(ROOT, 'home');
export const CONFIG_DIR = join(ROOT, 'config');
export const RUNS_DIR = join(ROOT, 'runs');
export const SNAPSHOT_DIR = join(ROOT, 'snapshots');
export const FLOOR_DIR = join(ROOT, 'floor');
export const RENDERED_DIR = join(ROOT, 'rendered');
export const HOSTS_DIR = join(ROOT, 'hosts');
/** xivo-ha's V8 code cache (src/cli/compile-cache.ts): emptied as each bench starts. */
export const COMPILE_CACHE_DIR = join(ROOT, 'xivo-ha-compile-cache');

export const SSH_PORT = 2222;
/** How every client reaches the simulated hosts (the lab's 2-node case has its own: bench/lib/targets.mjs). */
export const FLEET_SSH = { port: SSH_PORT, key: CLIENT_KEY, knownHosts: KNOWN_HOSTS };
/** OpenSSH accepts at most 16 ListenAddress lines per sshd process. */
export const ADDRESSES_PER_SSHD = 16;

export function hostName(i) {
  return `xivo${String(i).padStart(2, '0')}`;
}

export function hostAddress(i) {
  return `127.0.0.${i + 1}`;
}
