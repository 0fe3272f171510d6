// Kernel limits of the runner machine that booted containers share. Every
// node's systemd, journald, logind and udevd take inotify instances from
// root's budget (fs.inotify.max_user_instances, 128 on Debian): two labs
// beside each other exhausted it ("Failed to create control group inotify
// object: Too many open files", PID 1 of the node exits). Raised, never
// lowered: other users of the machine keep what they had.

import { readFile, writeFile } from 'node:fs/promises';

const LIMITS: Array<{ path: string; atLeast: number }> = [
  { path: '/proc/sys/fs/inotify/max_user_instances', atLeast: 1024 },
  { path: '/proc/sys/fs/inotify/max_user_watches', atLeast: 524_288 },
];

export async function raiseHostLimits(log: (line: string) => void): Promise<void> {
  for (const { path, atLeast } of LIMITS) {
    const current = Number((await readFile(path, 'utf8')).trim());
    if (current >= atLeast) continue;
    await writeFile(path, `${atLeast}\n`);
    log(`${path.replace('/proc/sys/', '').replaceAll('/', '.')}: ${current} -> ${atLeast} (booted nodes use inotify)`);
  }
}
