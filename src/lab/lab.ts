// The lab's programmatic API: up, down, status, kill, revive, reset, exec and
// ssh. Used by `xivo-ha lab`, the integration tests and the demo.

import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { ensureBase, ensureHostPackages, pruneOldBases } from './base.js';
import { isAlive, killCgroupTree, labCgroupRoots, livePidsIn } from './cgroups.js';
import { runLocal, sleep, type LocalResult } from './exec.js';
import { allowBridgedTraffic, createNodeNetwork, ensureBridge, isNodeLinkUp, listLabLinks, listLabNetns, removeNetwork, setNodeLink } from './network.js';
import { destroyNodeDisk, ensureNodeIdentity, labMounts, mountNodeDisk, writeNodeConfig } from './node-disk.js';
import { execInNode, isNodeRunning, killNodeProcesses, launchNode, waitNodeReady } from './node-process.js';
import { listLossTables, removeAllLoss, setNodeLoss } from './link-loss.js';
import { raiseHostLimits } from './host-limits.js';
import { stateDir } from './paths.js';
import { ensureRunnerKey, sshArgv, writeKnownHosts } from './ssh.js';
import { labNodes, readLabState, removeLabState, requireLabNode, requireLabState, writeLabState } from './state.js';
import { ALL_NODES, LAUNCHER_NAME, machineName, selectNodes, type LabNode, type NodeSelection } from './topology.js';

export type LabLog = (line: string) => void;

const quiet: LabLog = () => {};

