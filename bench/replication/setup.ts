// The bench's two "nodes": a master and a slave PostgreSQL 15 cluster on
// loopback, loaded with the fixture, the slave's replication role created as
// the playbook does, and the cluster.json / pgpass / ssh stand-in that
// xivo-ha-replicate reads — the same arrangement as
// test/integration/replication-local.test.ts, without the file trees (the
// bench replicates the database only).

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_BIN, loadFixture, startPgCluster, type PgCluster } from '../../test/helpers/pg-cluster.js';
import { quote } from '../../src/transport/shell.js';
import { trackCluster, trackDirectory } from './cleanup.js';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const NODE_DIR = join(ROOT, 'src/remote/node');
export const REPLICATE = join(NODE_DIR, 'xivo-ha-replicate');
const RECEIVE = join(NODE_DIR, 'xivo-ha-receive');
const FIXTURE = join(ROOT, 'test/fixtures/xivo-asterisk-schema.sql');
const SQL_DIR = join(ROOT, 'bench/replication/sql');

/** The default exclusion list (docs/replication.md), written into cluster.json so the bench does not depend on a default. */
export const EXCLUDED = ['netiface', 'resolvconf', 'mail', 'monitoring', 'accesswebservice', 'provisioning', 'session', 'queue_log', 'cel', 'call_log', 'call_log_participant', 'stat_agent', 'stat_agent_periodic', 'stat_call_on_queue', 'stat_queue', 'stat_queue_periodic', 'infos'];
export const HISTORY_TABLES = ['cel', 'call_log', 'queue_log'];
/** The throw-away database of the 2016-style contrast run, on the slave's cluster. */
export const SCRATCH_DB = 'asterisk_2016';

const REPLICATION_ROLE = 'xivo_ha_replication';
const SCRATCH_ROLE = 'bench_2016';

export interface Pair {
  master: PgCluster;
  slave: PgCluster;
  work: string;
  masterConfig: string;
  masterState: string;
  slaveState: string;
  fakeSsh: string;
  /** PGPASSFILE holding both slave roles' passwords (loopback TCP, like the real slave). */
  pgpass: string;
}

export async function startPair(): Promise<Pair> {
  const work = mkdtempSync(join(tmpdir(), 'xivo-ha-bench-repl-'));
  chmodSync(work, 0o700);
  trackDirectory(work);
  const [master, slave] = await Promise.all([trackCluster(startPgCluster('bench-master')), trackCluster(startPgCluster('bench-slave'))]);
  const pair: Pair = {
    master, slave, work,
    masterConfig: join(work, 'master-cluster.json'),
    masterState: join(work, 'master-state'),
    slaveState: join(work, 'slave-state'),
    fakeSsh: join(work, 'fake-ssh'),
    pgpass: join(work, 'replication.pgpass'),
  };
  mkdirSync(pair.masterState, { mode: 0o700 });
  mkdirSync(pair.slaveState, { mode: 0o700 });
  return pair;
}

/** A password that exists only for this run, so nothing secret is ever written in the repository. */
function throwawayPassword(): string {
  return `bench-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function prepareNodes(pair: Pair): void {
  loadFixture(pair.master, FIXTURE);
  loadFixture(pair.slave, FIXTURE);
  const replicationPassword = throwawayPassword();
  const scratchPassword = throwawayPassword();
  createReplicationRole(pair.slave, replicationPassword);
  // The 2016 script loaded the slave as a superuser ("psql -U postgres -h SLAVE"): the contrast run does the same.
  pair.slave.sql(`CREATE ROLE ${SCRATCH_ROLE} LOGIN SUPERUSER PASSWORD '${scratchPassword}';`);
  const port = pair.slave.port;
  writeFileSync(pair.pgpass, `127.0.0.1:${port}:asterisk:${REPLICATION_ROLE}:${replicationPassword}\n127.0.0.1:${port}:${SCRATCH_DB}:${SCRATCH_ROLE}:${scratchPassword}\n`, { mode: 0o600 });
  writeFileSync(join(pair.work, 'xivo_ha_replication'), 'stand-in key: the fake ssh ignores it\n', { mode: 0o600 });
  writeConfigs(pair);
  writeFakeSsh(pair);
}

function writeConfigs(pair: Pair): void {
  const replication = {
    database: 'asterisk', role: REPLICATION_ROLE, pgpass: pair.pgpass, peer_pg_port: pair.slave.port,
    local_pg: { os_user: 'postgres', host: pair.master.socketDir, port: pair.master.port },
    ssh_key: join(pair.work, 'xivo_ha_replication'), exclude_tables: EXCLUDED, lock_timeout: 5,
  };
  const slaveConfig = join(pair.work, 'slave-cluster.json');
  writeFileSync(pair.masterConfig, JSON.stringify({ node: { role: 'master', address: '127.0.0.1' }, peer: { address: '127.0.0.1' }, replication }));
  writeFileSync(slaveConfig, JSON.stringify({ node: { role: 'slave', address: '127.0.0.1' }, peer: { address: '127.0.0.1' }, replication: { ...replication, local_pg: { os_user: 'postgres', host: pair.slave.socketDir, port: pair.slave.port } } }));
}

/** What sshd does with the replication key's forced command: SSH_ORIGINAL_COMMAND, then xivo-ha-receive (status, record-status). */
function writeFakeSsh(pair: Pair): void {
  const receive = [RECEIVE, '--role', 'replication', '--config', join(pair.work, 'slave-cluster.json'), '--state-dir', pair.slaveState].map(quote).join(' ');
  writeFileSync(
    pair.fakeSsh,
    `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in -i|-o|-l|-p) shift 2 ;; -*) shift ;; *) break ;; esac
