// xivo-ha-replicate and xivo-ha-receive against two real PostgreSQL 15
// clusters on loopback, loaded with the fixture. SSH is replaced by a stand-in
// that does what sshd does with a forced command (SSH_ORIGINAL_COMMAND, then
// xivo-ha-receive) inside a private mount namespace where the "slave's" file
// tree is mounted over the master's, so rsync really writes the slave's copy.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgCluster, loadFixture, type PgCluster } from '../helpers/pg-cluster.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const NODE_DIR = join(root, 'src/remote/node');
const REPLICATE = join(NODE_DIR, 'xivo-ha-replicate');
const RECEIVE = join(NODE_DIR, 'xivo-ha-receive');
const FIXTURE = join(root, 'test/fixtures/xivo-asterisk-schema.sql');

const EXCLUDED = ['netiface', 'resolvconf', 'mail', 'monitoring', 'accesswebservice', 'provisioning', 'session', 'queue_log', 'cel', 'call_log', 'call_log_participant', 'stat_agent', 'stat_agent_periodic', 'stat_call_on_queue', 'stat_queue', 'stat_queue_periodic', 'infos'];
const SLAVE_OWN = ['netiface', 'resolvconf', 'mail', 'monitoring', 'accesswebservice', 'provisioning', 'queue_log', 'cel', 'infos'];
const DIRECTORIES = ['/etc/asterisk/extensions_extra.d', '/etc/xivo/asterisk', '/var/lib/asterisk/agi-bin', '/var/lib/asterisk/moh', '/var/lib/xivo/certificates', '/var/lib/xivo/sounds/acd', '/var/lib/xivo/sounds/playback'];
const PASSWORD = 'test-only-replication-password';

let master: PgCluster | undefined;
let slave: PgCluster | undefined;
let work = '';

const paths = () => ({
  masterConfig: join(work, 'master-cluster.json'),
  slaveConfig: join(work, 'slave-cluster.json'),
  masterState: join(work, 'master-state'),
  slaveState: join(work, 'slave-state'),
  fakeSsh: join(work, 'fake-ssh'),
  masterRoot: join(work, 'tree'),
  slaveRoot: join(work, 'slave-tree'),
  unreachable: join(work, 'unreachable'),
});

function m(): PgCluster {
  if (!master) throw new Error('master cluster not started');
  return master;
}
function s(): PgCluster {
  if (!slave) throw new Error('slave cluster not started');
  return slave;
}

function writeConfigs(exclude: string[] = EXCLUDED): void {
  const p = paths();
  const dirs = DIRECTORIES.map((d) => p.masterRoot + d);
  const replication = {
    database: 'asterisk', role: 'xivo_ha_replication', pgpass: join(work, 'replication.pgpass'), peer_pg_port: s().port,
    local_pg: { os_user: 'postgres', host: m().socketDir, port: m().port },
    ssh_key: join(work, 'xivo_ha_replication'), exclude_tables: exclude, directories: dirs, lock_timeout: 5,
  };
  writeFileSync(p.masterConfig, JSON.stringify({ node: { role: 'master', address: '127.0.0.1' }, peer: { address: '127.0.0.1' }, replication }));
  writeFileSync(p.slaveConfig, JSON.stringify({ node: { role: 'slave', address: '127.0.0.1' }, peer: { address: '127.0.0.1' }, replication: { ...replication, local_pg: { os_user: 'postgres', host: s().socketDir, port: s().port } } }));
}

/** What sshd would do for the replication key: the forced command with SSH_ORIGINAL_COMMAND, here in a mount namespace showing the slave's tree. */
function writeFakeSsh(): void {
  const p = paths();
  writeFileSync(
    p.fakeSsh,
    `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in -i|-o|-l|-p) shift 2 ;; -*) shift ;; *) break ;; esac
done
if [ -e '${p.unreachable}' ]; then echo "ssh: connect to host $1 port 22: No route to host" >&2; exit 255; fi
shift
SSH_ORIGINAL_COMMAND="$*"; export SSH_ORIGINAL_COMMAND
exec unshare -m -- sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh '${p.slaveRoot}' '${p.masterRoot}' \\
  '${RECEIVE}' --role replication --config '${p.slaveConfig}' --state-dir '${p.slaveState}'
`,
  );
  chmodSync(p.fakeSsh, 0o755);
}

interface RunResult {
  code: number;
  stderr: string;
}

