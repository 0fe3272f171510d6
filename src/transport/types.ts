// The runner's view of a host. Only src/transport/ssh.ts knows ssh2; modules
// and facts never see a connection.

import type { InventoryHost } from '../core/model.js';
import type { CommandFact, FileFact, GroupFact, Probe, Step, StepResult, UnitFact, UserFact } from '../core/types.js';

export type FactValue = FileFact | UnitFact | UserFact | GroupFact | CommandFact;

export interface ExecOptions {
  stdin?: Buffer | string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface HostConnection {
  readonly host: string;
  /** Answers every probe in one round trip; the map is keyed by probeKey(). */
  probe(probes: Probe[]): Promise<Map<string, FactValue>>;
  /** Runs steps in order in one round trip, stopping at the first failure; one result per step run. */
  apply(steps: Step[]): Promise<StepResult[]>;
  /** A one-off command outside the agent (e.g. the agent cannot start). */
  exec(argv: string[], options?: ExecOptions): Promise<CommandFact>;
  /** Takes the node's run lock (default /var/lib/xivo-ha/lock); throws LockError naming the holder. */
  lock(holder: string, path?: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Trust and record unknown host keys (never changed ones). */
  acceptNew: boolean;
  keepaliveIntervalMs?: number;
  /** Timeout of command probes and exec steps that set none (the agent kills them); default 10 minutes. */
  commandTimeoutMs?: number;
}

export type Connector = (host: InventoryHost, options: ConnectOptions) => Promise<HostConnection>;
