import test from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterNode } from '../../../src/core/model.js';
import type { CommandFact } from '../../../src/core/types.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { failback, failover, GUARD_PROGRAM, MONITOR_PROGRAM, MONITOR_UNIT, SwitchFailed, SwitchRefused, type SwitchNodes } from '../../../src/ha/switchover.js';

const STATE = '/var/lib/xivo-ha/monitor-state.json';
const master = { name: 'master', role: 'master', address: '198.18.0.11' } as ClusterNode;
const slave = { name: 'slave', role: 'slave', address: '198.18.0.12' } as ClusterNode;

/** A pair whose slave monitor behaves like the daemon: a request changes its state. */
function pair(slaveState: string, answer: (action: string, host: FakeHost) => CommandFact = (action, host) => {
  const to = action === 'takeover' ? 'active' : 'standby';
  host.writeFile(STATE, JSON.stringify({ state: to }));
  return { rc: 0, stdout: JSON.stringify({ ok: true, state: to, message: `${action} done` }), stderr: '' };
}) {
  const log: string[] = [];
  const m = new FakeHost('master', (argv) => {
    log.push(`master: ${argv.join(' ')}`);
    return { rc: argv[0] === GUARD_PROGRAM ? 1 : 0, stdout: '', stderr: '' };
  });
  const s = new FakeHost('slave', (argv, host) => {
    log.push(`slave: ${argv.join(' ')}`);
    return argv[0] === MONITOR_PROGRAM ? answer(argv[2]!, host) : { rc: 0, stdout: '', stderr: '' };
  });
  s.writeFile(STATE, JSON.stringify({ state: slaveState }));
  s.units.set(MONITOR_UNIT, { exists: true, active: 'active', enabled: 'enabled' });
  const nodes: SwitchNodes = { master, slave, conns: new Map([['master', m], ['slave', s]]), connectErrors: new Map() };
  const reports: string[] = [];
  return { m, s, nodes, log, reports, options: { by: 'alice@laptop', report: (t: string) => void reports.push(t) } };
}

test('failover stops the master\'s telephony before the slave takes over, then records the guard', async () => {
  const p = pair('standby');
  await failover(p.nodes, p.options);
  assert.deepEqual(p.log, [
    'master: systemctl stop asterisk.service',
    `slave: ${MONITOR_PROGRAM} request takeover --by alice@laptop`,
    `master: ${GUARD_PROGRAM}`,
  ]);
  assert.ok(p.reports.some((r) => r.includes('held by its guard')));
});

test('failover is refused, changing nothing, when the slave is unreachable', async () => {
  const p = pair('standby');
  p.nodes.conns.delete('slave');
  p.nodes.connectErrors.set('slave', 'timeout');
  await assert.rejects(failover(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /slave slave .* unreachable: timeout/.test(e.message));
  assert.deepEqual(p.log, []);
});

test('failover is refused when the slave\'s monitor is not in standby', async () => {
  const p = pair('active');
  await assert.rejects(failover(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /monitor is active, not standby/.test(e.message));
  assert.deepEqual(p.log, []);
});

test('failover is refused when the HA is paused', async () => {
  const p = pair('standby');
  p.s.writeFile('/var/lib/xivo-ha/paused.json', '{"by":"bob"}');
  await assert.rejects(failover(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /paused/.test(e.message));
  assert.deepEqual(p.log, []);
});

test('failover is refused when the slave\'s monitor service is not running', async () => {
  const p = pair('standby');
  p.s.units.set(MONITOR_UNIT, { exists: true, active: 'failed', enabled: 'enabled' });
  await assert.rejects(failover(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /xivo-ha-monitor.service is failed/.test(e.message));
  assert.deepEqual(p.log, []);
});

test('a takeover the monitor refuses restarts the master\'s telephony', async () => {
  const p = pair('standby', () => ({ rc: 3, stdout: JSON.stringify({ ok: false, message: 'the monitor did not take the request' }), stderr: '' }));
  await assert.rejects(failover(p.nodes, p.options), (e: unknown) => e instanceof SwitchFailed && /did not take the request/.test(e.message));
  assert.equal(p.log.at(-1), 'master: systemctl start asterisk.service');
});

test('failback asks the monitor first and starts the master\'s telephony only once the slave stands by', async () => {
  const p = pair('active');
  await failback(p.nodes, p.options);
  assert.deepEqual(p.log, [
    `slave: ${MONITOR_PROGRAM} request failback --by alice@laptop`,
    'master: systemctl start asterisk.service',
  ]);
});

test('failback is refused when the master does not answer', async () => {
  const p = pair('active');
  p.nodes.conns.delete('master');
  await assert.rejects(failback(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /master master .* unreachable/.test(e.message));
  assert.deepEqual(p.log, []);
});

test('failback refused by the monitor leaves the master\'s telephony down', async () => {
  const p = pair('active', () => ({ rc: 1, stdout: JSON.stringify({ ok: false, state: 'active', message: 'the master 198.18.0.11 does not answer ping' }), stderr: '' }));
  await assert.rejects(failback(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /does not answer ping/.test(e.message));
  assert.ok(!p.log.some((l) => l.startsWith('master:')));
});

test('failback is refused in standby', async () => {
  const p = pair('standby');
  await assert.rejects(failback(p.nodes, p.options), (e: unknown) => e instanceof SwitchRefused && /standby, not active/.test(e.message));
});
