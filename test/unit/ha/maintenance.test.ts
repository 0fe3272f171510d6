// pause, resume and upgrade: the planners (pure), the executor with a fake
// action runner, and the cluster actions against fake hosts whose pause
// script really runs (python3, in a temporary state directory).

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterNode } from '../../../src/core/model.js';
import { UserError } from '../../../src/core/errors.js';
import { FakeHost } from '../../helpers/fake-host.js';
import {
  planPause,
  planResume,
  planUpgrade,
  recordProgress,
  newUpgradeRecord,
  parseUpgradeRecord,
  type MaintenanceAction,
  type MaintenancePlan,
  type PauseFacts,
  type UpgradeOptions,
} from '../../../src/ha/maintenance/plan.js';
import { executePlan, exitCodeOf, MaintenanceFailed, MaintenanceRefused, type StepReport } from '../../../src/ha/maintenance/execute.js';
import { renderMaintenancePlan } from '../../../src/cli/views/maintenance-view.js';
import { ClusterActions, PAUSE_NODE_SCRIPT, REPLICATE_PROGRAM } from '../../../src/ha/maintenance/cluster-actions.js';
import { MONITOR_PROGRAM, MONITOR_UNIT } from '../../../src/ha/switchover.js';

const PAUSE = { by: 'alice@laptop', since: '2026-11-28T06:00:00.000Z', reason: 'disk swap' };
const TIMER_ON = { active: 'active', enabled: 'enabled' };
const TIMER_OFF = { active: 'inactive', enabled: 'enabled' };
const UPGRADE: UpgradeOptions = { command: 'xivo-upgrade -f', switchover: true, pause: PAUSE };
const RECORD_PATH = '/var/lib/xivo-ha/upgrade.json';

const ids = (plan: MaintenancePlan) => plan.steps.map((s) => s.id);

test('pause plans both nodes and the timer, and says who paused when there is nothing left to do', () => {
  const running: PauseFacts = { master: { timer: TIMER_ON }, slave: {} };
  assert.deepEqual(ids(planPause(running, PAUSE)), ['pause-master', 'pause-slave', 'stop-timer']);
  const paused: PauseFacts = { master: { paused: { ...PAUSE }, timer: TIMER_OFF }, slave: { paused: { ...PAUSE } } };
  const again = planPause(paused, { ...PAUSE, reason: 'other' });
  assert.deepEqual(again.steps, []);
  assert.equal(again.note, 'already paused by alice@laptop since 2026-11-28T06:00:00.000Z: disk swap');
});

test('pause completes a half-done pause (one node paused, the timer still running)', () => {
  const half: PauseFacts = { master: { paused: { ...PAUSE }, timer: TIMER_ON }, slave: {} };
  assert.deepEqual(ids(planPause(half, PAUSE)), ['pause-slave', 'stop-timer']);
});

test('resume checks the schemas first, starts the timer, then replicates once before the slave\'s monitor resumes', () => {
  const paused: PauseFacts = { master: { paused: { ...PAUSE }, timer: TIMER_OFF }, slave: { paused: { ...PAUSE } } };
  assert.deepEqual(ids(planResume(paused)), ['check-schemas', 'unpause-master', 'start-timer', 'replicate', 'unpause-slave']);
  const none = planResume({ master: { timer: TIMER_ON }, slave: {} });
  assert.deepEqual(none.steps, []);
  assert.equal(none.note, 'not paused: nothing to resume');
});

test('resume does not start a timer the provisioning left disabled', () => {
  const paused: PauseFacts = { master: { paused: { ...PAUSE }, timer: { active: 'inactive', enabled: 'disabled' } }, slave: { paused: { ...PAUSE } } };
  assert.ok(!ids(planResume(paused)).includes('start-timer'));
});