done
shift
SSH_ORIGINAL_COMMAND="$*"; export SSH_ORIGINAL_COMMAND
exec ${receive}
`,
    { mode: 0o700 },
  );
}

/** The replication role as the playbook creates it: not a superuser, DML + TRUNCATE on replicated tables and their sequences. */
function createReplicationRole(c: PgCluster, password: string): void {
  const excluded = EXCLUDED.map((t) => `'${t}'`).join(', ');
  c.sql(`CREATE ROLE ${REPLICATION_ROLE} LOGIN NOSUPERUSER PASSWORD '${password}';`);
  c.sql(
    `GRANT CONNECT ON DATABASE asterisk TO ${REPLICATION_ROLE};
     GRANT USAGE ON SCHEMA public TO ${REPLICATION_ROLE};
     GRANT SET ON PARAMETER session_replication_role TO ${REPLICATION_ROLE};
     DO $$ DECLARE r record; BEGIN
       FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')
                  AND c.relname NOT IN (${excluded}) AND c.relname NOT IN (SELECT t || '_id_seq' FROM unnest(ARRAY[${excluded}]) t) LOOP
         IF r.relkind = 'r' THEN
           EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.%I TO ${REPLICATION_ROLE}', r.relname);
         ELSE
           EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.%I TO ${REPLICATION_ROLE}', r.relname);
         END IF;
       END LOOP; END $$;`,
    'asterisk',
  );
}

/** Runs helpers.sql then `file` in one psql session on the master's asterisk database; returns the seconds it took. */
function runGenerator(c: PgCluster, file: string, vars: Record<string, number>): number {
  const t0 = process.hrtime.bigint();
  const argv = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', c.socketDir, '-p', String(c.port), '-U', 'postgres', '-d', 'asterisk',
    ...Object.entries(vars).flatMap(([k, v]) => ['-v', `${k}=${v}`]), '-f', join(SQL_DIR, 'helpers.sql'), '-f', join(SQL_DIR, file)];
  const r = spawnSync(join(PG_BIN, 'psql'), argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`generating ${file} on ${c.name} failed (psql exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function generateConfig(c: PgCluster, users: number, seed: number): number {
  return runGenerator(c, 'config.sql', { users, seed });
}

export function generateHistory(c: PgCluster, celRows: number, users: number, seed: number): number {
  const seconds = runGenerator(c, 'history.sql', { cel_rows: celRows, users, seed });
  // Fresh statistics and a checkpoint now, so neither autovacuum nor a checkpoint of the load falls into a timed run.
  c.sql(`VACUUM ANALYZE ${HISTORY_TABLES.join(', ')}; CHECKPOINT;`, 'asterisk');
  return seconds;
}

/** Case 1 starts from no history at all on the master. */
export function clearHistory(c: PgCluster): void {
  c.sql(`TRUNCATE ${HISTORY_TABLES.join(', ')}; CHECKPOINT;`, 'asterisk');
}

/** The throw-away database of the contrast run: the master's schema, no rows (schema copy not timed). */
export function prepareScratch(pair: Pair): void {
  pair.slave.sql(`CREATE DATABASE ${SCRATCH_DB} OWNER ${SCRATCH_ROLE};`);
  const schema = spawnSync(join(PG_BIN, 'pg_dump'), ['--schema-only', '--schema=public', '--no-owner', '-h', pair.master.socketDir, '-p', String(pair.master.port), '-U', 'postgres', 'asterisk'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (schema.status !== 0) throw new Error(`pg_dump --schema-only failed: ${schema.stderr}`);
  // pg_dump's schema output starts with a CREATE SCHEMA public that already exists in a new database.
  pair.slave.sql(schema.stdout.replace(/^CREATE SCHEMA public;$/m, ''), SCRATCH_DB);
}

export const SLAVE_SCRATCH = { role: SCRATCH_ROLE, database: SCRATCH_DB };

/** Sizes on disk of the master's tables, split into what is replicated and what is excluded. */
export function masterSizes(c: PgCluster): { replicatedBytes: number; excludedBytes: number } {
  const excluded = EXCLUDED.map((t) => `'${t}'`).join(', ');
  const out = c.sql(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname NOT IN (${excluded})), 0),
            coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname IN (${excluded})), 0)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`,
    'asterisk',
  ).trim().split('|');
  return { replicatedBytes: Number(out[0]), excludedBytes: Number(out[1]) };
}
