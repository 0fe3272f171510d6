// The maintenance actions on a real cluster, over the HA commands'
// connections. Each is idempotent: run twice, the second run finds the work
// done and says so. Pausing and resuming a node take the node's HA lock
// (/var/lib/xivo-ha/ha.lock, the flock the monitor and the replication hold),
// so `pause` returns only once a running replication or takeover has ended.

import type { ClusterNode } from '../../core/model.js';
import { probeKey, type FileFact } from '../../core/types.js';
import type { HostConnection } from '../../transport/types.js';
import { gatherNodeStatus, STATE_DIR, TELEPHONY_UNIT } from '../status.js';
import { failback, failover, SwitchFailed, SwitchRefused, type SwitchNodes } from '../switchover.js';
import { MaintenanceFailed, MaintenanceRefused, type PerformAction } from './execute.js';
import { REPLICATE_TIMER, type MaintenanceAction, type PauseInfo, type XivoRole } from './plan.js';

export const PAUSED_FILE = `${STATE_DIR}/paused.json`;
export const UPGRADE_FILE = `${STATE_DIR}/upgrade.json`;
export const HA_LOCK_FILE = `${STATE_DIR}/ha.lock`;
export const XIVO_VERSION_FILE = '/usr/share/xivo/XIVO-VERSION';
export const REPLICATE_PROGRAM = '/usr/local/sbin/xivo-ha-replicate';
const REPLICATE_SERVICE = 'xivo-ha-replicate.service';
const LOCK_TIMEOUT_S = 120;
const EXIT_LOCK_BUSY = 75;

/**
 * Run by python3 on the node (stdin): pause|resume STATE_DIR LOCK_TIMEOUT [PAUSE_JSON].
 * Prints {"changed": bool, "paused": doc|null}. Exit 75 when the HA lock stayed busy.
 */
export const PAUSE_NODE_SCRIPT = String.raw`
import fcntl, json, os, sys, time
action, state_dir, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
os.makedirs(state_dir, mode=0o700, exist_ok=True)
path = os.path.join(state_dir, 'paused.json')
fd = os.open(os.path.join(state_dir, 'ha.lock'), os.O_RDWR | os.O_CREAT, 0o600)
deadline = time.monotonic() + timeout
while True:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except BlockingIOError:
        if time.monotonic() >= deadline:
            sys.exit(75)
        time.sleep(0.5)
try:
    with open(path, encoding='utf-8') as f:
        current = json.load(f)
except FileNotFoundError:
    current = None
except ValueError:
    current = {}
changed = False
if action == 'pause':
    wanted = json.loads(sys.argv[4])
    if current is None:
        current, changed = wanted, True
    elif wanted.get('manual_switches') and not current.get('manual_switches'):
        current, changed = {**current, 'manual_switches': True}, True
    if changed:
        tmp = path + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(current, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
elif current is not None:
    os.unlink(path)
    changed, current = True, None
dir_fd = os.open(state_dir, os.O_RDONLY)
os.fsync(dir_fd)
print(json.dumps({'changed': changed, 'paused': current}))
`;

/** The JSON object a node program printed on its last line; undefined when there is none. */
function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(stdout.trim().split('\n').pop() ?? '');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(-400);
}

export class ClusterActions {
  constructor(
    private readonly nodes: SwitchNodes,
    private readonly by: string,
    private readonly report: (text: string, level?: 'info' | 'warning') => void,
  ) {}

  readonly perform: PerformAction = async (action: MaintenanceAction) => {
    switch (action.kind) {
      case 'pause':
        return this.setPause(action.node, action.pause);
      case 'unpause':
        return this.setPause(action.node, undefined);
      case 'timer':
        return this.timer(action.verb);
      case 'command':
        return this.command(action.node, action.command);
      case 'failover':
        return this.failover();
      case 'failback':
        return this.failback();
      case 'check-versions':
        return this.checkVersions();
      case 'check-schemas':
        return this.checkSchemas();
      case 'replicate':
        return this.replicate();
    }
  };

  node(role: XivoRole): ClusterNode {
    return role === 'master' ? this.nodes.master : this.nodes.slave;
  }

