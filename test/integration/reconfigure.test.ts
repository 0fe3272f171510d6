// Issue 4 acceptance 4 and 6: a provisioned pair changed by its inventory.
// A changed HA setting shows exactly its diff and converges; disabling HA
// removes everything xivo-ha placed. It runs last on its lab chain, on the
// pair provision.test.ts provisioned (provisionedPair), with its own copy of
// the inventory: it leaves the pair un-provisioned, which the next user of
// the pair sees and provisions again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, execOk, execOn, provisionedPair, readNodeFile, writeInventory } from '../helpers/lab.js';
import { applyTwice, xivoHa, taskResults } from '../helpers/xivo-ha-cli.js';

let dir: string;
let inventory: string;

before(async () => {
  await ensureLab(['master', 'slave']);
  await provisionedPair();
  // The same inventory as the shared pair's, in a directory of this file's own: the tests change it.
  dir = mkdtempSync(join(tmpdir(), 'xivo-ha-reconfigure-'));
  inventory = (await writeInventory('xivo', { outDir: dir, profile: 'fast' })).inventory;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a changed monitor profile: the plan shows exactly the changed cluster.json lines and the monitor restart, apply converges, the next plan is empty', async () => {
  const text = readFileSync(inventory, 'utf8');
  assert.match(text, /profile: fast/);
  writeFileSync(inventory, text.replace('profile: fast', 'profile: default'));
  const plan = await xivoHa(['plan', '-i', inventory, '--json']);
  assert.equal(plan.code, 0, plan.stderr);
  const pending = taskResults(plan.stdout).filter((r) => r.status !== 'ok' && r.status !== 'skipped');
  assert.deepEqual(pending.map((r) => `${r.host}: ${r.task}`).sort(), [
    'master: cluster configuration for the node programs',
    'master: restart master watch',
    'slave: cluster configuration for the node programs',
    'slave: restart monitor',
  ]);
  const diff = pending.find((r) => r.host === 'slave' && r.task.startsWith('cluster'))!.changes[0]!.diff ?? '';
  const changed = diff.split('\n').filter((l) => /^[+-]\s/.test(l)).map((l) => l.replace(/^[+-]\s*/, '').replace(/:.*/, '')).sort();
  assert.deepEqual([...new Set(changed)], ['"active_probe_interval"', '"failback_grace"', '"fence_after"', '"flap_memory"', '"interval"', '"lock_timeout"', '"max_rounds_to_takeover"', '"probe_spacing"', '"probe_timeout"', '"probes_per_round"', '"profile"', '"rounds_to_takeover"', '"stable_period"', '"watch_interval"']);
  await applyTwice(inventory);
  const config = JSON.parse(await readNodeFile('slave', '/etc/xivo-ha/cluster.json')) as { monitor: { profile: string; interval: number } };
  assert.deepEqual([config.monitor.profile, config.monitor.interval], ['default', 60]);
  const state = JSON.parse(await readNodeFile('slave', '/var/lib/xivo-ha/monitor-state.json')) as { profile: string };
  assert.equal(state.profile, 'default', 'the monitor was restarted with the new profile');
  assert.equal((await xivoHa(['plan', '-i', inventory, '--detailed-exitcode'])).code, 0);
});

test('disabling HA removes every xivo-ha timer, key, program, role, pg_hba line and the monitor, and sets node_type disabled', async () => {
  writeFileSync(inventory, readFileSync(inventory, 'utf8').replace('enabled: true', 'enabled: false'));
  await applyTwice(inventory);
  for (const node of ['master', 'slave']) {
    const units = (await execOn(node, ['systemctl', 'list-unit-files', '--no-legend', 'xivo-ha*'])).stdout;
    assert.equal(units.trim(), '', `${node} still has ${units}`);
    const timers = (await execOn(node, ['systemctl', 'list-timers', '--all', '--no-legend'])).stdout;
    assert.doesNotMatch(timers, /xivo-ha/);
    const keys = await execOk(node, ['sh', '-c', 'ls /root/.ssh/; cat /root/.ssh/authorized_keys']);
    // The lab's own runner key stays (its comment is "xivo-ha-lab runner"); xivo-ha's keys and forced commands go.
    assert.doesNotMatch(keys, /xivo_ha_(replication|failback)|xivo-ha-(replication|failback)|xivo-ha-receive/);
    assert.deepEqual(JSON.parse(await readNodeFile(node, '/etc/xivo/ha.conf')), { node_type: 'disabled', remote_address: '' });
    assert.equal((await execOn(node, ['test', '-e', '/etc/xivo-ha'])).code, 1);
    // Every program xivo.yml placed, including any added later.
    assert.deepEqual((await execOk(node, ['ls', '/usr/local/sbin'])).split('\n').filter((f) => f.startsWith('xivo-ha')), [], `${node} keeps xivo-ha programs`);
    assert.equal((await execOn(node, ['test', '-e', '/etc/systemd/system/asterisk.service.d/xivo-ha-guard.conf'])).code, 1);
  }
  assert.doesNotMatch(await readNodeFile('slave', '/etc/postgresql/15/main/pg_hba.conf'), /xivo_ha_replication|xivo-ha/);
  const role = await execOk('slave', ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-c', "SELECT count(*) FROM pg_roles WHERE rolname = 'xivo_ha_replication'"]);
  assert.equal(role.trim(), '0');
  assert.equal((await xivoHa(['plan', '-i', inventory, '--detailed-exitcode'])).code, 0);
});