test('upgrade --switchover fails over before the master\'s upgrade and back after it, and pauses allowing its own switches', () => {
  const plan = planUpgrade(UPGRADE, undefined, RECORD_PATH);
  assert.deepEqual(ids(plan), ['pause-master', 'pause-slave', 'stop-timer', 'upgrade-slave', 'failover', 'upgrade-master', 'failback', 'check-versions', 'check-schemas', 'unpause-master', 'start-timer', 'replicate', 'unpause-slave']);
  const pause = plan.steps[0]!.action;
  assert.equal(pause.kind === 'pause' && pause.pause.manual_switches, true);
  const plain = planUpgrade({ ...UPGRADE, switchover: false }, undefined, RECORD_PATH);
  assert.ok(!ids(plain).includes('failover') && !ids(plain).includes('failback'));
  const plainPause = plain.steps[0]!.action;
  assert.equal(plainPause.kind === 'pause' && plainPause.pause.manual_switches, undefined);
});

test('an unfinished upgrade with another command is refused, naming how to finish it', () => {
  const saved = recordProgress(newUpgradeRecord(UPGRADE, undefined), planUpgrade(UPGRADE, undefined, RECORD_PATH));
  assert.throws(() => planUpgrade({ ...UPGRADE, command: 'other' }, saved, RECORD_PATH), (e: unknown) => e instanceof UserError && /unfinished/.test(e.message) && /--command 'xivo-upgrade -f' --switchover/.test(e.detail ?? ''));
  const finished = { ...saved, finished: '2026-11-28T07:00:00.000Z' };
  assert.ok(planUpgrade({ ...UPGRADE, command: 'other' }, finished, RECORD_PATH).steps.every((s) => s.status === 'pending'), 'a finished record starts a new procedure');
});

/** Runs the actions it is given, records them; `stop` makes one action die like a killed CLI (not a UserError). */
function fakePerform(stop?: { id: string; how: 'kill' | 'refuse' | 'fail' }) {
  const performed: string[] = [];
  const perform = async (action: MaintenanceAction): Promise<string> => {
    const id = action.kind === 'command' ? `upgrade-${action.node}` : action.kind === 'pause' || action.kind === 'unpause' ? `${action.kind}-${action.node}` : action.kind === 'timer' ? `${action.verb}-timer` : action.kind;
    if (stop?.id === id) {
      if (stop.how === 'kill') throw new Error('SIGKILL');
      if (stop.how === 'refuse') throw new MaintenanceRefused(`${id} refused`);
      throw new MaintenanceFailed(`${id} failed`);
    }
    performed.push(id);
    return `${id} ok`;
  };
  return { performed, perform };
}

test('an upgrade killed half-way and started again runs the interrupted step again and repeats no finished step', async () => {
  let saved: string | undefined;
  const record = newUpgradeRecord(UPGRADE, undefined);
  const save = async (plan: MaintenancePlan) => void (saved = JSON.stringify(recordProgress(record, plan)));
  const first = fakePerform({ id: 'upgrade-master', how: 'kill' });
  await assert.rejects(executePlan(planUpgrade(UPGRADE, undefined, RECORD_PATH), first.perform, { onStep: () => {}, save }), /SIGKILL/);
  assert.deepEqual(first.performed, ['pause-master', 'pause-slave', 'stop-timer', 'upgrade-slave', 'failover']);

  const again = planUpgrade(UPGRADE, parseUpgradeRecord(saved), RECORD_PATH);
  const shown = renderMaintenancePlan(again, true);
  assert.match(shown, /^upgrade: 8 steps would run \(5 done earlier\)/);
  assert.match(shown, /upgrade-master +upgrade the master: xivo-upgrade -f \(interrupted: runs again\)/);
  const second = fakePerform();
  const reports: StepReport[] = [];
  const outcome = await executePlan(again, second.perform, { onStep: (r) => void reports.push(r), save });
  assert.ok(outcome.ok);
  assert.deepEqual(second.performed, ['upgrade-master', 'failback', 'check-versions', 'check-schemas', 'unpause-master', 'start-timer', 'replicate', 'unpause-slave']);
  assert.deepEqual(reports.filter((r) => r.status === 'skipped').map((r) => r.id), ['pause-master', 'pause-slave', 'stop-timer', 'upgrade-slave', 'failover']);
  assert.ok(parseUpgradeRecord(saved)!.steps.every((s) => s.status === 'done'));
});

