// Issue 4 acceptance 1, 2, 3, 5, 6 on the lab's master and slave: provision
// from fresh nodes, least privilege of the replication key and role, a
// changed HA setting converging, and un-provisioning. Every apply is run
// twice and the second must change nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, execOk, execOn, nodeAddress, readNodeFile, resetNodes, writeInventory } from '../helpers/lab.js';
import { applyTwice, xivoHa, taskResults } from '../helpers/xivo-ha-cli.js';

const MASTER = nodeAddress('master');
const SLAVE = nodeAddress('slave');
const KEY = '/root/.ssh/xivo_ha_replication';
const SSH = ['ssh', '-i', KEY, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/etc/xivo-ha/known_hosts', '-o', 'ConnectTimeout=5'];

let dir: string;
let inventory: string;

before(async () => {
  await ensureLab(['master', 'slave']);
  await resetNodes('master', 'slave');
  dir = mkdtempSync(join(tmpdir(), 'xivo-ha-provision-'));
  inventory = (await writeInventory('xivo', { outDir: dir, profile: 'fast' })).inventory;
});

after(async () => {
  // The next file gets fresh nodes, whatever happened here.
  await resetNodes('master', 'slave');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('provisions fresh nodes: apply succeeds, a second apply changes nothing, plan --detailed-exitcode exits 0', async () => {
  await applyTwice(inventory);
  const plan = await xivoHa(['plan', '-i', inventory, '--detailed-exitcode']);
  assert.equal(plan.code, 0, plan.stderr);
});

test('the master replicates every hour at :00, the slave runs its monitor, ha.conf names each role and peer', async () => {
  assert.equal((await execOn('master', ['systemctl', 'is-enabled', 'xivo-ha-replicate.timer'])).stdout.trim(), 'enabled');
  assert.equal((await execOn('master', ['systemctl', 'is-active', 'xivo-ha-replicate.timer'])).stdout.trim(), 'active');
  const timer = await execOk('master', ['systemctl', 'cat', 'xivo-ha-replicate.timer']);
  assert.match(timer, /^OnCalendar=\*-\*-\* \*:00:00$/m);
  assert.match(timer, /^Persistent=true$/m);
  assert.equal((await execOn('slave', ['systemctl', 'is-active', 'xivo-ha-monitor.service'])).stdout.trim(), 'active');
  assert.equal((await execOn('master', ['systemctl', 'is-active', 'xivo-ha-guard-watch.service'])).stdout.trim(), 'active');
  assert.deepEqual(JSON.parse(await readNodeFile('master', '/etc/xivo/ha.conf')), { node_type: 'master', remote_address: SLAVE });
  assert.deepEqual(JSON.parse(await readNodeFile('slave', '/etc/xivo/ha.conf')), { node_type: 'slave', remote_address: MASTER });
  // The replication the timer starts works end to end (database, then files).
  await execOk('master', ['systemctl', 'start', 'xivo-ha-replicate.service'], { timeoutMs: 60_000 });
  const status = JSON.parse(await readNodeFile('master', '/var/lib/xivo-ha/replication-status.json')) as { last: { result: string } };
  assert.equal(status.last.result, 'ok');
});

test('the replication key runs the replication commands on the slave but never a shell, with or without a PTY', async () => {
  const status = await execOn('master', [...SSH, `root@${SLAVE}`, 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.ok('monitor' in (JSON.parse(status.stdout) as object));
  for (const argv of [
    [...SSH, `root@${SLAVE}`, 'id'],
    [...SSH, `root@${SLAVE}`, 'sh', '-c', 'id'],
    [...SSH, '-tt', `root@${SLAVE}`, 'bash -i'],
    [...SSH, '-tt', `root@${SLAVE}`],
  ]) {
    const r = await execOn('master', argv, { stdin: 'id\nexit\n', timeoutMs: 20_000 });
    assert.notEqual(r.code, 0, `${argv.slice(-2).join(' ')} succeeded: ${r.stdout}`);
    assert.doesNotMatch(r.stdout, /uid=0/, 'a shell ran');
    // The forced command refuses it, or sshd already refused the PTY (`restrict`).
    assert.match(r.stdout + r.stderr, /refused|PTY allocation request failed/);
  }
  const keyLine = (await readNodeFile('slave', '/root/.ssh/authorized_keys')).split('\n').find((l) => l.includes('xivo-ha-replication@'));
  assert.ok(keyLine?.startsWith(`restrict,from="${MASTER}",command="/usr/local/sbin/xivo-ha-receive --role replication" `), keyLine);
});

test('the replication role reaches the slave\'s asterisk database from the master only, is no superuser, and has no trust line', async () => {
  const psql = ['env', 'PGPASSFILE=/etc/xivo-ha/replication.pgpass', 'psql', '-XAtq', '-w', '-h', SLAVE, '-U', 'xivo_ha_replication', '-d', 'asterisk', '-c', 'SELECT count(*) FROM userfeatures'];
  const fromMaster = await execOn('master', psql);
  assert.equal(fromMaster.code, 0, fromMaster.stderr);
  // The same password from another address (the slave's own) is refused by pg_hba.
  const pgpass = await readNodeFile('master', '/etc/xivo-ha/replication.pgpass');
  const fromSlave = await execOn('slave', ['sh', '-c', `umask 077; cat > /tmp/pgpass; PGPASSFILE=/tmp/pgpass psql -XAtq -w -h ${SLAVE} -U xivo_ha_replication -d asterisk -c 'SELECT 1'; rc=$?; rm -f /tmp/pgpass; exit $rc`], { stdin: pgpass });
  assert.notEqual(fromSlave.code, 0);
  assert.match(fromSlave.stderr, /pg_hba\.conf|no pg_hba/);
  const role = await execOk('slave', ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-d', 'asterisk', '-c', "SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'xivo_ha_replication'"]);
  assert.equal(role.trim(), 'f|t');
  const hba = (await readNodeFile('slave', '/etc/postgresql/15/main/pg_hba.conf')).split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  assert.deepEqual(hba.filter((l) => l.includes('xivo_ha_replication')), [`host asterisk xivo_ha_replication ${MASTER}/32 scram-sha-256`]);
  assert.deepEqual(hba.filter((l) => /\btrust\b/.test(l)), []);
  const listen = await execOk('slave', ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-c', 'SHOW listen_addresses']);
  assert.equal(listen.trim(), `localhost,${SLAVE}`);
});

// Prints "MODE UID PATH" for every regular file under the usual trees that holds the secret read on stdin
// (the secret itself never reaches argv or the test's output).
const FILES_HOLDING_SECRET = `
import os, stat, sys
secret = sys.stdin.buffer.read().strip()
for top in ("/etc", "/root", "/var", "/usr/local", "/tmp", "/home", "/srv", "/opt", "/run"):
    for d, _, files in os.walk(top):
        for name in files:
            path = os.path.join(d, name)
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode) or st.st_size > 20_000_000:
                    continue
                with open(path, "rb") as f:
                    if secret in f.read():
                        print(f"{st.st_mode & 0o7777:o} {st.st_uid} {path}")
            except OSError:
                pass
`;

test('every key and secret the HA playbooks place is root-only (0600 files in 0700 directories), and no file others can read holds the replication password', async () => {
  const expected: Record<string, string[]> = {
    master: ['/root/.ssh/xivo_ha_replication', '/etc/xivo-ha/replication.password', '/etc/xivo-ha/replication.pgpass', '/etc/xivo-ha/cluster.json', '/etc/xivo-ha/known_hosts'],
    slave: ['/root/.ssh/xivo_ha_failback', '/etc/xivo-ha/cluster.json', '/etc/xivo-ha/known_hosts'],
  };
  for (const [node, files] of Object.entries(expected)) {
    const modes = await execOk(node, ['stat', '-c', '%a %U:%G %n', ...files, '/root/.ssh', '/etc/xivo-ha']);
    for (const line of modes.trim().split('\n')) {
      const [mode, owner, path] = line.split(' ');
      assert.equal(owner, 'root:root', `${node}: ${line}`);
      assert.equal(mode, path === '/root/.ssh' || path === '/etc/xivo-ha' ? '700' : '600', `${node}: ${line}`);
    }
  }
  const password = (await readNodeFile('master', '/etc/xivo-ha/replication.password')).trim();
  assert.ok(password.length >= 20, 'a generated password');
  for (const node of ['master', 'slave']) {
    const holders = (await execOk(node, ['python3', '-c', FILES_HOLDING_SECRET], { stdin: password })).trim().split('\n').filter(Boolean);
    for (const line of holders) {
      const [mode, uid, path] = line.split(' ');
      assert.ok((parseInt(mode!, 8) & 0o077) === 0 && uid === '0', `${node}: ${path} holds the replication password and is mode ${mode} uid ${uid}`);
    }
    if (node === 'master') assert.ok(holders.some((l) => l.endsWith(' /etc/xivo-ha/replication.password')), 'the scan found the password file itself');
  }
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

test('disabling HA removes every xivo-ha timer, key, role, pg_hba line and the monitor, and sets node_type disabled', async () => {
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
    assert.equal((await execOn(node, ['test', '-e', '/etc/systemd/system/asterisk.service.d/xivo-ha-guard.conf'])).code, 1);
  }
  assert.doesNotMatch(await readNodeFile('slave', '/etc/postgresql/15/main/pg_hba.conf'), /xivo_ha_replication|xivo-ha/);
  const role = await execOk('slave', ['runuser', '-u', 'postgres', '--', 'psql', '-XAtq', '-c', "SELECT count(*) FROM pg_roles WHERE rolname = 'xivo_ha_replication'"]);
  assert.equal(role.trim(), '0');
  assert.equal((await xivoHa(['plan', '-i', inventory, '--detailed-exitcode'])).code, 0);
});
