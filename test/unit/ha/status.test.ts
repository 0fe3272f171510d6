import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise, type NodeStatus } from '../../../src/ha/status.js';

const node = (name: string, role: string, telephony: NodeStatus['telephony'], extra: Partial<NodeStatus> = {}): NodeStatus => ({
  name,
  role,
  address: '198.18.0.1',
  reachable: true,
  telephony,
  units: {},
  ...extra,
});

test('names the node that carries telephony', () => {
  const s = summarise('lab', 'xivo', [node('master', 'master', 'running'), node('slave', 'slave', 'stopped', { monitor: { state: 'standby' } })]);
  assert.equal(s.active, 'master');
});

test('warns of a split brain when both nodes run telephony', () => {
  const s = summarise('lab', 'xivo', [node('master', 'master', 'running'), node('slave', 'slave', 'running', { monitor: { state: 'active' } })]);
  assert.equal(s.active, 'both');
  assert.ok(s.warnings.some((w) => w.includes('SPLIT BRAIN')));
});

test('gives the replication age from the last success, and warns of a failed last run', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  const replication = {
    last: { result: 'failed', reason: 'slave unreachable', ended: '2026-11-28T11:00:05Z', duration_s: 3 },
    last_success: { result: 'ok', ended: '2026-11-28T10:00:00Z' },
  };
  const s = summarise('lab', 'xivo', [node('master', 'master', 'running', { replication }), node('slave', 'slave', 'stopped', { monitor: { state: 'standby' } })], now);
  assert.equal(s.replication?.ageS, 7200);
  assert.ok(s.warnings.some((w) => w.includes('last replication failed: slave unreachable')));
});

test('lists user settings the failback could not carry back', () => {
  const monitor = { state: 'standby', copyback: { unsent_user_settings: [{ table: 'userfeatures', column: 'enablednd' }] } };
  const s = summarise('lab', 'xivo', [node('master', 'master', 'running'), node('slave', 'slave', 'stopped', { monitor })]);
  assert.ok(s.warnings.some((w) => w.includes('not carried back') && w.includes('enablednd')));
});

test('shows who paused, when and why, with the timer\'s and the monitor\'s state, and warns when one node only is paused', async () => {
  const { renderClusterStatus } = await import('../../../src/cli/views/status-view.js');
  const { palette } = await import('../../../src/cli/views/colors.js');
  const paused = { by: 'alice@laptop', since: '2026-11-28T06:00:00.000Z', reason: 'disk swap' };
  const master = node('master', 'master', 'running', { paused, units: { 'xivo-ha-replicate.timer': { active: 'inactive', enabled: 'enabled' } } });
  const s = summarise('lab', 'xivo', [master, node('slave', 'slave', 'stopped', { paused, monitor: { state: 'standby', paused: true } })]);
  const text = renderClusterStatus(s, palette(false));
  assert.match(text, /PAUSED on master and slave since 2026-11-28T06:00:00.000Z by alice@laptop: disk swap/);
  assert.match(text, /replication timer: inactive; monitor: paused/);
  const half = summarise('lab', 'xivo', [master, node('slave', 'slave', 'stopped', { monitor: { state: 'standby' } })]);
  assert.ok(half.warnings.some((w) => w.startsWith('only master is paused')));
});