test('the executor stops at the first failing step, records it failed, and leaves the rest pending', async () => {
  const plan = planUpgrade(UPGRADE, undefined, RECORD_PATH);
  const { performed, perform } = fakePerform({ id: 'check-schemas', how: 'refuse' });
  const outcome = await executePlan(plan, perform, { onStep: () => {} });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.failed?.id, 'check-schemas');
  assert.equal(outcome.failed?.status, 'failed');
  assert.ok(!performed.includes('replicate'), 'never replicates across differing schemas');
  assert.equal(plan.steps.at(-1)!.status, 'pending');
  assert.equal(exitCodeOf(plan, outcome), 3, 'refused after steps were done: 3');
});

test('exit code 1 when the first step is refused (nothing was done), 0 when all ran', async () => {
  const paused: PauseFacts = { master: { paused: { ...PAUSE }, timer: TIMER_OFF }, slave: { paused: { ...PAUSE } } };
  const plan = planResume(paused);
  const outcome = await executePlan(plan, fakePerform({ id: 'check-schemas', how: 'refuse' }).perform, { onStep: () => {} });
  assert.equal(exitCodeOf(plan, outcome), 1);
  const ok = planResume(paused);
  assert.equal(exitCodeOf(ok, await executePlan(ok, fakePerform().perform, { onStep: () => {} })), 0);
});

// ---------------------------------------------------------------- cluster actions against fake hosts

const master = { name: 'master', role: 'master', address: '198.18.0.11' } as ClusterNode;
const slave = { name: 'slave', role: 'slave', address: '198.18.0.12' } as ClusterNode;

/** Runs the node's pause script for real, its state directory moved to `dir`. */
function runPauseScript(argv: string[], dir: string) {
  const args = argv.slice(1).map((a) => (a === '/var/lib/xivo-ha' ? dir : a));
  const r = spawnSync('python3', args, { input: PAUSE_NODE_SCRIPT, encoding: 'utf8' });
  return { rc: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function cluster(slaveState = 'standby', onMaster: (argv: string[]) => { rc: number; stdout: string; stderr: string } | undefined = () => undefined) {
  const dirs = { master: mkdtempSync(join(tmpdir(), 'xha-m-')), slave: mkdtempSync(join(tmpdir(), 'xha-s-')) };
  const log: string[] = [];
  const m = new FakeHost('master', (argv) => {
    log.push(`master: ${argv[0] === 'python3' ? argv.slice(0, 3).join(' ') : argv.join(' ')}`);
    return argv[0] === 'python3' ? runPauseScript(argv, dirs.master) : (onMaster(argv) ?? { rc: 0, stdout: '', stderr: '' });
  });
  const s = new FakeHost('slave', (argv, host) => {
    log.push(`slave: ${argv[0] === 'python3' ? argv.slice(0, 3).join(' ') : argv.join(' ')}`);
    if (argv[0] === 'python3') return runPauseScript(argv, dirs.slave);
    if (argv[0] === MONITOR_PROGRAM) {
      host.writeFile('/var/lib/xivo-ha/monitor-state.json', JSON.stringify({ state: 'active' }));
      return { rc: 0, stdout: JSON.stringify({ ok: true, state: 'active' }), stderr: '' };
    }
    return { rc: 0, stdout: '', stderr: '' };
  });
  s.writeFile('/var/lib/xivo-ha/monitor-state.json', JSON.stringify({ state: slaveState }));
  s.units.set(MONITOR_UNIT, { exists: true, active: 'active', enabled: 'enabled' });
  const actions = new ClusterActions({ master, slave, conns: new Map([['master', m], ['slave', s]]), connectErrors: new Map() }, 'alice@laptop', () => {});
  return { dirs, log, m, s, actions, cleanup: () => Object.values(dirs).forEach((d) => rmSync(d, { recursive: true, force: true })) };
}

test('pausing a node writes who, when and why (0600) and is idempotent; resuming removes it', async (t) => {
  const c = cluster();
  t.after(c.cleanup);
  const file = join(c.dirs.slave, 'paused.json');
  assert.equal(await c.actions.perform({ kind: 'pause', node: 'slave', pause: PAUSE }), 'slave paused');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), PAUSE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(await c.actions.perform({ kind: 'pause', node: 'slave', pause: { ...PAUSE, reason: 'later' } }), 'slave was already paused');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).reason, 'disk swap', 'the first pause\'s who/when/why stay');
  await c.actions.perform({ kind: 'pause', node: 'slave', pause: { ...PAUSE, manual_switches: true } });
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).manual_switches, true, 'an upgrade --switchover adds its flag to an existing pause');
  assert.equal(await c.actions.perform({ kind: 'unpause', node: 'slave' }), 'slave resumed');
  assert.ok(!existsSync(file));
  assert.equal(await c.actions.perform({ kind: 'unpause', node: 'slave' }), 'slave was not paused');
});

