// Everything the benchmark starts is stopped on the way out — normal end,
// error, Ctrl-C or SIGTERM — by the PIDs it recorded, never by name: the
// PostgreSQL clusters (by the postmaster's PID) and the process groups of the
// replication runs it spawned.

import { rmSync } from 'node:fs';
import type { PgCluster } from '../../test/helpers/pg-cluster.js';

const clusters = new Set<PgCluster>();
const starting = new Set<Promise<unknown>>();
const groups = new Set<number>();
const directories = new Set<string>();
let installed = false;
let stopping: Promise<void> | undefined;

/** Starts a cluster and keeps it on the list; a Ctrl-C during the start still stops it once it is up. */
export async function trackCluster(start: Promise<PgCluster>): Promise<PgCluster> {
  install();
  starting.add(start);
  try {
    const cluster = await start;
    clusters.add(cluster);
    return cluster;
  } finally {
    starting.delete(start);
  }
}

/** A child spawned with `detached: true` leads its own process group: killing the group reaches pg_dump and psql too. */
export function trackProcessGroup(pid: number): void {
  install();
  groups.add(pid);
}

export function releaseProcessGroup(pid: number): void {
  groups.delete(pid);
}

/** A work directory removed at the end (it holds a password file). */
export function trackDirectory(path: string): void {
  install();
  directories.add(path);
}

function killGroups(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
}

/** Stops everything, waiting for the clusters to shut down. Safe to call twice. */
export function stopAll(): Promise<void> {
  stopping ??= (async () => {
    killGroups();
    await Promise.allSettled([...starting]);
    await Promise.allSettled([...clusters].map((c) => c.stop()));
    clusters.clear();
    for (const dir of directories) rmSync(dir, { recursive: true, force: true });
    directories.clear();
  })();
  return stopping;
}

/** Last resort on `exit`, where nothing asynchronous runs: immediate shutdown by PID, a short synchronous wait, then the directories. */
function stopSynchronously(): void {
  killGroups();
  for (const cluster of clusters) {
    const pid = cluster.pid();
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      continue;
    }
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 100 && isRunning(pid); i++) Atomics.wait(sleeper, 0, 0, 50);
    rmSync(cluster.dir, { recursive: true, force: true });
  }
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', stopSynchronously);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench:replication: ${signal}, stopping the clusters and processes it started\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}
