// Booting, powering off and entering a node. Each node is a systemd-nspawn
// container booting its overlay disk inside its prepared netns. PID 1 of this
// machine is not systemd, hence --register=no --keep-unit and the per-node
// cgroups the launcher moves itself into.

import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { findContainerInit, isAlive, killCgroupTree, nodeCgroupDirs } from './cgroups.js';
import { runLocal, sleep, tail, type LocalResult } from './exec.js';
import { nodeRoot } from './node-disk.js';
import { nodeDir } from './paths.js';
import { LAUNCHER_NAME, machineName, netnsName } from './topology.js';

// Static text: the node's values arrive as positional parameters, never
// spliced into the script. nspawn exits 133 when the node reboots: boot again.
const LAUNCHER_SCRIPT = `
set -u
machine=$1 root=$2 netns=$3
shift 3
for dir in "$@"; do
  mkdir -p "$dir" && echo $$ > "$dir/cgroup.procs" || exit 90
done
while :; do
  systemd-nspawn --boot --register=no --keep-unit --quiet --console=passive \\
    --directory="$root" --machine="$machine" --network-namespace-path="/run/netns/$netns" \\
    --resolv-conf=off --link-journal=no --timezone=off
  rc=$?
  echo "systemd-nspawn exited $rc"
  [ "$rc" = 133 ] || exit "$rc"
done
`;

export function consoleLog(node: string): string {
  return join(nodeDir(node), 'console.log');
}

/** Starts the node's launcher, detached: the node outlives the command that booted it. */
export function launchNode(node: string): number {
  const out = openSync(consoleLog(node), 'a');
  try {
    const child = spawn('bash', ['-c', LAUNCHER_SCRIPT, LAUNCHER_NAME, machineName(node), nodeRoot(node), netnsName(node), ...nodeCgroupDirs(node)], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    if (child.pid === undefined) throw new UserError(`${node}: could not start systemd-nspawn`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** Runs argv inside the node through its namespaces (works while its link is cut). */
export async function execInNode(node: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<LocalResult> {
  const init = findContainerInit(node);
  if (init === undefined) throw new UserError(`${node} is not running`, 'start it with `xivo-ha lab revive ' + node + '` or `xivo-ha lab up`');
  return runLocal(nsenterArgv(init, argv), options);
}

export function nsenterArgv(initPid: number, argv: string[]): string[] {
  return [
    'nsenter', '-t', String(initPid), '-m', '-u', '-i', '-n', '-p', '-r', '-w',
    '/usr/bin/env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'TERM=dumb',
    ...argv,
  ];
}

/** Waits until the node's systemd reports the boot finished and sshd listens. */
export async function waitNodeReady(node: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not started';
  while (Date.now() < deadline) {
    const init = findContainerInit(node);
    if (init !== undefined) {
      const r = await runLocal(nsenterArgv(init, ['systemctl', 'is-system-running']), { timeoutMs: 10_000 });
      last = r.stdout.trim() || r.stderr.trim();
      if (last === 'running') return;
      if (last === 'degraded') {
        const failed = await runLocal(nsenterArgv(init, ['systemctl', '--failed', '--no-legend', '--plain']));
        throw new UserError(`${node} booted with failed units`, tail(failed.stdout) || 'see `xivo-ha lab exec ' + node + ' systemctl --failed`');
      }
    }
    await sleep(100);
  }
  const log = await runLocal(['tail', '-n', '20', consoleLog(node)]);
  throw new UserError(`${node} did not finish booting in ${timeoutMs / 1000} s (systemd says: ${last})`, `console tail:\n${log.stdout}`);
}

/** Powers the node off at once: SIGKILL to every process it has, launcher included. */
export async function killNodeProcesses(node: string): Promise<void> {
  await killCgroupTree(nodeCgroupDirs(node));
  await rm(`/run/systemd/nspawn/propagate/${machineName(node)}`, { recursive: true, force: true });
}

export function isNodeRunning(node: string): boolean {
  const init = findContainerInit(node);
  return init !== undefined && isAlive(init);
}
