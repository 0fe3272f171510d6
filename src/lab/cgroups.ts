// One cgroup per node, in both hierarchies of this cgroup v1 "hybrid" layout
// (/sys/fs/cgroup/systemd and /sys/fs/cgroup/unified): each node's launcher
// moves itself there before exec'ing systemd-nspawn, so nodes don't share a
// payload cgroup, and so every process of a node can be found and killed.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './exec.js';
import { CGROUP_NAME } from './topology.js';

export const CGROUP_HIERARCHIES = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];

export function nodeCgroupDirs(node: string): string[] {
  return CGROUP_HIERARCHIES.filter((h) => existsSync(h)).map((h) => join(h, CGROUP_NAME, node));
}

export function labCgroupRoots(): string[] {
  return CGROUP_HIERARCHIES.map((h) => join(h, CGROUP_NAME)).filter((d) => existsSync(d));
}

/** Directories of a cgroup tree, deepest first (the order rmdir needs). */
function treeDeepestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    try {
      if (statSync(p).isDirectory()) out.push(...treeDeepestFirst(p));
    } catch {
      // a cgroup removed while we walk: nothing left to do for it
    }
  }
  out.push(dir);
  return out;
}

function readPids(cgroupDir: string): number[] {
  try {
    return readFileSync(join(cgroupDir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A zombie is gone for our purposes: the machine's PID 1 reaps it late. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function livePidsIn(dir: string): number[] {
  const pids = new Set<number>();
  for (const d of treeDeepestFirst(dir)) for (const pid of readPids(d)) if (isAlive(pid)) pids.add(pid);
  return [...pids];
}

export function nodePids(node: string): number[] {
  const pids = new Set<number>();
  for (const d of nodeCgroupDirs(node)) for (const pid of livePidsIn(d)) pids.add(pid);
  return [...pids];
}

/** SIGKILLs every process of the tree until none is left alive, then removes the cgroups. */
export async function killCgroupTree(dirs: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = dirs.flatMap(livePidsIn);
    if (pids.length === 0) break;
    if (Date.now() > deadline) throw new Error(`processes survive SIGKILL in ${dirs.join(', ')}: ${pids.join(' ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(50);
  }
  for (const dir of dirs) {
    for (const d of treeDeepestFirst(dir)) {
      await removeCgroupDir(d, deadline);
    }
  }
}

/** rmdir fails with EBUSY while a reaped-late zombie still counts as a member. */
async function removeCgroupDir(dir: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** The node's systemd (PID 1 inside its PID namespace), if it runs. */
export function findContainerInit(node: string): number | undefined {
  for (const pid of nodePids(node)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return pid;
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/**
 * systemd-nspawn run with --keep-unit (the base image build runs commands in
 * the image that way) creates `payload` and `supervisor` cgroups under the
 * caller's own cgroup v2 and leaves them, empty, when it exits: they would
 * litter the cgroup of whoever ran `lab build` or `lab up` (a shell's
 * session, a CI step) and keep it from being removed. Removes them when empty.
 */
export async function removeNspawnCgroupLeftovers(): Promise<void> {
  let own: string | undefined;
  try {
    own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3);
  } catch {
    return;
  }
  if (!own) return;
  for (const name of ['payload', 'supervisor']) {
    await rmdir(join('/sys/fs/cgroup/unified', own, name)).catch(() => undefined);
  }
}
