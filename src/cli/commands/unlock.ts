// xivo-ha unlock: who holds the run lock on each host, and with --force, end
// the holding agent so the lock goes.
//
// The run lock is an flock held by the agent of a running apply: the kernel
// releases it the moment that agent exits, so a lock file can never be stale
// (docs/guarantees.md). What can outlive its run is the agent itself: its
// runner vanished without closing TCP, or it is still waiting for a command
// the dead run started. --force ends that agent (and the commands it
// started); nothing else on the node is touched.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Connector, HostConnection } from '../../transport/types.js';
import type { InventoryHost } from '../../core/model.js';
import type { RunEvent } from '../../core/events.js';
import { ExitCode } from '../../core/events.js';
import { ConnectError } from '../../core/errors.js';
import { endHolder, probeHolder, waitFree, type LockHolder } from '../../core/stale-lock.js';
import { lockPathOf } from '../../core/pending-handlers.js';
import { createEmitter } from '../output.js';

interface UnlockFlags {
  inventory: string;
  limit?: string;
  force?: boolean;
  acceptNew?: boolean;
  json?: boolean;
  color?: boolean;
}

export type UnlockOutcome = 'free' | 'locked' | 'broken' | 'failed';

export function registerUnlockCommand(program: Command): void {
  program
    .command('unlock')
    .description('show who holds the run lock on each host; --force ends the agent holding it (exit 3 while a host stays locked or unreachable)')
    .requiredOption('-i, --inventory <file>', 'inventory file (XiVO cluster or plain Ansible YAML)')
    .option('-l, --limit <pattern>', 'only hosts matching this Ansible pattern')
    .option('--force', 'end the xivo-ha agent holding the lock (and the commands it runs) on each locked host')
    .option('--accept-new', 'trust and record unknown SSH host keys')
    .option('--json', 'one JSON event per line on stdout')
    .option('--no-color', 'no colours')
    .action(async (flags: UnlockFlags) => {
      // Imported here, not at start-up: no other command needs the loader or SSH.
      const [{ loadInventory }, { selectHosts }, { connectSsh }] = await Promise.all([
        import('../../load/index.js'),
        import('../../load/host-pattern.js'),
        import('../../transport/ssh.js'),
      ]);
      const inventory = loadInventory(resolve(flags.inventory));
      const emit = await createEmitter(flags);
      const names = flags.limit ? selectHosts(inventory, flags.limit) : [...inventory.hosts.keys()];
      const outcomes = await Promise.all(
        names.map((name) => unlockHost(inventory.hosts.get(name)!, connectSsh, { force: Boolean(flags.force), acceptNew: Boolean(flags.acceptNew) }, emit)),
      );
      process.exitCode = outcomes.every((o) => o === 'free' || o === 'broken') ? ExitCode.ok : ExitCode.hostsFailed;
    });
}

export async function unlockHost(
  host: InventoryHost,
  connect: Connector,
  options: { force: boolean; acceptNew: boolean },
  emit: (event: RunEvent) => void,
): Promise<UnlockOutcome> {
  // host-run pulls in the planner, the modules and the template engine: only when used.
  const { describeError } = await import('../../core/host-run.js');
  const path = lockPathOf(host.vars);
  let conn: HostConnection;
  try {
    conn = await connect(host, { acceptNew: options.acceptNew });
  } catch (err) {
    if (err instanceof ConnectError) emit({ type: 'host_unreachable', host: host.name, reason: err.reason, message: describeError(err) });
    else emit({ type: 'host_failed', host: host.name, message: describeError(err) });
    return 'failed';
  }
  try {
    const holder = await probeHolder(conn, path);
    if (holder === undefined) {
      emit({ type: 'message', level: 'info', host: host.name, text: `${host.name}: not locked (${path} is free)` });
      return 'free';
    }
    emit({ type: 'message', level: 'warning', host: host.name, text: `${host.name}: locked by ${describeHolder(holder, path)}` });
    if (!options.force) {
      emit({ type: 'message', level: 'info', host: host.name, text: `${host.name}: the lock goes when that agent exits; xivo-ha unlock --force ends it` });
      return 'locked';
    }
    if (typeof holder.pid !== 'number') {
      emit({ type: 'host_failed', host: host.name, message: `${host.name}: the lock file ${path} names no agent pid: cannot end its holder` });
      return 'failed';
    }
    const why = await endHolder(conn, holder.pid);
    if (why !== undefined) {
      emit({ type: 'host_failed', host: host.name, message: `${host.name}: could not end the lock's holder (${why})` });
      return 'failed';
    }
    if (await waitFree(conn, path)) {
      emit({ type: 'message', level: 'info', host: host.name, text: `${host.name}: lock broken: ended agent pid ${holder.pid}` });
      return 'broken';
    }
    emit({ type: 'host_failed', host: host.name, message: `${host.name}: ${path} is still locked after ending agent pid ${holder.pid}` });
    return 'failed';
  } catch (err) {
    emit({ type: 'host_failed', host: host.name, message: describeError(err) });
    return 'failed';
  } finally {
    await conn.close();
  }
}

export function describeHolder(h: LockHolder, path: string): string {
  const from = h.ssh_client ? `, connected from ${h.ssh_client}` : '';
  return `${h.holder || 'an unknown run'} (agent pid ${h.pid ?? '?'} holds ${path} since ${h.since ?? '?'}${from})`;
}
