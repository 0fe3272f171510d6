// Where the playbook runs: a target is a set of hosts with the SSH settings
// to reach them and the tool-neutral operations on their trees (reset,
// drift, fetch). Two kinds, the same interface:
//   - N simulated hosts on loopback (bench/lib/fleet.mjs), whose base
//     directories are on this machine: gen.py works on them in place;
//   - the lab's 2-node real case: xivo01 is lab node `master`, xivo02 is
//     `slave`, two booted Debian 12 containers with their own systemd and
//     sshd, over a real veth/bridge network (docs/lab.md). gen.py's reset
//     and drift run inside each node for its own host (gen-host.py), and
//     the trees are fetched back here to be checked with the same code as
//     the loopback ones.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ownProcess, releaseProcess } from './cleanup.mjs';
import { sshArgv } from './floor.mjs';
import { BENCH_DIR, FLEET_SSH, HOSTS_DIR, ROOT } from './paths.mjs';
import { CommandFailed, run } from './proc.mjs';
import { xivoHaEntry } from './tools.mjs';
import { driftHosts, resetHosts, resolveHosts } from './workload.mjs';

/** N simulated hosts on loopback: every tree is a local directory already. */
export function loopbackTarget(n) {
  return {
    n,
    count: n,
    hosts: resolveHosts(n),
    ssh: FLEET_SSH,
    description: `${n} simulated hosts on loopback`,
    reset: async () => resetHosts(n),
    drift: async () => driftHosts(n),
    fetchTrees: async () => {},
  };
}

/**
 * The lab instance the bench uses: the test suite runs instances 0-3 and
 * 7-9 at the same time, and each instance has a bridge, subnet
 * (198.18.6.0/24), state directory and node names of its own.
 */
export const LAB_INSTANCE = '6';
/** docs/lab.md: the instance's state, with the runner's key and the nodes' known_hosts. */
export const LAB_STATE_DIR = `/var/lib/xivo-ha-lab${LAB_INSTANCE}`;
export const LAB_SSH = { port: 22, key: join(LAB_STATE_DIR, 'id_ed25519'), knownHosts: join(LAB_STATE_DIR, 'known_hosts') };
/** Which lab node plays which workload host. */
export const LAB_NODE_OF = { xivo01: 'master', xivo02: 'slave' };
const REMOTE_WORKLOAD = `${ROOT}/workload`;

function labArgv(...args) {
  return [process.execPath, xivoHaEntry(), 'lab', ...args];
}

const labEnv = () => ({ ...process.env, XIVO_HA_LAB_INSTANCE: LAB_INSTANCE });

/** `lab up` prints one line per node: NAME<TAB>ADDRESS<TAB>ROLE. Returns name -> address. */
export function parseLabUp(stdout) {
  const nodes = new Map();
  for (const line of stdout.split('\n')) {
    const [name, address] = line.split('\t');
    if (name && address) nodes.set(name, address);
  }
  return nodes;
}

/** The workload's 2 hosts, each at its lab node's address, port 22. */
export function labHosts(nodes) {
  return resolveHosts(2).map((h) => {
    const node = LAB_NODE_OF[h.hostname];
    const address = nodes.get(node);
    if (!address) throw new Error(`lab up did not report node ${node}`);
    return { ...h, address, port: LAB_SSH.port, node };
  });
}

/**
 * Brings lab instance 6 up (master and slave; a stale one is removed first)
 * and returns the target, or throws with the reason it cannot.
 */
export async function startLabTarget(log) {
  if (!xivoHaEntry()) throw new Error('no xivo-ha CLI to drive the lab (npm run build)');
  if (process.getuid?.() !== 0) throw new Error('the lab needs root');
  log(`bringing lab instance ${LAB_INSTANCE} up (${labArgv('up').slice(1).join(' ')})`);
  const t0 = Date.now();
  const out = await run(labArgv('up'), { env: labEnv() });
  const hosts = labHosts(parseLabUp(out));
  log(`lab up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${hosts.map((h) => `${h.hostname} = ${h.node} ${h.address}`).join(', ')}`);
  // The workload once into each node (/tmp/bench/workload), with gen-host.py beside it (/tmp/bench).
  const tar = ['tar', '-c', '-C', BENCH_DIR, 'workload', '-C', join(BENCH_DIR, 'lib'), 'gen-host.py'];
  await Promise.all(hosts.map((h) => pipe(tar, onNode(h, ['rm', '-rf', REMOTE_WORKLOAD, '&&', 'mkdir', '-p', ROOT, '&&', 'tar', '-x', '-C', ROOT]))));
  // Each node resets and drifts its own host only.
  const gen = (command) => Promise.all(hosts.map((h) => run(onNode(h, ['/usr/bin/python3', `${ROOT}/gen-host.py`, REMOTE_WORKLOAD, command, '2', h.hostname]))));
  return {
    n: 'lab',
    count: 2,
    hosts,
    ssh: LAB_SSH,
    description: `lab instance ${LAB_INSTANCE}: ${hosts.map((h) => `${h.hostname} = ${h.node} (${h.address})`).join(', ')}, booted Debian 12 containers with their own systemd and sshd, over a veth/bridge network`,
    reset: () => gen('reset'),
    drift: () => gen('drift'),
    // Each node's own tree, to this machine's /tmp/bench/hosts/<host>, where the checks read it.
    fetchTrees: () =>
      Promise.all(
        hosts.map((h) => {
          rmSync(join(HOSTS_DIR, h.hostname), { recursive: true, force: true });
          mkdirSync(HOSTS_DIR, { recursive: true });
          return pipe(onNode(h, ['tar', '-c', '-C', `${ROOT}/hosts`, h.hostname]), ['tar', '-x', '-C', HOSTS_DIR]);
        }),
      ),
  };
}

/** Takes lab instance 6 down; synchronous, so the cleanup path (Ctrl-C) can run it. */
export function stopLab(log) {
  const res = spawnSync(labArgv('down')[0], labArgv('down').slice(1), { env: labEnv(), encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) log(`lab down failed (exit ${res.status ?? res.signal}): ${(res.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
  else log(`lab instance ${LAB_INSTANCE} down`);
}

function onNode(host, remoteArgv) {
  return sshArgv(host.address, remoteArgv, LAB_SSH);
}

/** from | to, both by argv, binary-safe; rejects naming the side that failed. */
function pipe(from, to) {
  return new Promise((resolve, reject) => {
    const a = spawn(from[0], from.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(to[0], to.slice(1), { stdio: [a.stdout, 'ignore', 'pipe'] });
    // b holds its own copy of the pipe; ours would keep a's 'close' from ever coming.
    a.stdout.destroy();
    const errors = { a: '', b: '' };
    const codes = {};
    for (const [name, child] of Object.entries({ a, b })) {
      ownProcess(child.pid, child.spawnfile);
      child.stderr.on('data', (d) => (errors[name] += d));
      child.on('error', (err) => (errors[name] += err.message));
      child.on('close', (code, signal) => {
        releaseProcess(child.pid);
        codes[name] = code ?? signal;
        if (!('a' in codes && 'b' in codes)) return;
        if (codes.a !== 0) reject(new CommandFailed(from, codes.a, errors.a));
        else if (codes.b !== 0) reject(new CommandFailed(to, codes.b, errors.b));
        else resolve();
      });
    }
  });
}
