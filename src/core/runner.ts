// Runs playbooks against an inventory: connect to every targeted host once,
// then play by play run each host in parallel (up to `forks`), and after an
// apply re-plan every changed host to prove it converged. A failing host
// never stops the others; it is only left out of the plays that follow.

import { hostname, userInfo } from 'node:os';
import type { Inventory, InventoryHost, Playbook, Vars } from './model.js';
import type { ConnectOptions, Connector, HostConnection } from '../transport/types.js';
import type { RunEvent } from './events.js';
import { ExitCode } from './events.js';
import { ConnectError, LockError } from './errors.js';
import { FactsModel } from '../facts/model.js';
import { selectHosts } from '../load/host-pattern.js';
import { HostRun, describeError, type RunMode } from './host-run.js';
import { playVars } from './vars.js';
import { PendingHandlers, lockPathOf, stateDirOf } from './pending-handlers.js';
import { limiter, mapLimit } from './concurrency.js';
import { endHolder, isOrphanOfThisWorkstation, probeHolder, waitFree } from './stale-lock.js';

/** SSH handshakes in progress at once (the connect timeout counts from each one's start). */
export const MAX_PARALLEL_HANDSHAKES = 10;

export interface RunRequest {
  command: 'plan' | 'apply';
  inventory: Inventory;
  playbooks: Playbook[];
  limit?: string;
  tags: string[];
  forks?: number;
  extraVars: Vars;
  connect: Connector;
  connectOptions: ConnectOptions;
  emit: (event: RunEvent) => void;
}

export interface HostTotals {
  ok: number;
  changed: number;
  pending: number;
  skipped: number;
  failed: number;
  unreachable: boolean;
  /** The host stopped: unreachable, locked, or a task failed. */
  broken: boolean;
  drift: number;
}

export interface RunResult {
  exitCode: number;
  hosts: Map<string, HostTotals>;
}

export async function runPlaybooks(req: RunRequest): Promise<RunResult> {
  const started = Date.now();
  const targeted = targetedHosts(req);
  const totals = new Map<string, HostTotals>(
    targeted.map((h) => [h, { ok: 0, changed: 0, pending: 0, skipped: 0, failed: 0, unreachable: false, broken: false, drift: 0 }]),
  );
  const forks = Math.max(1, req.forks ?? (targeted.length || 1));
  // Handshakes are CPU work on both ends: 200 at once on a small machine (or
  // against an sshd whose MaxStartups is 10:30:100) stalled past the connect
  // timeout in the benchmark. Hosts still all work in parallel once connected.
  const connecting = limiter(MAX_PARALLEL_HANDSHAKES);
  const dryRun = req.command === 'plan';
  req.emit({ type: 'run_start', command: req.command, inventory: req.inventory.path, playbooks: req.playbooks.map((p) => p.path), hosts: targeted, dry_run: dryRun });

  const connections = new Map<string, HostConnection>();
  const models = new Map<string, FactsModel>();
  const pending = new PendingHandlers();
  const registered = new Map<string, Vars>(targeted.map((h) => [h, {}]));
  try {
    await mapLimit(targeted, forks, async (name) => {
      const host = req.inventory.hosts.get(name)!;
      const t0 = Date.now();
      try {
        const conn = await connecting(() => req.connect(host, req.connectOptions));
        connections.set(name, conn);
        models.set(name, new FactsModel(new Map()));
        req.emit({ type: 'host_connected', host: name, duration_ms: Date.now() - t0 });
        if (req.command === 'apply') await takeLock(conn, lockPathOf(host.vars), req.emit);
        await pending.load(conn, models.get(name)!, stateDirOf(host.vars));
      } catch (err) {
        const t = totals.get(name)!;
        t.broken = true;
        if (err instanceof ConnectError) {
          t.unreachable = true;
          req.emit({ type: 'host_unreachable', host: name, reason: err.reason, message: describeError(err) });
        } else {
          t.failed++;
          req.emit({ type: 'host_failed', host: name, message: err instanceof LockError ? describeError(err) : `could not start on the host: ${describeError(err)}` });
        }
      }
    });

    await runAllPlays(req, dryRun ? 'plan' : 'apply', targeted, totals, connections, models, registered, forks, pending);

    if (req.command === 'apply') {
      const changedHosts = targeted.filter((h) => !totals.get(h)!.broken && totals.get(h)!.changed > 0);
      if (changedHosts.length > 0) {
        for (const h of changedHosts) models.set(h, new FactsModel(new Map()));
        const verifyTotals = new Map(changedHosts.map((h) => [h, { ...totals.get(h)!, broken: false }]));
        const freshRegistered = new Map<string, Vars>(targeted.map((h) => [h, {}]));
        await runAllPlays(req, 'verify', changedHosts, verifyTotals, connections, models, freshRegistered, forks, pending);
        for (const [h, vt] of verifyTotals) totals.get(h)!.drift = vt.drift;
      }
    }
  } finally {
    await Promise.allSettled([...connections.values()].map((c) => c.close()));
  }

  for (const [host, t] of totals) {
    req.emit({ type: 'host_summary', host, ok: t.ok, changed: t.changed, pending: t.pending, skipped: t.skipped, failed: t.failed, unreachable: t.unreachable });
  }
  const anyBroken = [...totals.values()].some((t) => t.broken || t.failed > 0 || t.drift > 0);
  const anyPending = [...totals.values()].some((t) => t.pending > 0);
  const exitCode = anyBroken ? ExitCode.hostsFailed : dryRun && anyPending ? ExitCode.changesPending : ExitCode.ok;
  req.emit({ type: 'run_end', exit_code: exitCode, duration_ms: Date.now() - started });
  return { exitCode, hosts: totals };
}

