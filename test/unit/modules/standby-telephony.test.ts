// xivo_standby_telephony (src/ha/modules/standby-telephony.ts): what the plan
// shows for a standby slave, a slave in charge and one already held back. The
// node program that does it under the HA lock has its own tests
// (src/remote/node/tests/test_monitor_standby_telephony.py).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xivoStandbyTelephony } from '../../../src/ha/modules/standby-telephony.js';
import { fakeContext, planTwice } from '../../helpers/fake-facts.js';
import { table } from './table.js';
import type { RunEvent } from '../../../src/core/events.js';
import { runPlaybooks } from '../../../src/core/runner.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { inventory, play, playbook, task } from '../../helpers/specs.js';

const STATE = '/var/lib/xivo-ha/monitor-state.json';
const MARKER = '/var/lib/xivo/disabled';
const running = { 'asterisk.service': { exists: true, active: 'active', enabled: 'enabled' } };
const stopped = { 'asterisk.service': { exists: true, active: 'inactive', enabled: 'enabled' } };

table(xivoStandbyTelephony as never, [
  {
    name: 'a standby slave running telephony: disable at boot and stop, through the node program',
    args: {},
    host: { files: { [STATE]: '{"state": "standby"}' }, units: running },
    changes: [{ action: 'update', summary: /disable it at boot \(xivo-service disable\), stop asterisk\.service \(decided again on the node under the HA lock\)/, steps: ['exec'] }],
  },
  {
    name: 'a slave without monitor state yet is held back too',
    args: {},
    host: { units: running },
    changes: [{ action: 'update', summary: /stop asterisk\.service/ }],
  },
  {
    name: 'an unreadable monitor state is read as not in charge, as the node program reads it',
    args: {},
    host: { files: { [STATE]: 'not json' }, units: running },
    changes: [{ action: 'update', summary: /stop asterisk\.service/ }],
  },
  {
    name: 'a slave in charge keeps its telephony: no change',
    args: {},
    host: { files: { [STATE]: '{"state": "active"}' }, units: running },
    note: /kept: this slave is in charge \(monitor state active\)/,
  },
  {
    name: 'a slave failing back keeps its telephony: no change',
    args: {},
    host: { files: { [STATE]: '{"state": "failing-back"}' }, units: running },
    note: /monitor state failing-back/,
  },
  {
    name: 'disabled at boot and stopped: in sync',
    args: {},
    host: { files: { [STATE]: '{"state": "standby"}', [MARKER]: '' }, units: stopped },
    note: /in sync: held back \(disabled at boot, asterisk\.service inactive\)/,
  },
  {
    name: 'stopped but not disabled at boot: disable only',
    args: {},
    host: { files: { [STATE]: '{"state": "standby"}' }, units: stopped },
    changes: [{ action: 'update', summary: /hold back the standby slave's telephony: disable it at boot \(xivo-service disable\) \(/ }],
  },
]);

test('xivo_standby_telephony: the step runs the node program with the unit and marker', () => {
  const { first } = planTwice(xivoStandbyTelephony as never, { unit: 'telephony.service', disabled_marker: '/run/off' }, { units: { 'telephony.service': { exists: true, active: 'active', enabled: 'enabled' } } }, fakeContext());
  assert.deepEqual(first.changes[0]!.steps, [{ kind: 'exec', argv: ['/usr/local/sbin/xivo-ha-standby-telephony', 'stop', '--unit', 'telephony.service', '--disabled-marker', '/run/off'] }]);
});

/** Applies the task on a standby slave running telephony whose node program prints `said`; the task's result event. */
async function applyWhereTheProgramSays(said: string): Promise<RunEvent & { type: 'task_result' }> {
  const host = new FakeHost('slave', (argv) => (argv[0] === '/usr/local/sbin/xivo-ha-standby-telephony' ? { rc: 0, stdout: said, stderr: '' } : { rc: 0, stdout: '', stderr: '' }));
  host.writeFile(STATE, '{"state": "standby"}');
  host.units.set('asterisk.service', running['asterisk.service']);
  const events: RunEvent[] = [];
  await runPlaybooks({
    command: 'apply', inventory: inventory({ slave: {} }), playbooks: [playbook(play([task('hold back', 'xivo_standby_telephony', {})]))], tags: [], extraVars: {},
    connect: async () => host, connectOptions: { acceptNew: false }, emit: (e) => events.push(e),
  });
  assert.deepEqual(host.execLog, [['/usr/local/sbin/xivo-ha-standby-telephony', 'stop', '--unit', 'asterisk.service', '--disabled-marker', MARKER]]);
  return events.find((e): e is RunEvent & { type: 'task_result' } => e.type === 'task_result')!;
}

test('xivo_standby_telephony: the apply reports "changed" when the node program stopped or disabled telephony', async () => {
  const result = await applyWhereTheProgramSays('disabled at boot: xivo-service disable\nstopped: asterisk.service\n');
  assert.equal(result.status, 'changed');
});

test('xivo_standby_telephony: a slave that took over between gather and step is reported ok, with the program\'s reason, not "changed"', async () => {
  const result = await applyWhereTheProgramSays('kept: this slave is in charge (monitor state active); its telephony stays up\n');
  assert.equal(result.status, 'ok');
  assert.deepEqual(result.changes, []);
  assert.match(result.note ?? '', /^kept: this slave is in charge \(monitor state active\); its telephony stays up \(decided on the node, under the HA lock\)$/);
});