function seconds(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

export interface LabUpResult {
  nodes: LabNode[];
  base: string;
}

/**
 * Makes sure the runner can build and run labs and the base image is cached
 * (built when missing: minutes, once per machine); returns its path. Any
 * number of lab instances can then come up at the same time without each
 * waiting on, or repeating, the build.
 */
export async function labBuild(log: LabLog = quiet, command = 'build'): Promise<string> {
  if (process.getuid?.() !== 0) throw new UserError('the lab needs root', `run \`xivo-ha lab ${command}\` as root`);
  await ensureHostPackages(log);
  return ensureBase(log);
}

/** Brings up the node set from nothing (a stale lab is removed first). */
export async function labUp(selection: NodeSelection, log: LabLog = quiet): Promise<LabUpResult> {
  const t0 = Date.now();
  const base = await labBuild(log, 'up');
  const tClean = Date.now();
  await labDown(quiet);
  await pruneOldBases();
  log(`cleaned any stale lab in ${seconds(tClean)}`);
  const nodes = selectNodes(selection);
  const tBoot = Date.now();
  await raiseHostLimits(log);
  await ensureRunnerKey();
  await ensureBridge();
  await allowBridgedTraffic(log);
  await writeLabState({ base, nodes: nodes.map((n) => n.name), startedAt: new Date().toISOString() });
  await Promise.all(
    nodes.map(async (node) => {
      await ensureNodeIdentity(node.name);
      await createNodeNetwork(node);
      await mountNodeDisk(node.name, base);
      await writeNodeConfig(node.name, nodes);
      launchNode(node.name);
    }),
  );
  await writeKnownHosts(nodes);
  await Promise.all(nodes.map((n) => waitBooted(n)));
  log(`${nodes.length} nodes up in ${seconds(tBoot)} (${nodes.map((n) => `${n.name} ${n.address}`).join(', ')}); total ${seconds(t0)}`);
  return { nodes, base };
}

async function waitBooted(node: LabNode): Promise<void> {
  await waitNodeReady(node.name);
  await waitTcp(node.address, 22, 20_000);
}

/**
 * Removes every trace of the lab: processes, cgroups, mounts, netns,
 * interfaces, nspawn leftovers and node disks. Sweeps by name, so it also
 * cleans after a crashed run whose state file is gone. Keeps the runner key,
 * the nodes' identities and the cached base.
 */
export async function labDown(log: LabLog = quiet): Promise<void> {
  const t0 = Date.now();
  const roots = labCgroupRoots();
  if (roots.length) await killCgroupTree(roots);
  for (const mount of labMounts()) {
    const r = await runLocal(['umount', mount]);
    if (r.code !== 0) await runLocal(['umount', '--lazy', mount]);
  }
  await removeAllLoss();
  await removeNetwork();
  for (const node of ALL_NODES) await rm(`/run/systemd/nspawn/propagate/${machineName(node.name)}`, { recursive: true, force: true });
  await removeNspawnLocks();
  if (existsSync(join(stateDir, 'nodes'))) await rm(join(stateDir, 'nodes'), { recursive: true, force: true });
  await removeLabState();
  log(`lab down in ${seconds(t0)}`);
}

/** nspawn's image locks name the directory's device and inode; ours are gone with the nodes. */
async function removeNspawnLocks(): Promise<void> {
  const dir = '/run/systemd/nspawn/locks';
  if (!existsSync(dir)) return;
  const running = await runLocal(['pgrep', '-x', 'systemd-nspawn']);
  if (running.stdout.trim() === '') await rm(dir, { recursive: true, force: true });
}

export interface LabLeftovers {
  netns: string[];
  links: string[];
  mounts: string[];
  cgroups: string[];
  processes: number[];
  /** systemd-nspawn's per-machine directories under /run/systemd/nspawn/propagate. */
  nspawn: string[];
  /** nftables tables of `lab loss`. */
  lossTables: string[];
}

/** What of the lab still exists on the machine (all empty after `down`). */
export async function findLabLeftovers(): Promise<LabLeftovers> {
  const roots = labCgroupRoots();
  // This instance's launchers and containers only: other labs may run beside it.
  const pgrep = await runLocal(['pgrep', '-f', `^bash -c .* ${LAUNCHER_NAME} |^systemd-nspawn .*--directory=${stateDir}/`]);
  return {
    netns: await listLabNetns(),
    links: await listLabLinks(),
    mounts: labMounts(),
    cgroups: roots,
    // Zombies count as gone: the machine's PID 1 reaps them a moment late.
    lossTables: await listLossTables(),
    nspawn: ALL_NODES.map((n) => `/run/systemd/nspawn/propagate/${machineName(n.name)}`).filter((p) => existsSync(p)),
    processes: [...roots.flatMap(livePidsIn), ...pgrep.stdout.split('\n').filter(Boolean).map(Number).filter(isAlive)],
  };
}

export interface NodeStatus {
  name: string;
  address: string;
  role: string;
  running: boolean;
  linkUp: boolean;
}

export async function labStatus(): Promise<NodeStatus[] | undefined> {
  const state = readLabState();
  if (!state) return undefined;
  return Promise.all(
    labNodes(state).map(async (n) => ({ name: n.name, address: n.address, role: n.role, running: isNodeRunning(n.name), linkUp: await isNodeLinkUp(n.name) })),
  );
}

/** Cuts the node's link (it runs on, unreachable); with hard, also powers it off. */
export async function killNode(name: string, options: { hard?: boolean } = {}): Promise<void> {
  requireLabNode(requireLabState(), name);
  await setNodeLink(name, false);
  if (options.hard) await killNodeProcesses(name);
}

/** Restores the link; boots the node first when it was powered off (its disk is kept). */
export async function reviveNode(name: string): Promise<void> {
  const state = requireLabState();
  const node = requireLabNode(state, name);
  if (!isNodeRunning(name)) {
    await killNodeProcesses(name);
    // The disk is the node's own: nothing is rewritten, what playbooks changed stays.
    await mountNodeDisk(name, state.base);
    launchNode(name);
    await waitNodeReady(name);
  }
  await setNodeLink(name, true);
  await waitTcp(node.address, 22, 20_000);
}

/** A fresh disk from the base with the node's same identity (host keys, machine-id), booted. */
export async function resetNode(name: string): Promise<void> {
  const state = requireLabState();
  const node = requireLabNode(state, name);
  await setNodeLink(name, false);
  await killNodeProcesses(name);
  await destroyNodeDisk(name);
  await mountNodeDisk(name, state.base);
  await writeNodeConfig(name, labNodes(state));
  launchNode(name);
  await waitNodeReady(name);
  await setNodeLink(name, true);
  await waitTcp(node.address, 22, 20_000);
}

/** Makes the node's link drop percent % of its frames, both ways (0: a clean link again). */
export async function setLinkLoss(name: string, percent: number): Promise<void> {
  requireLabNode(requireLabState(), name);
  await setNodeLoss(name, percent);
}

/** Runs argv through the node's namespaces (no network needed). */
export async function labExec(name: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<LocalResult> {
  requireLabNode(requireLabState(), name);
  return execInNode(name, argv, options);
}

/** Runs argv on the node over SSH, from the runner. */
export async function labSsh(name: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<LocalResult> {
  const node = requireLabNode(requireLabState(), name);
  return runLocal(sshArgv(node, argv), options);
}

export function labSshArgv(name: string, argv: string[], options: { tty?: boolean } = {}): string[] {
  return sshArgv(requireLabNode(requireLabState(), name), argv, options);
}

export function waitTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = createConnection({ host, port, timeout: 1000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      let retried = false;
      const retry = (): void => {
        if (retried) return;
        retried = true;
        socket.destroy();
        if (Date.now() > deadline) reject(new UserError(`${host}:${port} does not answer after ${timeoutMs / 1000} s`));
        else void sleep(100).then(attempt);
      };
      socket.once('error', retry);
      socket.once('timeout', retry);
    };
    attempt();
  });
}
