// Issue 4 acceptance 1, 2, 3, 5 on the lab's master and slave: provision
// from fresh nodes (every apply is run twice and the second must change
// nothing), least privilege of the replication key and role. The pair it
// provisions is the one the next files of the lab's chain reuse
// (provisionedPair); a changed HA setting and un-provisioning are in
// reconfigure.test.ts, the chain's last file.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLab, execOk, execOn, nodeAddress, provisionedPair, readNodeFile, replicateNow } from '../helpers/lab.js';
import { xivoHa } from '../helpers/xivo-ha-cli.js';

const MASTER = nodeAddress('master');
const SLAVE = nodeAddress('slave');
const KEY = '/root/.ssh/xivo_ha_replication';
const SSH = ['ssh', '-i', KEY, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/etc/xivo-ha/known_hosts', '-o', 'ConnectTimeout=5'];

let inventory: string;

before(async () => {
  await ensureLab(['master', 'slave']);
});

test('provisions fresh nodes: apply succeeds, a second apply changes nothing, plan --detailed-exitcode exits 0', async () => {
  // Fresh disks, then apply twice (the second must change nothing).
  inventory = await provisionedPair({ fresh: true });
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
  await replicateNow();
  const status = JSON.parse(await readNodeFile('master', '/var/lib/xivo-ha/replication-status.json')) as { last: { result: string } };
  assert.equal(status.last.result, 'ok');
});

test("the standby slave's telephony is held back by its node program (disabled at boot, stopped); the master's runs", async () => {
  assert.equal((await execOn('slave', ['systemctl', 'is-active', 'asterisk.service'])).stdout.trim(), 'inactive');
  assert.equal((await execOn('slave', ['test', '-e', '/var/lib/xivo/disabled'])).code, 0, 'xivo-service disable left no marker');
  assert.equal((await execOn('master', ['systemctl', 'is-active', 'asterisk.service'])).stdout.trim(), 'active');
  // Run again by hand: it takes the HA lock, finds a standby slave already held back.
  const again = await execOn('slave', ['/usr/local/sbin/xivo-ha-standby-telephony', 'stop']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(again.stdout.trim().split('\n'), ['already disabled at boot (/var/lib/xivo/disabled exists)', 'already stopped: asterisk.service']);
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
