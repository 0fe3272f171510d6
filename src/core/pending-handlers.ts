// Handlers a host owes: when a host fails after a task notified a handler,
// Ansible forgets the notification and the handler never runs (the service
// keeps its old configuration). We record the owed handlers on the host
// itself, so whichever workstation runs next fires them.

import { basename, dirname } from 'node:path';
import type { PlaySpec, Playbook } from './model.js';
import type { HostConnection } from '../transport/types.js';
import type { FactsModel } from '../facts/model.js';

export const STATE_DIR = '/var/lib/xivo-ha';

/**
 * Where xivo-ha keeps its state on a host: /var/lib/xivo-ha, or the host
 * variable `xivo_ha_state_dir` (several simulated hosts on one machine, as in
 * the benchmark, each need their own). `xivo_ha_lock_path` alone implies its
 * directory.
 */
export function stateDirOf(vars: Record<string, unknown>): string {
  if (typeof vars.xivo_ha_state_dir === 'string') return vars.xivo_ha_state_dir;
  if (typeof vars.xivo_ha_lock_path === 'string') return dirname(vars.xivo_ha_lock_path);
  return STATE_DIR;
}

export function lockPathOf(vars: Record<string, unknown>): string {
  return typeof vars.xivo_ha_lock_path === 'string' ? vars.xivo_ha_lock_path : `${stateDirOf(vars)}/lock`;
}

type Owed = Record<string, string[]>;

export class PendingHandlers {
  private readonly byHost = new Map<string, Owed>();
  private readonly stateDirs = new Map<string, string>();

  static key(playbook: Playbook, play: PlaySpec): string {
    return `${basename(playbook.path)}#${play.name}`;
  }

  /** Reads what the host owes; the file probe also seeds the facts model. */
  async load(conn: HostConnection, model: FactsModel, stateDir = STATE_DIR): Promise<void> {
    this.stateDirs.set(conn.host, stateDir);
    const path = `${stateDir}/pending-handlers.json`;
    const probe = { kind: 'file' as const, path, content: true };
    const facts = await conn.probe([probe]);
    model.addFacts(facts);
    const fact = model.file(path);
    let owed: Owed = {};
    if (fact.exists && fact.content) {
      try {
        owed = JSON.parse(fact.content.toString('utf8')) as Owed;
      } catch {
        owed = {};
      }
    }
    this.byHost.set(conn.host, owed);
  }

  owed(host: string, key: string): string[] {
    return this.byHost.get(host)?.[key] ?? [];
  }

  /** Records (or clears, with an empty list) what the host owes for this play. */
  async record(conn: HostConnection, host: string, key: string, handlers: string[]): Promise<void> {
    const owed = { ...(this.byHost.get(host) ?? {}) };
    const before = JSON.stringify(owed[key] ?? []);
    if (handlers.length > 0) owed[key] = handlers;
    else delete owed[key];
    if (before === JSON.stringify(owed[key] ?? [])) return;
    this.byHost.set(host, owed);
    const dir = this.stateDirs.get(host) ?? STATE_DIR;
    const path = `${dir}/pending-handlers.json`;
    const steps =
      Object.keys(owed).length === 0
        ? [{ kind: 'remove' as const, path }]
        : [
            { kind: 'mkdir' as const, path: dir, mode: 0o700 },
            { kind: 'put' as const, path, content: Buffer.from(JSON.stringify(owed, null, 2) + '\n'), mode: 0o600 },
          ];
    await conn.apply(steps);
  }
}