  conn(role: XivoRole): HostConnection {
    const node = this.node(role);
    const conn = this.nodes.conns.get(node.name);
    if (!conn) throw new MaintenanceRefused(`the ${role} ${node.name} (${node.address}) is unreachable: ${this.nodes.connectErrors.get(node.name) ?? 'no connection'}`);
    return conn;
  }

  private async setPause(role: XivoRole, pause: PauseInfo | undefined): Promise<string> {
    const name = this.node(role).name;
    const argv = ['python3', '-', pause ? 'pause' : 'resume', STATE_DIR, String(LOCK_TIMEOUT_S), ...(pause ? [JSON.stringify(pause)] : [])];
    const run = await this.conn(role).exec(argv, { stdin: PAUSE_NODE_SCRIPT, timeoutMs: (LOCK_TIMEOUT_S + 30) * 1000 });
    if (run.rc === EXIT_LOCK_BUSY) {
      throw new MaintenanceRefused(`the HA lock ${HA_LOCK_FILE} on ${name} stayed busy for ${LOCK_TIMEOUT_S} s (a replication or a takeover is running)`, 'try again once it has ended: `xivo-ha status -i INV`');
    }
    if (run.rc !== 0) throw new MaintenanceFailed(`${pause ? 'pausing' : 'resuming'} ${name} failed (exit ${run.rc}): ${tail(run.stderr)}`);
    const answer = lastJsonLine(run.stdout) as { changed?: boolean } | undefined;
    if (!answer) throw new MaintenanceFailed(`${pause ? 'pausing' : 'resuming'} ${name}: unreadable answer ${JSON.stringify(run.stdout.slice(-200))}`);
    if (pause) return answer.changed ? `${name} paused` : `${name} was already paused`;
    return answer.changed ? `${name} resumed` : `${name} was not paused`;
  }

  private async timer(verb: 'start' | 'stop'): Promise<string> {
    const run = await this.conn('master').exec(['systemctl', verb, REPLICATE_TIMER], { timeoutMs: 60_000 });
    // 5: the unit is not loaded; stopping what is not there is done.
    if (run.rc === 5 && verb === 'stop') return `${REPLICATE_TIMER} is not installed on ${this.nodes.master.name}`;
    if (run.rc !== 0) throw new MaintenanceFailed(`systemctl ${verb} ${REPLICATE_TIMER} on ${this.nodes.master.name} exited ${run.rc}: ${tail(run.stderr)}`);
    return `${REPLICATE_TIMER} ${verb === 'start' ? 'started' : 'stopped'} on ${this.nodes.master.name}`;
  }

  private async command(role: XivoRole, command: string): Promise<string> {
    const name = this.node(role).name;
    const run = await this.conn(role).exec(['sh', '-c', command], { timeoutMs: 2 * 3600_000 });
    if (run.rc !== 0) throw new MaintenanceFailed(`\`${command}\` on the ${role} ${name} exited ${run.rc}: ${tail(run.stderr || run.stdout)}`, 'fix the cause on the node, then run the same `xivo-ha upgrade` again: it continues with this step');
    const said = tail(run.stdout);
    return `\`${command}\` done on ${name}${said ? `: ${said}` : ''}`;
  }

  private async slaveMonitorState(): Promise<string | undefined> {
    const status = await gatherNodeStatus(this.nodes.slave, this.conn('slave'));
    const state = status.monitor?.state;
    return typeof state === 'string' ? state : undefined;
  }

  private async switchWith(run: typeof failover): Promise<void> {
    try {
      await run(this.nodes, { by: this.by, report: this.report });
    } catch (err) {
      if (err instanceof SwitchRefused) throw new MaintenanceRefused(err.message, err.detail);
      if (err instanceof SwitchFailed) throw new MaintenanceFailed(err.message, err.detail);
      throw err;
    }
  }

  private async failover(): Promise<string> {
    if ((await this.slaveMonitorState()) === 'active') return `the slave ${this.nodes.slave.name} already carries telephony`;
    await this.switchWith(failover);
    return `the slave ${this.nodes.slave.name} carries telephony`;
  }

