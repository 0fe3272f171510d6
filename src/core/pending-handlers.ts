// Handlers a host owes: when a host fails after a task notified a handler,
// Ansible forgets the notification and the handler never runs (the service
// keeps its old configuration). We record the owed handlers on the host
// itself, so whichever workstation runs next fires them.

import { basename } from 'node:path';
import type { PlaySpec, Playbook } from './model.js';
import type { HostConnection } from '../transport/types.js';
import type { FactsModel } from '../facts/model.js';

export const PENDING_HANDLERS_PATH = '/var/lib/xivo-ha/pending-handlers.json';

type Owed = Record<string, string[]>;

export class PendingHandlers {
  private readonly byHost = new Map<string, Owed>();

  static key(playbook: Playbook, play: PlaySpec): string {
    return `${basename(playbook.path)}#${play.name}`;
  }

  /** Reads what the host owes; the file probe also seeds the facts model. */
  async load(conn: HostConnection, model: FactsModel): Promise<void> {
    const probe = { kind: 'file' as const, path: PENDING_HANDLERS_PATH, content: true };
    const facts = await conn.probe([probe]);
    model.addFacts(facts);
    const fact = model.file(PENDING_HANDLERS_PATH);
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
    const steps =
      Object.keys(owed).length === 0
        ? [{ kind: 'remove' as const, path: PENDING_HANDLERS_PATH }]
        : [
            { kind: 'mkdir' as const, path: '/var/lib/xivo-ha', mode: 0o700 },
            { kind: 'put' as const, path: PENDING_HANDLERS_PATH, content: Buffer.from(JSON.stringify(owed, null, 2) + '\n'), mode: 0o600 },
          ];
    await conn.apply(steps);
  }
}