function replicate(only: 'db' | 'files' | undefined = 'db'): RunResult {
  const p = paths();
  const argv = ['--config', p.masterConfig, '--state-dir', p.masterState, '--ssh', p.fakeSsh, ...(only ? ['--only', only] : [])];
  const r = spawnSync(REPLICATE, argv, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stderr: r.stderr };
}

function status(which: 'master' | 'slave'): Record<string, any> {
  const p = paths();
  return JSON.parse(readFileSync(join(which === 'master' ? p.masterState : p.slaveState, 'replication-status.json'), 'utf8'));
}

function publicTables(c: PgCluster): string[] {
  return c.sql(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`, 'asterisk').trim().split('\n');
}

/** Row count and an md5 of every row per table, computed in the database: the test never reads row contents. */
function checksums(c: PgCluster, tables: string[]): Map<string, string> {
  const sql = tables.map((t) => `SELECT '${t}', count(*) || ':' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') FROM public."${t}" x`).join('\nUNION ALL\n');
  const out = c.sql(sql, 'asterisk').trim().split('\n');
  return new Map(out.map((line) => line.split('|') as [string, string]));
}

function replicatedTables(): string[] {
  return publicTables(m()).filter((t) => !EXCLUDED.includes(t));
}

/** Checksums of every public table, in one psql session (\gexec runs the query built from the catalog). */
function allChecksums(c: PgCluster): Map<string, string> {
  const build = `SELECT string_agg(format($$SELECT %L, count(*) || ':' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') FROM public.%I x$$, relname, relname), ' UNION ALL ' ORDER BY relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' \\gexec`;
  return new Map(c.sql(build, 'asterisk').trim().split('\n').map((line) => line.split('|') as [string, string]));
}

function slaveSnapshot(): Map<string, string> {
  return allChecksums(s());
}

function assertSlaveUnchanged(before: Map<string, string>): void {
  assert.deepEqual(slaveSnapshot(), before, 'the slave database changed');
}

/** The replication role as the playbook creates it: not a superuser, DML + TRUNCATE on replicated tables, their sequences, SET session_replication_role. */
function createReplicationRole(c: PgCluster): void {
  const excluded = EXCLUDED.map((t) => `'${t}'`).join(', ');
  c.sql(`CREATE ROLE xivo_ha_replication LOGIN NOSUPERUSER PASSWORD '${PASSWORD}';`);
  c.sql(
    `GRANT CONNECT ON DATABASE asterisk TO xivo_ha_replication;
     GRANT USAGE ON SCHEMA public TO xivo_ha_replication;
     GRANT SET ON PARAMETER session_replication_role TO xivo_ha_replication;
     DO $$ DECLARE r record; BEGIN
       FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')
                  AND c.relname NOT IN (${excluded}) AND c.relname NOT IN (SELECT t || '_id_seq' FROM unnest(ARRAY[${excluded}]) t) LOOP
         IF r.relkind = 'r' THEN
           EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.%I TO xivo_ha_replication', r.relname);
         ELSE
           EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.%I TO xivo_ha_replication', r.relname);
         END IF;
       END LOOP; END $$;`,
    'asterisk',
  );
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'xivo-ha-repl-'));
  chmodSync(work, 0o700);
  [master, slave] = await Promise.all([startPgCluster('master'), startPgCluster('slave')]);
  loadFixture(m(), FIXTURE);
  loadFixture(s(), FIXTURE);
  createReplicationRole(s());
  // The slave's own node-local rows, and some stale configuration to be replaced.
  s().sql(
    `UPDATE netiface SET address = '10.0.10.2', description = 'VoIP interface (slave)';
     UPDATE resolvconf SET hostname = 'xivo-slave';
     UPDATE mail SET origin = 'xivo-slave.example.org';
     UPDATE monitoring SET alert_emails = 'slave-ops@example.org';
     UPDATE accesswebservice SET passwd = 'slave-' || passwd;
     UPDATE provisioning SET net4_ip = '10.0.10.2';
     INSERT INTO queue_log ("time", callid, queuename, agent, event) VALUES ('2024-02-01 09:00:00.000000', 'slave.1', 'sales', 'NONE', 'ENTERQUEUE');
     UPDATE userfeatures SET firstname = 'Stale' WHERE id = 3;`,
    'asterisk',
  );
  // The master's newer configuration.
  m().sql(
    `INSERT INTO extensions (context, exten, type, typeval) VALUES ('default', '1004', 'user', '4');
     INSERT INTO staticsip (filename, category, var_name, var_val) VALUES ('sip.conf', 'general', 'srvlookup', 'yes');
     UPDATE userfeatures SET enablednd = 1 WHERE id = 1;`,
    'asterisk',
  );
  const p = paths();
  writeFileSync(join(work, 'replication.pgpass'), `127.0.0.1:${s().port}:asterisk:xivo_ha_replication:${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(work, 'xivo_ha_replication'), 'stand-in key: the fake ssh ignores it\n', { mode: 0o600 });
  for (const d of DIRECTORIES) {
    mkdirSync(p.masterRoot + d, { recursive: true });
    mkdirSync(p.slaveRoot + d, { recursive: true });
  }
  writeConfigs();
  writeFakeSsh();
});

after(async () => {
  await Promise.allSettled([master?.stop(), slave?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('database replication between two local PostgreSQL 15 clusters', () => {
  test('copies every replicated table and keeps the slave\'s own rows in the excluded tables', () => {
    const slaveOwnBefore = checksums(s(), SLAVE_OWN);
    assert.notDeepEqual(checksums(s(), ['userfeatures']), checksums(m(), ['userfeatures']));

    for (const round of [1, 2]) {
      const r = replicate();
      assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      const tables = replicatedTables();
      assert.deepEqual(checksums(s(), tables), checksums(m(), tables), `round ${round}: replicated tables differ`);
      assert.deepEqual(checksums(s(), SLAVE_OWN), slaveOwnBefore, `round ${round}: the slave's excluded tables changed`);
    }
    const seq = `SELECT last_value FROM extensions_id_seq`;
    assert.equal(s().sql(seq, 'asterisk'), m().sql(seq, 'asterisk'), 'sequences follow the master');

    for (const which of ['master', 'slave'] as const) {
      const last = status(which).last;
      assert.equal(last.result, 'ok', which);
      assert.equal(last.db.rows.extensions, 14);
      assert.ok(last.db.excluded.includes('infos') && !('infos' in last.db.rows));
      assert.ok(typeof last.duration_s === 'number' && last.started && last.ended);
    }
    assert.ok(status('master').last_success);
  });

  test('a replication killed mid-COPY leaves the slave exactly as it was', async () => {
    m().sql(`INSERT INTO staticsip (filename, category, var_name, var_val)
             SELECT 'bulk.conf', 'bulk', 'v' || i, repeat('x', 80) FROM generate_series(1, 400000) i`, 'asterisk');
    const before = slaveSnapshot();
    const p = paths();
    const child = spawn(REPLICATE, ['--config', p.masterConfig, '--state-dir', p.masterState, '--ssh', p.fakeSsh, '--only', 'db'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      let copying = false;
      for (let i = 0; i < 1000 && !copying; i++) {
        copying = s().sql(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'xivo_ha_replication' AND query LIKE 'COPY public.staticsip%'`).trim() === '1';
        if (!copying) await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(copying, 'the replication never reached the COPY of staticsip');
    } finally {
      // The whole job, as systemd stops a unit: its process group.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      await exited;
    }
    for (let i = 0; i < 200; i++) {
      if (s().sql(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'xivo_ha_replication'`).trim() === '0') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assertSlaveUnchanged(before);
    m().sql(`DELETE FROM staticsip WHERE filename = 'bulk.conf'`, 'asterisk');
  });

  test('refuses while the slave is active, and records why on both nodes', () => {
    const p = paths();
    const before = slaveSnapshot();
    m().sql(`UPDATE userfeatures SET enablednd = 0 WHERE id = 1`, 'asterisk');
    writeFileSync(join(p.slaveState, 'monitor-state.json'), JSON.stringify({ state: 'active', since: '2024-01-01T00:00:00Z' }));
    try {
      const r = replicate();
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /slave 127\.0\.0\.1 is active/);
      assertSlaveUnchanged(before);
      assert.equal(status('master').last.result, 'refused');
      assert.match(status('slave').last.reason, /is active/);
    } finally {
      unlinkSync(join(p.slaveState, 'monitor-state.json'));
    }
  });

  test('refuses while replication is paused', () => {
    const p = paths();
    const before = slaveSnapshot();
    writeFileSync(join(p.masterState, 'paused.json'), JSON.stringify({ reason: 'upgrade', since: '2024-01-01T00:00:00Z' }));
    try {
      const r = replicate();
      assert.equal(r.code, 2, r.stderr);
      assert.match(status('master').last.reason, /paused .*upgrade/);
      assertSlaveUnchanged(before);
    } finally {
      unlinkSync(join(p.masterState, 'paused.json'));
    }
  });

  test('refuses when a column differs between master and slave, naming the table', () => {
    const before = slaveSnapshot();
    s().sql(`ALTER TABLE extensions ADD COLUMN note text`, 'asterisk');
    try {
      const r = replicate();
      assert.equal(r.code, 2, r.stderr);
      assert.match(status('master').last.reason, /schemas differ.*table extensions/);
    } finally {
      s().sql(`ALTER TABLE extensions DROP COLUMN note`, 'asterisk');
    }
    assertSlaveUnchanged(before);
  });

  test('refuses when the schema versions (alembic_version) differ', () => {
    const before = slaveSnapshot();
    s().sql(`UPDATE alembic_version SET version_num = 'ffff0000'`, 'asterisk');
    const changed = slaveSnapshot();
    try {
      const r = replicate();
      assert.equal(r.code, 2, r.stderr);
      assert.match(status('master').last.reason, /alembic_version differs: master a1b2c3d4e5f6, slave ffff0000/);
      assertSlaveUnchanged(changed);
    } finally {
      s().sql(`UPDATE alembic_version SET version_num = 'a1b2c3d4e5f6'`, 'asterisk');
    }
    assertSlaveUnchanged(before);
  });

  test('refuses an exclusion list that is not closed under foreign keys, naming the constraint', () => {
    const before = slaveSnapshot();
    writeConfigs([...EXCLUDED, 'voicemail']);
    try {
      const r = replicate();
      assert.equal(r.code, 2, r.stderr);
      assert.match(status('master').last.reason, /userfeatures_voicemailid_fkey: replicated table userfeatures references excluded table voicemail/);
      assertSlaveUnchanged(before);
    } finally {
      writeConfigs();
    }
  });

  test('fails loudly, and records it, when the slave is unreachable', () => {
    const p = paths();
    writeFileSync(p.unreachable, '');
    try {
      const r = replicate(undefined);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /No route to host/);
      assert.equal(status('master').last.result, 'failed');
    } finally {
      unlinkSync(p.unreachable);
    }
  });

  test('mirrors the seven directories: changes and deletions reach the slave, nothing outside them is touched', () => {
    const p = paths();
    const outside = join(p.slaveRoot, 'etc/asterisk/sip.conf');
    writeFileSync(outside, 'slave only\n');
    for (const [i, d] of DIRECTORIES.entries()) {
      writeFileSync(join(p.masterRoot + d, `file-${i}.conf`), `version 1 of ${i}\n`);
      writeFileSync(join(p.slaveRoot + d, `stale-${i}.conf`), 'only on the slave\n');
    }
    assert.equal(replicate('files').code, 0);
    for (const [i, d] of DIRECTORIES.entries()) {
      writeFileSync(join(p.masterRoot + d, `file-${i}.conf`), `version 2 of ${i}\n`);
    }
    unlinkSync(join(p.masterRoot + DIRECTORIES[0]!, 'file-0.conf'));
    const r = replicate('files');
    assert.equal(r.code, 0, r.stderr);
    for (const [i, d] of DIRECTORIES.entries()) {
      assert.equal(existsSync(join(p.slaveRoot + d, `stale-${i}.conf`)), false, `${d}: deletion mirrored`);
      if (i === 0) assert.equal(existsSync(join(p.slaveRoot + d, 'file-0.conf')), false);
      else assert.equal(readFileSync(join(p.slaveRoot + d, `file-${i}.conf`), 'utf8'), `version 2 of ${i}\n`);
    }
    assert.equal(readFileSync(outside, 'utf8'), 'slave only\n');
    assert.ok(status('slave').last.files.bytes_transferred > 0);
  });

  test('refuses an empty dump and keeps the slave\'s configuration', () => {
    const before = slaveSnapshot();
    m().sql(`TRUNCATE ${replicatedTables().filter((t) => t !== 'alembic_version').map((t) => `public."${t}"`).join(', ')}`, 'asterisk');
    const r = replicate();
    assert.equal(r.code, 2, r.stderr);
    assert.match(status('master').last.reason, /dump is empty/);
    assertSlaveUnchanged(before);
  });
});