async function runAllPlays(
  req: RunRequest,
  mode: RunMode,
  hosts: string[],
  totals: Map<string, HostTotals>,
  connections: Map<string, HostConnection>,
  models: Map<string, FactsModel>,
  registered: Map<string, Vars>,
  forks: number,
  pending: PendingHandlers,
): Promise<void> {
  for (const playbook of req.playbooks) {
    for (const play of playbook.plays) {
      const playHosts = selectHosts(req.inventory, play.hosts).filter((h) => hosts.includes(h));
      const live = playHosts.filter((h) => !totals.get(h)?.broken);
      if (mode !== 'verify') req.emit({ type: 'play_start', play: play.name, hosts: live });
      const key = PendingHandlers.key(playbook, play);
      await mapLimit(live, forks, async (name) => {
        const host = req.inventory.hosts.get(name) as InventoryHost;
        const conn = connections.get(name)!;
        const t = totals.get(name)!;
        const owed = mode === 'verify' ? [] : pending.owed(name, key);
        if (owed.length > 0) req.emit({ type: 'handlers_resumed', host: name, handlers: owed });
        const run = new HostRun({
          host,
          play,
          playVars: playVars({ inventory: req.inventory, host, play, playHosts, extraVars: req.extraVars, dryRun: mode !== 'apply', registered }),
          extraVars: req.extraVars,
          mode,
          conn,
          model: models.get(name)!,
          tags: req.tags,
          emit: req.emit,
          owedHandlers: owed,
          registered: registered.get(name)!,
        });
        try {
          const out = await run.run();
          if (mode === 'verify') {
            for (const d of out.drift) req.emit({ type: 'verify_drift', host: name, task: d.task, changes: d.changes });
            t.drift += out.drift.length;
            return;
          }
          t.ok += out.ok;
          t.changed += out.changed;
          t.pending += out.pending;
          t.skipped += out.skipped;
          t.failed += out.failed;
          if (mode === 'apply') await pending.record(conn, name, key, out.failure ? out.notified : []);
          if (out.failure) {
            t.broken = true;
            req.emit({ type: 'host_failed', host: name, message: out.failure });
          }
        } catch (err) {
          t.broken = true;
          t.failed++;
          req.emit({ type: 'host_failed', host: name, message: describeError(err) });
        }
      });
    }
  }
}

function targetedHosts(req: RunRequest): string[] {
  const limit = req.limit ? new Set(selectHosts(req.inventory, req.limit)) : undefined;
  const seen = new Set<string>();
  for (const pb of req.playbooks) {
    for (const play of pb.plays) {
      for (const h of selectHosts(req.inventory, play.hosts)) if (!limit || limit.has(h)) seen.add(h);
    }
  }
  // Inventory order, so output is stable.
  return [...req.inventory.hosts.keys()].filter((h) => seen.has(h));
}

/**
 * Takes the host's run lock. A holder that is an apply from this very
 * workstation whose runner process is gone is an orphan (its agent never saw
 * the runner's FIN, e.g. the link was down when it died): its agent is ended
 * and the lock retaken. Any other holder refuses the run (LockError).
 */
async function takeLock(conn: HostConnection, path: string, emit: (event: RunEvent) => void): Promise<void> {
  const me = lockHolder();
  const holder = await probeHolder(conn, path, me);
  if (holder === undefined) return;
  const refusal = () => conn.lock(me, path);
  if (!isOrphanOfThisWorkstation(holder)) return refusal();
  emit({ type: 'message', level: 'warning', host: conn.host, text: `${conn.host}: the run holding ${path} (${holder.holder}) is gone from this workstation; ending its agent pid ${holder.pid}` });
  const why = await endHolder(conn, holder.pid!);
  if (why !== undefined || !(await waitFree(conn, path, me))) return refusal();
}

function lockHolder(): string {
  return `xivo-ha apply by ${userInfo().username}@${hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
}