test('pausing waits for the HA lock and is refused, writing nothing, while a replication holds it', async (t) => {
  const c = cluster();
  t.after(c.cleanup);
  const holder = spawn('python3', ['-c', 'import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\nfcntl.flock(fd,fcntl.LOCK_EX)\nprint("held",flush=True)\ntime.sleep(30)', join(c.dirs.master, 'ha.lock')], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void holder.kill());
  await new Promise((r) => holder.stdout.once('data', r));
  // The real timeout is 120 s: run the script directly with 1 s.
  const r = spawnSync('python3', ['-', 'pause', c.dirs.master, '1', JSON.stringify(PAUSE)], { input: PAUSE_NODE_SCRIPT, encoding: 'utf8' });
  assert.equal(r.status, 75);
  assert.ok(!existsSync(join(c.dirs.master, 'paused.json')));
});

test('the schema check refuses with the differences the replication names, and never replicates', async (t) => {
  const c = cluster('standby', (argv) => (argv[0] === REPLICATE_PROGRAM ? { rc: 2, stdout: JSON.stringify({ same: false, problems: ['alembic_version differs: master a1, slave b2'] }), stderr: '' } : undefined));
  t.after(c.cleanup);
  await assert.rejects(c.actions.perform({ kind: 'check-schemas' }), (e: unknown) => e instanceof MaintenanceRefused && /schemas differ: alembic_version differs: master a1, slave b2/.test(e.message));
  assert.deepEqual(c.log, [`master: ${REPLICATE_PROGRAM} --compare-schemas`]);
});

test('versions that differ are refused, naming both', async (t) => {
  const c = cluster();
  t.after(c.cleanup);
  c.m.writeFile('/usr/share/xivo/XIVO-VERSION', '2024.05.00\n');
  c.s.writeFile('/usr/share/xivo/XIVO-VERSION', '2024.10.00\n');
  await assert.rejects(c.actions.perform({ kind: 'check-versions' }), /master master 2024.05.00, slave slave 2024.10.00/);
  c.m.writeFile('/usr/share/xivo/XIVO-VERSION', '2024.10.00\n');
  assert.equal(await c.actions.perform({ kind: 'check-versions' }), 'both nodes run XiVO 2024.10.00');
});

test('the failover step is done when the slave already carries telephony (a re-run after an interruption)', async (t) => {
  const c = cluster('active');
  t.after(c.cleanup);
  assert.match(await c.actions.perform({ kind: 'failover' }), /already carries telephony/);
  assert.deepEqual(c.log, []);
});

test('the failover step goes through while paused by an upgrade with switchover', async (t) => {
  const c = cluster('standby');
  t.after(c.cleanup);
  c.s.writeFile('/var/lib/xivo-ha/paused.json', JSON.stringify({ ...PAUSE, manual_switches: true }));
  assert.match(await c.actions.perform({ kind: 'failover' }), /carries telephony/);
  assert.ok(c.log.includes(`slave: ${MONITOR_PROGRAM} request takeover --by alice@laptop`));
});

test('a failing upgrade command is a failed step naming the node, the exit code and what to do', async (t) => {
  const c = cluster('standby', (argv) => (argv[0] === 'sh' ? { rc: 4, stdout: '', stderr: 'E: dpkg was interrupted' } : undefined));
  t.after(c.cleanup);
  await assert.rejects(c.actions.perform({ kind: 'command', node: 'master', command: 'xivo-upgrade -f' }), (e: unknown) => e instanceof MaintenanceFailed && /on the master master exited 4: E: dpkg was interrupted/.test(e.message) && /run the same `xivo-ha upgrade` again/.test(e.detail ?? ''));
});
