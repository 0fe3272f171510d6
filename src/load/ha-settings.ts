// The `ha:` block of a XiVO inventory with every default filled in and the
// monitor profile resolved to numbers. Templates and src/ha read this shape
// (host variable `ha`), so its keys stay snake_case like the YAML.

export type MonitorProfile = 'default' | 'fast';

export interface MonitorTimings {
  /** Seconds between the starts of two probe rounds. */
  interval: number;
  probes_per_round: number;
  /** Seconds between two probes of one round. */
  probe_spacing: number;
  /** Consecutive failed rounds before the slave takes over. */
  rounds_to_takeover: number;
  /** Seconds the master must answer again before it counts as back. */
  stable_period: number;
  /** Seconds each probe waits for its answer (ping -W, SIP, ssh ConnectTimeout). */
  probe_timeout: number;
  /** Seconds between two probes of the master while the slave is in charge. */
  active_probe_interval: number;
  /** Seconds after a failback during which failed rounds do not count (the master starts its telephony). */
  failback_grace: number;
  /** Seconds a takeover waits for the HA lock before it goes on without it. */
  lock_timeout: number;
  /**
   * Flap damping: after the master came back from an outage of N failed rounds,
   * a takeover needs rounds_to_takeover + N failed rounds, at most this many
   * (the bound on takeover time)…
   */
  max_rounds_to_takeover: number;
  /** …for this many seconds after that outage. */
  flap_memory: number;
}

export interface MonitorSettings extends MonitorTimings {
  profile: MonitorProfile;
  /** An address both nodes can reach, to tell "master down" from "I am cut off". */
  witness?: string;
  sip_port: number;
}

export interface ReplicationSettings {
  /** systemd OnCalendar= of the replication timer. */
  on_calendar: string;
  directories: string[];
  /** Tables never copied from the master (node-local or event data). */
  exclude_tables: string[];
}

export interface ActionSettings {
  takeover: string[][];
  failback: string[][];
  cc_restart: string[];
  edge_env: string;
  edge_relaunch: string[];
}

export interface HaSettings {
  enabled: boolean;
  monitor: MonitorSettings;
  replication: ReplicationSettings;
  actions: ActionSettings;
}

/** The one source of the profiles' numbers: cluster.json carries them all, so the monitor's own defaults never apply to a provisioned node. */
export const MONITOR_PROFILES: Record<MonitorProfile, MonitorTimings> = {
  default: {
    interval: 60, probes_per_round: 3, probe_spacing: 10, rounds_to_takeover: 1, stable_period: 120,
    probe_timeout: 2, active_probe_interval: 10, failback_grace: 120, lock_timeout: 60,
    max_rounds_to_takeover: 2, flap_memory: 3600,
  },
  // For the lab and tests: a takeover within seconds.
  fast: {
    interval: 1, probes_per_round: 1, probe_spacing: 0, rounds_to_takeover: 3, stable_period: 10,
    probe_timeout: 1, active_probe_interval: 2, failback_grace: 60, lock_timeout: 5,
    max_rounds_to_takeover: 8, flap_memory: 300,
  },
};

const TIMING_KEYS: (keyof MonitorTimings)[] = [
  'interval', 'probes_per_round', 'probe_spacing', 'rounds_to_takeover', 'stable_period',
  'probe_timeout', 'active_probe_interval', 'failback_grace', 'lock_timeout', 'max_rounds_to_takeover', 'flap_memory',
];

export const DEFAULT_SIP_PORT = 5060;

export const DEFAULT_ON_CALENDAR = '*-*-* *:00:00';

/** What XiVO's own HA rsyncs every hour. */
export const DEFAULT_REPLICATED_DIRECTORIES: readonly string[] = [
  '/etc/asterisk/extensions_extra.d',
  '/etc/xivo/asterisk',
  '/var/lib/asterisk/agi-bin',
  '/var/lib/asterisk/moh',
  '/var/lib/xivo/certificates',
  '/var/lib/xivo/sounds/acd',
  '/var/lib/xivo/sounds/playback',
];

/** Node-local configuration and event data: replicating them would break the slave or duplicate history. */
export const DEFAULT_EXCLUDED_TABLES: readonly string[] = [
  'netiface',
  'resolvconf',
  'mail',
  'monitoring',
  'accesswebservice',
  'provisioning',
  'session',
  'queue_log',
  'cel',
  'call_log',
  'call_log_participant',
  'stat_agent',
  'stat_agent_periodic',
  'stat_call_on_queue',
  'stat_queue',
  'stat_queue_periodic',
  'infos',
];

export const DEFAULT_ACTIONS: ActionSettings = {
  takeover: [['xivo-service', 'enable'], ['xivo-service', 'start'], ['xivo-agentd-cli', '-c', 'relog all']],
  failback: [['xivo-service', 'stop'], ['xivo-service', 'disable']],
  cc_restart: ['xivocc-dcomp', 'restart', 'xuc'],
  edge_env: '/etc/docker/edge/.env',
  edge_relaunch: ['xivo-edge-relaunch'],
};

/** The raw block as the schema allows it. */
export interface RawHaSettings {
  enabled?: boolean;
  monitor?: Partial<MonitorSettings>;
  replication?: { on_calendar?: string; directories?: string[]; exclude_tables?: string[]; extra_exclude_tables?: string[] };
  actions?: Partial<ActionSettings>;
}

/** Expects a value that passed the inventory schema. */
export function normaliseHaSettings(raw: RawHaSettings | undefined): HaSettings {
  const r = raw ?? {};
  const m = r.monitor ?? {};
  const profile: MonitorProfile = m.profile ?? 'default';
  const monitor: MonitorSettings = {
    profile,
    ...MONITOR_PROFILES[profile],
    ...pick(m, TIMING_KEYS),
    sip_port: m.sip_port ?? DEFAULT_SIP_PORT,
  };
  if (m.witness !== undefined) monitor.witness = m.witness;

  const rep = r.replication ?? {};
  const excluded = [...(rep.exclude_tables ?? DEFAULT_EXCLUDED_TABLES), ...(rep.extra_exclude_tables ?? [])];
  const replication: ReplicationSettings = {
    on_calendar: rep.on_calendar ?? DEFAULT_ON_CALENDAR,
    directories: [...(rep.directories ?? DEFAULT_REPLICATED_DIRECTORIES)],
    exclude_tables: [...new Set(excluded)],
  };

  const a = r.actions ?? {};
  const actions: ActionSettings = {
    takeover: (a.takeover ?? DEFAULT_ACTIONS.takeover).map((argv) => [...argv]),
    failback: (a.failback ?? DEFAULT_ACTIONS.failback).map((argv) => [...argv]),
    cc_restart: [...(a.cc_restart ?? DEFAULT_ACTIONS.cc_restart)],
    edge_env: a.edge_env ?? DEFAULT_ACTIONS.edge_env,
    edge_relaunch: [...(a.edge_relaunch ?? DEFAULT_ACTIONS.edge_relaunch)],
  };

  return { enabled: r.enabled ?? true, monitor, replication, actions };
}

/** Seconds one probe round lasts: it must end before the next one starts. */
export function roundDuration(m: MonitorTimings): number {
  return (m.probes_per_round - 1) * m.probe_spacing;
}

function pick<T extends object, K extends keyof T>(from: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}
