// CPU seconds per step of `npm test`. On 2 cores the suite is CPU-bound, so
// wall time per file says little about what to cut: a file that waits is
// stretched by the others' work. Each step runs in a cgroup of its own (the
// cgroup v2 hierarchy, which counts CPU without any controller enabled), so
// its CPU includes every process it starts: xivo-ha runs, ssh, and the
// commands it runs in lab nodes through their namespaces. What runs inside
// the lab's nodes (sshd, agents, PostgreSQL, monitors) is counted per lab
// instance, from the lab's own cgroups (labCpuSeconds).
//
// Without root or without the v2 hierarchy, nothing is measured and the steps
// run as before.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const UNIFIED = '/sys/fs/cgroup/unified';
const ROOT = join(UNIFIED, `xivo-ha-test-steps-${process.pid}`);
const usable = process.getuid?.() === 0 && existsSync(join(UNIFIED, 'cgroup.procs'));
let next = 0;

function usageSeconds(dir) {
  try {
    const line = readFileSync(join(dir, 'cpu.stat'), 'utf8').split('\n').find((l) => l.startsWith('usage_usec '));
    return line ? Number(line.split(' ')[1]) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cgroup for one step: `wrap` turns a command into one that joins the
 * cgroup before exec'ing it; `finish` returns the CPU seconds used (undefined
 * when not measured) and removes the cgroup.
 */
export function stepCgroup() {
  if (!usable) return { wrap: (cmd, argv) => [cmd, argv], finish: () => undefined };
  const dir = join(ROOT, String(next++));
  mkdirSync(dir, { recursive: true });
  return {
    wrap: (cmd, argv) => ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, cmd, ...argv]],
    finish() {
      const seconds = usageSeconds(dir);
      try {
        rmdirSync(dir);
      } catch {
        // a process of the step still lives there: removeStepCgroups tries again at the end
      }
      return seconds;
    },
  };
}

/** CPU seconds used so far inside the lab nodes of lab instance `instance` (the lab's cgroup; undefined once it is gone). */
export function labCpuSeconds(instance) {
  const tag = instance === '0' ? '' : instance;
  return usable ? usageSeconds(join(UNIFIED, `xivo-ha-lab${tag}`)) : undefined;
}

/**
 * Removes the steps' cgroups, deepest first: a step's is kept by finish
 * while a process it started still lives there (a lab node's launcher moves
 * itself to the lab's cgroup a moment after its step ends), and a tool run by
 * a step may have made empty ones below it. A cgroup that still holds a
 * process is left, never its process killed.
 */
export function removeStepCgroups() {
  // A process of a late step may still be exiting: ten seconds in all, not per cgroup. A process
  // that lives on longer is left alone (a `sleep 30` a timed-out remote exec leaves: docs/agent.md).
  const deadline = Date.now() + 10_000;
  const remove = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) remove(join(dir, entry.name));
    for (;;) {
      try {
        rmdirSync(dir);
        return;
      } catch {
        if (Date.now() > deadline) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
  };
  if (existsSync(ROOT)) remove(ROOT);
}