  private async failback(): Promise<string> {
    if ((await this.slaveMonitorState()) === 'standby') {
      // An interrupted failback: the slave stood down, the master may not have started yet.
      const run = await this.conn('master').exec(['systemctl', 'start', TELEPHONY_UNIT], { timeoutMs: 5 * 60_000 });
      if (run.rc !== 0) throw new MaintenanceFailed(`systemctl start ${TELEPHONY_UNIT} on the master exited ${run.rc}: ${tail(run.stderr)}`);
      return `the master ${this.nodes.master.name} carries telephony`;
    }
    await this.switchWith(failback);
    return `the master ${this.nodes.master.name} carries telephony again`;
  }

  private async readVersion(role: XivoRole): Promise<string> {
    const facts = await this.conn(role).probe([{ kind: 'file', path: XIVO_VERSION_FILE, content: true }]);
    const fact = facts.get(probeKey({ kind: 'file', path: XIVO_VERSION_FILE })) as FileFact | undefined;
    return fact?.exists && fact.content ? fact.content.toString('utf8').trim() : '(no version file)';
  }

  private async checkVersions(): Promise<string> {
    const [master, slave] = await Promise.all([this.readVersion('master'), this.readVersion('slave')]);
    if (master !== slave) {
      throw new MaintenanceRefused(`XiVO versions differ: master ${this.nodes.master.name} ${master}, slave ${this.nodes.slave.name} ${slave}`, `upgrade the older node (${XIVO_VERSION_FILE}), then run the same command again`);
    }
    return `both nodes run XiVO ${master}`;
  }

  private async checkSchemas(): Promise<string> {
    const run = await this.conn('master').exec([REPLICATE_PROGRAM, '--compare-schemas'], { timeoutMs: 5 * 60_000 });
    const answer = lastJsonLine(run.stdout) as { problems?: string[]; master_version?: string | null } | undefined;
    if (run.rc === 0 && answer) return `same schema on both nodes (alembic ${answer.master_version ?? 'none'})`;
    if (run.rc === 2 && answer) {
      throw new MaintenanceRefused(`master and slave schemas differ: ${(answer.problems ?? []).join('; ')}`, 'a data-only replication breaks across schema versions: upgrade the older node first (`xivo-ha upgrade -i INV --command CMD` continues an interrupted upgrade)');
    }
    throw new MaintenanceFailed(`comparing the schemas failed (${REPLICATE_PROGRAM} --compare-schemas exited ${run.rc}): ${tail(run.stderr || run.stdout)}`);
  }

  private async replicate(): Promise<string> {
    const master = this.conn('master');
    const run = await master.exec(['systemctl', 'start', REPLICATE_SERVICE], { timeoutMs: 30 * 60_000 });
    const status = await gatherNodeStatus(this.nodes.master, master);
    const last = (status.replication?.last ?? {}) as { result?: string; reason?: string | null; duration_s?: number };
    if (run.rc !== 0 || last.result !== 'ok') {
      throw new MaintenanceFailed(`replication ${last.result ?? 'failed'}: ${last.reason ?? tail(run.stderr)}`, `journalctl -u ${REPLICATE_SERVICE} on ${this.nodes.master.name}`);
    }
    return `replication ok in ${last.duration_s?.toFixed(1) ?? '?'} s`;
  }

  /** The saved upgrade record on the master, or undefined. */
  async readUpgradeRecord(): Promise<string | undefined> {
    const facts = await this.conn('master').probe([{ kind: 'file', path: UPGRADE_FILE, content: true }]);
    const fact = facts.get(probeKey({ kind: 'file', path: UPGRADE_FILE })) as FileFact | undefined;
    return fact?.exists && fact.content ? fact.content.toString('utf8') : undefined;
  }

  /** Written atomically by the agent (temp file, fsync, rename). */
  async writeUpgradeRecord(text: string): Promise<void> {
    const [result] = await this.conn('master').apply([{ kind: 'put', path: UPGRADE_FILE, content: Buffer.from(text), mode: 0o600, owner: 'root', group: 'root' }]);
    if (!result?.ok) throw new MaintenanceFailed(`writing ${UPGRADE_FILE} on the master failed: ${result?.error ?? 'no answer'}`);
  }
}
